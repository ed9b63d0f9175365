// `pairvol pair create|split|resync|swap|takeover|delete|display|wait` (SPEC §5, §7): each
// subcommand is parsed into one control API request (a pure step, tested on its own), sent to
// the array, and its CommandResult printed as a pairdisplay table or, with --json, as is.
import { FENCES, PAIR_STATES, type Fence } from '../core/types.js';
import { API, type PairCreateRequest, type PairInfo } from '../protocol/control.js';
import { ControlClient } from '../protocol/controlClient.js';
import { parseCommandLine, printResult, resolveTarget, TARGET_OPTIONS, UsageError, type CliCommand } from './output.js';
import { renderPairTable } from './pairTable.js';

const USAGE = `usage:
  pairvol pair create NAME --pvol VOL --svol VOL [--fence data|status|never] [--nocopy] [--group G] [--pace RATE]
  pairvol pair split NAME [--svol-writable]          pairvol pair split --group G [--svol-writable]
  pairvol pair resync NAME [--discard local|remote]  pairvol pair resync --group G
  pairvol pair swap NAME
  pairvol pair takeover NAME [--force]
  pairvol pair delete NAME
  pairvol pair display [NAME]
  pairvol pair wait NAME --state STATE [--timeout SEC]
create is given to the array that will hold the P-VOL; --svol names the volume on its peer.
RATE is bytes per second like 50M or 512K (0 = unlimited); STATE is one of ${[...PAIR_STATES, 'SSUS'].join(' ')}.
options: --config FILE (array config) or env PAIRVOL_URL + PAIRVOL_TOKEN; --json
`;

/** The longest wait the array accepts (src/array/api/events.ts). */
const MAX_WAIT_SECONDS = 300;
/** Time the answer of a wait may take beyond the wait itself. */
const WAIT_MARGIN_MS = 5000;

/** Printed before `pair takeover NAME --force`: the operator is choosing a possible data-loss point (SPEC §6.4). */
export function takeoverForceWarning(pair: string): string {
  return (
    `WARNING: forced takeover of ${pair}. If the P side cannot be reached this S-VOL becomes writable (SSWS) while the P-VOL\n` +
    'may still be in use: writes the P-VOL acknowledged after its last copy to this side are LOST here, and the two sides\n' +
    `may diverge. Stop every writer on the P side first. Resolve later with "pairvol pair swap ${pair}" once the P side is back.\n`
  );
}

/** One control API request, and how to show its answer. */
export interface PairRequest {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  body?: object;
  /** Answer timeout for long requests (wait). */
  timeoutMs?: number;
  /** Printed on stderr before the request is sent. */
  warning?: string;
  /** What a NORMAL answer is: one or more pairs shown as a table, or a deleted pair. */
  show: 'pairs' | 'deleted';
  json: boolean;
  config?: string;
}

const OPTIONS = {
  create: { pvol: { type: 'string' }, svol: { type: 'string' }, fence: { type: 'string' }, nocopy: { type: 'boolean' }, group: { type: 'string' }, pace: { type: 'string' } },
  split: { 'svol-writable': { type: 'boolean' }, group: { type: 'string' } },
  resync: { discard: { type: 'string' }, group: { type: 'string' } },
  swap: {},
  takeover: { force: { type: 'boolean' } },
  delete: {},
  display: {},
  wait: { state: { type: 'string' }, timeout: { type: 'string' } },
} as const;

export type PairSubcommand = keyof typeof OPTIONS;
export const PAIR_SUBCOMMANDS = Object.keys(OPTIONS) as PairSubcommand[];

/** A copy pace: bytes per second with an optional binary unit and "/s", e.g. 50M, 512K/s, 0. */
export function parsePace(text: string): number {
  const m = /^(\d+)([KMG])?(?:i?B)?(?:\/s)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`--pace "${text}" is not a rate like 50M, 512K or 0 (unlimited)`);
  const scale = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[(m[2] ?? '').toUpperCase() as '' | 'K' | 'M' | 'G'];
  const bytes = Number(m[1]) * scale;
  if (!Number.isSafeInteger(bytes)) throw new UsageError(`--pace "${text}" is too large`);
  return bytes;
}

