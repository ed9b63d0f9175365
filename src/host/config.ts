// The host agent's YAML configuration (SPEC §7), validated once at start. Every problem is
// reported at once, naming its key path; the timing rules of the protocol are checked here too.
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { LOG_LEVELS, hostPort, type HostPort, type LogLevel } from '../array/config.js';
import { ConfigError, readYamlConfig, validateConfig } from '../util/yamlConfig.js';
import { DEFAULT_TIMING, timingProblems, type AgentTiming } from '../core/agent.js';

export { ConfigError };

export interface ResourceConfig {
  name: string;
  /** Data pairs this resource's application writes; taken over before start (§6.4). */
  pairs: string[];
  /** Absolute paths of the OCF-style scripts. */
  start: string;
  stop: string;
  monitor: string;
  timeouts: { startMs: number; stopMs: number; monitorMs: number };
}

export interface HostConfig {
  name: string;
  array: { control: string; token: string; timeoutMs: number };
  status: { listen: HostPort };
  heartbeat: { listen: HostPort; peers: HostPort[]; udp: { listen: HostPort; peers: HostPort[] } | null };
  determining: string;
  preferred: boolean;
  resources: ResourceConfig[];
  timing: AgentTiming;
  logLevel: LogLevel;
}

const name = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'expected 1-64 characters of A-Z a-z 0-9 . _ -');
const ms = z.number().int().positive();
const script = z.string().min(1, 'must not be empty');

const timingShape = Object.fromEntries(Object.entries(DEFAULT_TIMING).map(([k, v]) => [k, ms.default(v)])) as {
  [K in keyof AgentTiming]: z.ZodDefault<typeof ms>;
};

const schema = z
  .object({
    name,
    array: z
      .object({
        control: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }),
        token: z.string().min(1, 'must not be empty'),
        // Shorter than renewDeadlineMs, so that a hung request cannot outlive the deadline.
        timeoutMs: ms.default(500),
      })
      .strict(),
    status: z.object({ listen: hostPort }).strict(),
    heartbeat: z
      .object({
        listen: hostPort,
        peers: z.array(hostPort).min(1, 'needs at least one peer'),
        udp: z
          .object({ listen: hostPort, peers: z.array(hostPort).min(1, 'needs at least one peer') })
          .strict()
          .nullable()
          .default(null),
      })
      .strict(),
    determining: name,
    preferred: z.boolean().default(false),
    resources: z
      .array(
        z
          .object({
            name,
            pairs: z.array(name).default([]),
            start: script,
            stop: script,
            monitor: script,
            timeouts: z
              .object({ startMs: ms.default(30_000), stopMs: ms.default(30_000), monitorMs: ms.default(10_000) })
              .strict()
              .default({ startMs: 30_000, stopMs: 30_000, monitorMs: 10_000 }),
          })
          .strict(),
      )
      .default([]),
    timing: z.object(timingShape).strict().default(DEFAULT_TIMING),
    logLevel: z.enum(LOG_LEVELS).default('info'),
  })
  .strict()
  .superRefine((c, ctx) => {
    for (const problem of timingProblems(c.timing)) ctx.addIssue({ code: 'custom', message: problem, path: ['timing'] });
    if (c.array.timeoutMs >= c.timing.renewDeadlineMs) {
      ctx.addIssue({ code: 'custom', message: `must be less than timing.renewDeadlineMs (${c.timing.renewDeadlineMs})`, path: ['array', 'timeoutMs'] });
    }
    const seen = new Set<string>();
    c.resources.forEach((r, i) => {
      if (seen.has(r.name)) ctx.addIssue({ code: 'custom', message: `duplicate resource name "${r.name}"`, path: ['resources', i, 'name'] });
      seen.add(r.name);
    });
  });

/** Validate a parsed document; relative script paths are taken from the config file's directory. */
export function validateHostConfig(doc: unknown, file: string): HostConfig {
  const c = validateConfig(schema, doc, file);
  const base = dirname(resolve(file));
  return {
    ...c,
    array: { ...c.array, control: c.array.control.replace(/\/+$/, '') },
    resources: c.resources.map((r) => ({ ...r, start: resolve(base, r.start), stop: resolve(base, r.stop), monitor: resolve(base, r.monitor) })),
  };
}

/** Read, parse and validate; throws ConfigError (and nothing else) on any problem. */
export function loadHostConfig(file: string): HostConfig {
  return validateHostConfig(readYamlConfig(file), file);
}
