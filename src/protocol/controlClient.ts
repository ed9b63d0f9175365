// A typed client of the array control API, used by the CLI and the host agent.
import type { CommandResult } from '../core/types.js';
import { abnormal } from '../core/types.js';

export interface ControlTarget {
  url: string; // e.g. http://127.0.0.1:7001
  token: string;
  /** Per-request timeout in milliseconds (default 5000). */
  timeoutMs?: number;
}

export class ControlClient {
  constructor(private readonly target: ControlTarget) {}

  get<T extends object>(path: string, timeoutMs?: number): Promise<CommandResult<T>> {
    return this.call<T>('GET', path, undefined, timeoutMs);
  }

  post<T extends object>(path: string, body: object = {}, timeoutMs?: number): Promise<CommandResult<T>> {
    return this.call<T>('POST', path, body, timeoutMs);
  }

  delete<T extends object>(path: string): Promise<CommandResult<T>> {
    return this.call<T>('DELETE', path);
  }

  /** Any transport failure becomes ABNORMAL `array-unreachable`, so callers handle one shape. */
  async call<T extends object>(method: string, path: string, body?: object, timeoutMs?: number): Promise<CommandResult<T>> {
    const url = new URL(path, this.target.url);
    try {
      const res = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.target.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs ?? this.target.timeoutMs ?? 5000),
      });
      const text = await res.text();
      try {
        return JSON.parse(text) as CommandResult<T>;
      } catch {
        return abnormal('io-error', `array answered HTTP ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`);
      }
    } catch (err) {
      return abnormal('array-unreachable', `cannot reach array at ${this.target.url}: ${(err as Error).message}`);
    }
  }
}