function oneOf<T extends string>(option: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${option} must be one of ${allowed.join(', ')}, got "${value}"`);
  return value as T;
}

function onlyName(sub: PairSubcommand, positionals: string[]): string {
  if (positionals.length !== 1) throw new UsageError(`pair ${sub} needs exactly one pair NAME`);
  return positionals[0];
}

/** NAME for one pair or --group G for the whole group, never both. */
function pairOrGroup(sub: 'split' | 'resync', positionals: string[], group: string | undefined, body: object): Pick<PairRequest, 'path' | 'body'> {
  if (group === undefined) return { path: API.pairCommand(onlyName(sub, positionals), sub), body };
  if (positionals.length > 0) throw new UsageError(`pair ${sub} takes either a pair NAME or --group G, not both`);
  return { path: API.groupCommand(group, sub), body };
}

/** Parse `pair <sub> ...` into the request it makes. Throws UsageError on a bad command line. */
export function parsePairCommand(sub: string | undefined, args: string[]): PairRequest {
  if (sub === undefined) throw new UsageError('missing subcommand');
  if (!(PAIR_SUBCOMMANDS as string[]).includes(sub)) throw new UsageError(`unknown subcommand "${sub}"`);
  const name = sub as PairSubcommand;
  const { values, positionals } = parseCommandLine(args, { ...TARGET_OPTIONS, ...OPTIONS[name] });
  const common = { json: values.json, ...(values.config === undefined ? {} : { config: values.config }) };
  const v = values as Record<string, string | boolean | undefined>;
  const text = (key: string): string | undefined => v[key] as string | undefined;
  const flag = (key: string): boolean => v[key] === true;

  switch (name) {
    case 'create': {
      const pvol = text('pvol');
      const svol = text('svol');
      if (pvol === undefined || svol === undefined) throw new UsageError('pair create needs --pvol VOL and --svol VOL');
      const fence = text('fence');
      const group = text('group');
      const pace = text('pace');
      const body: PairCreateRequest = {
        name: onlyName(name, positionals),
        pvol,
        svol,
        ...(fence === undefined ? {} : { fence: oneOf<Fence>('fence', fence, FENCES) }),
        ...(flag('nocopy') ? { nocopy: true } : {}),
        ...(group === undefined ? {} : { group }),
        ...(pace === undefined ? {} : { pace: parsePace(pace) }),
      };
      return { method: 'POST', path: API.pairs, body, show: 'pairs', ...common };
    }
    case 'split':
      return { method: 'POST', ...pairOrGroup(name, positionals, text('group'), flag('svol-writable') ? { svolWritable: true } : {}), show: 'pairs', ...common };
    case 'resync': {
      const discard = text('discard');
      if (discard !== undefined && text('group') !== undefined) throw new UsageError('--discard is chosen pair by pair, not for a --group');
      const body = discard === undefined ? {} : { discard: oneOf('discard', discard, ['local', 'remote'] as const) };
      return { method: 'POST', ...pairOrGroup(name, positionals, text('group'), body), show: 'pairs', ...common };
    }
    case 'swap':
      return { method: 'POST', path: API.pairCommand(onlyName(name, positionals), 'swap'), body: {}, show: 'pairs', ...common };
    case 'takeover': {
      const force = flag('force');
      const pair = onlyName(name, positionals);
      const path = API.pairCommand(pair, 'takeover');
      return { method: 'POST', path, body: force ? { force } : {}, show: 'pairs', ...(force ? { warning: takeoverForceWarning(pair) } : {}), ...common };
    }
    case 'delete':
      return { method: 'DELETE', path: API.pair(onlyName(name, positionals)), show: 'deleted', ...common };
    case 'display':
      if (positionals.length > 1) throw new UsageError('pair display takes at most one pair NAME');
      return { method: 'GET', path: positionals.length === 0 ? API.pairs : API.pair(positionals[0]), show: 'pairs', ...common };
    case 'wait': {
      const pair = onlyName(name, positionals);
      const state = text('state')?.toUpperCase();
      if (state === undefined) throw new UsageError('pair wait needs --state STATE');
      oneOf('state', state, [...PAIR_STATES, 'SSUS']);
      const timeout = Number(text('timeout') ?? 10);
      if (!Number.isFinite(timeout) || timeout < 0 || timeout > MAX_WAIT_SECONDS) {
        throw new UsageError(`--timeout must be a number of seconds from 0 to ${MAX_WAIT_SECONDS}, got "${text('timeout')}"`);
      }
      const query = new URLSearchParams({ state, timeout: String(timeout) });
      return { method: 'GET', path: `${API.pairWait(pair)}?${query}`, timeoutMs: timeout * 1000 + WAIT_MARGIN_MS, show: 'pairs', ...common };
    }
  }
}

/** Every pair answer carries `pair` or, for lists and groups, `pairs`. */
function pairsOf(answer: { pair?: PairInfo; pairs?: PairInfo[] }): PairInfo[] {
  return answer.pairs ?? (answer.pair ? [answer.pair] : []);
}

export function renderPairAnswer(show: PairRequest['show'], answer: { pair?: PairInfo; pairs?: PairInfo[] }): string {
  if (show === 'pairs') return renderPairTable(pairsOf(answer));
  const pair = answer.pair;
  if (!pair) return 'pair deleted\n';
  return `pair ${pair.name} deleted: ${pair.localVolume} on ${pair.localArray} and ${pair.remoteVolume} on ${pair.remoteArray} are SMPL (not paired)\n`;
}

async function runPairCommand(sub: PairSubcommand, args: string[]): Promise<number> {
  const req = parsePairCommand(sub, args);
  const client = new ControlClient(resolveTarget(req.config));
  if (req.warning) process.stderr.write(req.warning);
  const answer = await client.call<{ pair?: PairInfo; pairs?: PairInfo[] }>(req.method, req.path, req.body, req.timeoutMs);
  return printResult(answer, req.json, (r) => renderPairAnswer(req.show, r));
}

/** `pair <sub>` runners; each returns the exit code or throws UsageError (exit 2 in main). */
export const pairCommands: Record<string, (argv: string[]) => Promise<number>> = Object.fromEntries(
  PAIR_SUBCOMMANDS.map((sub) => [sub, (argv: string[]) => runPairCommand(sub, argv)]),
);

export const command: CliCommand = {
  summary: 'create, split, resync, swap, take over, delete, display and wait for pairs',
  usage: USAGE,
  async run(args) {
    const [sub, ...rest] = args;
    if (sub === undefined) throw new UsageError('missing subcommand');
    if (!Object.hasOwn(pairCommands, sub)) throw new UsageError(`unknown subcommand "${sub}"`);
    return pairCommands[sub](rest);
  },
};
