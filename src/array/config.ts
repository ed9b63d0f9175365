// The array's YAML configuration (SPEC §7), validated once at start. Every problem is reported
// at once, each naming its key path, so an operator fixes the file in one pass.
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { parseSize } from '../util/size.js';
import { ConfigError, readYamlConfig, validateConfig } from '../util/yamlConfig.js';

export interface HostPort {
  host: string;
  port: number;
}

export interface ArrayConfig {
  name: string;
  /** Absolute; a relative dataDir in the file is taken from the config file's directory. */
  dataDir: string;
  nbd: { listen: HostPort };
  control: { listen: HostPort; token: string };
  peer: { listen: HostPort; connect: HostPort; secret: string; heartbeatMs: number; deadAfterMs: number };
  /** Bytes per bitmap region (changed-region tracking granularity). */
  regionSize: number;
  logLevel: LogLevel;
  /** Initial copy / resync rate limit in bytes per second; 0 = unlimited. */
  copy: { pace: number };
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export { ConfigError };

/** "host:port" or "[v6addr]:port"; port 0 lets the OS choose (useful in tests). */
export function parseHostPort(text: string): HostPort | undefined {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { host: m[1] ?? m[2], port };
}

export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A "host:port" config value, parsed (shared with the host config). */
export const hostPort = z.string().transform((text, ctx) => {
  const hp = parseHostPort(text);
  if (!hp) {
    ctx.addIssue({ code: 'custom', message: `expected "host:port", got "${text}"` });
    return z.NEVER;
  }
  return hp;
});

const secret = z.string().min(1, 'must not be empty');
const positiveMs = z.number().int().positive();

const regionSize = z.union([z.number(), z.string()]).transform((value, ctx) => {
  try {
    const bytes = parseSize(value);
    if ((bytes & (bytes - 1)) === 0) return bytes;
    ctx.addIssue({ code: 'custom', message: `must be a power of two, got ${bytes}` });
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
  return z.NEVER;
});

const schema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'expected 1-64 characters of A-Z a-z 0-9 . _ -'),
    dataDir: z.string().min(1, 'must not be empty'),
    nbd: z.object({ listen: hostPort }).strict(),
    control: z.object({ listen: hostPort, token: secret }).strict(),
    peer: z
      .object({
        listen: hostPort,
        connect: hostPort,
        secret,
        heartbeatMs: positiveMs.default(500),
        deadAfterMs: positiveMs.default(2000),
      })
      .strict()
      .refine((p) => p.deadAfterMs > p.heartbeatMs, { message: 'deadAfterMs must be greater than heartbeatMs', path: ['deadAfterMs'] }),
    regionSize: regionSize.default(64 * 1024),
    logLevel: z.enum(LOG_LEVELS).default('info'),
    copy: z
      .object({ pace: z.number().int().nonnegative().default(0) })
      .strict()
      .default({ pace: 0 }),
  })
  .strict();

/** Validate an already parsed document; `file` is used for messages and to resolve dataDir. */
export function validateArrayConfig(doc: unknown, file: string): ArrayConfig {
  const c = validateConfig(schema, doc, file);
  return { ...c, dataDir: resolve(dirname(resolve(file)), c.dataDir) };
}

/** Read, parse and validate; throws ConfigError (and nothing else) on any problem. */
export function loadArrayConfig(file: string): ArrayConfig {
  return validateArrayConfig(readYamlConfig(file), file);
}
