// What every `pairvol` subcommand shares: the command shape, option parsing that turns
// mistakes into usage errors (exit 2), choosing the target array, and printing a result.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { CommandResult, Normal } from '../core/types.js';
import { ConfigError, formatHostPort, loadArrayConfig } from '../array/config.js';
import type { ControlTarget } from '../protocol/controlClient.js';

export interface CliCommand {
  summary: string;
  usage: string;
  /** Returns the exit code: 0 NORMAL END, 1 ABNORMAL END, 2 usage error. */
  run(args: string[]): Promise<number>;
}

/** A mistake in the command line: the usage text is printed and the exit code is 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Options every command that talks to an array accepts. */
export const TARGET_OPTIONS = {
  json: { type: 'boolean', default: false },
  config: { type: 'string' },
} as const;

export function parseCommandLine<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** The array to talk to: from its config file (control listen + token) or PAIRVOL_URL + PAIRVOL_TOKEN. */
export function resolveTarget(configFile: string | undefined, env: NodeJS.ProcessEnv = process.env): ControlTarget {
  if (configFile !== undefined) {
    try {
      const config = loadArrayConfig(configFile);
      const { host, port } = config.control.listen;
      // A wildcard listener is reached on loopback.
      const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
      return { url: `http://${formatHostPort({ host: reachable, port })}`, token: config.control.token };
    } catch (err) {
      if (err instanceof ConfigError) throw new UsageError(err.message);
      throw err;
    }
  }
  const url = env.PAIRVOL_URL;
  const token = env.PAIRVOL_TOKEN;
  if (url && token) return { url, token };
  throw new UsageError('no array given: use --config FILE, or set PAIRVOL_URL and PAIRVOL_TOKEN');
}

/** Print a result (table or raw JSON) and return the exit code. */
export function printResult<T extends object>(result: CommandResult<T>, json: boolean, render: (r: Normal<T>) => string): number {
  if (json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  if (result.result === 'ABNORMAL') {
    process.stderr.write(`pairvol: ${result.reason}: ${result.message}\n`);
    return 1;
  }
  if (!json) process.stdout.write(render(result));
  return 0;
}
