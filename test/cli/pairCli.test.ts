// `pairvol pair ...` as a real process against a real control API (buildControlApi with the pair
// routes over an in-test PairService double): exit codes, stdout/stderr, the --force warning.
import { EventEmitter } from 'node:events';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { abnormal, type PairState } from '../../src/core/types.js';
import type { PairCreateRequest, PairInfo, PairListResponse } from '../../src/protocol/control.js';
import type { PairOp, PairResult, PairService, ReservationResult } from '../../src/array/pairs/pairService.js';
import { buildControlApi } from '../../src/array/api/server.js';
import { pairRoutes } from '../../src/array/api/pairs.js';
import { eventRoutes } from '../../src/array/api/events.js';
import { createLogger } from '../../src/log.js';

const TOKEN = 'cli-test-token';

const db: PairInfo = {
  name: 'db',
  group: null,
  attribute: 'S-VOL',
  state: 'PSUE',
  displayState: 'PSUE',
  fence: 'never',
  localVolume: 'db-b',
  remoteVolume: 'db-a',
  localArray: 'site-b',
  remoteArray: 'site-a',
  svolWritable: false,
  copyPercent: 90,
  changedPercent: 10,
  copyRate: 0,
  peerConnected: false,
  holder: null,
  splitBrain: false,
  access: 'read-only',
};

/** Knows one pair; takeover succeeds, resync is refused as FIG.4 refuses it on an S-VOL. */
class PairServiceDouble implements PairService {
  readonly events = new EventEmitter();
  readonly ops: PairOp[] = [];
  list(): PairInfo[] {
    return [db];
  }
  get(name: string): PairInfo | undefined {
    return name === db.name ? db : undefined;
  }
  async create(_req: PairCreateRequest): Promise<PairResult> {
    return abnormal('exists', 'already a pair');
  }
  async command(_name: string, op: PairOp): Promise<PairResult> {
    this.ops.push(op);
    if (op.kind === 'resync') return abnormal('invalid-state', 'resync is not accepted on the S-VOL');
    return { result: 'NORMAL', pair: { ...db, state: 'SSWS', displayState: 'SSWS', access: 'read-write' } };
  }
  async delete(_name: string): Promise<PairResult> {
    return abnormal('peer-unreachable', 'P side down');
  }
  async groupCommand(_group: string, _op: PairOp): Promise<PairListResponse> {
    return abnormal('not-found', 'no group');
  }
  async reserve(_name: string, _host: string): Promise<ReservationResult> {
    return abnormal('invalid-state', 'unused');
  }
  async release(_name: string, _host: string): Promise<ReservationResult> {
    return abnormal('invalid-state', 'unused');
  }
  async reset(_name: string): Promise<ReservationResult> {
    return abnormal('invalid-state', 'unused');
  }
  async waitForState(_name: string, state: PairState, _timeoutMs: number): Promise<PairResult> {
    return state === db.state ? { result: 'NORMAL', pair: db } : abnormal('invalid-state', `did not reach ${state}`);
  }
}

// Runs the pair command the way src/cli/main.ts runs a command: a usage error exits 2.
const DRIVER = `
const { command } = await import(${JSON.stringify(new URL('../../src/cli/pair.ts', import.meta.url).href)});
const { UsageError } = await import(${JSON.stringify(new URL('../../src/cli/output.ts', import.meta.url).href)});
try {
  process.exitCode = await command.run(process.argv.slice(1));
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  process.stderr.write('pairvol pair: ' + err.message + '\\n');
  process.exitCode = 2;
}
`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function pairvolPair(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', DRIVER, ...args],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? -1) : 0, stdout, stderr }),
    );
  });
}

describe('pairvol pair as a process', () => {
  const service = new PairServiceDouble();
  let app: FastifyInstance;
  let env: Record<string, string>;

  before(async () => {
    app = buildControlApi({
      token: TOKEN,
      logger: createLogger('test', 'silent'),
      plugins: [(a) => void a.register(pairRoutes, { pairs: service }), (a) => void a.register(eventRoutes, { pairs: service })],
    });
    env = { PAIRVOL_URL: await app.listen({ host: '127.0.0.1', port: 0 }), PAIRVOL_TOKEN: TOKEN };
  });
  after(async () => {
    await app.close();
  });

  it('display: exit 0 with the table on stdout', async () => {
    const run = await pairvolPair(['display'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Group +PairVol\(L\/R\)/);
    assert.match(run.stdout, /db\(L\) +site-b +db-b +S-VOL +PSUE/);
    assert.match(run.stdout, /db\(R\) +site-a +db-a +P-VOL +PSUE/);
    assert.equal(run.stderr, '');
  });

  it('display --json: the CommandResult as is', async () => {
    const run = await pairvolPair(['display', 'db', '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { result: 'NORMAL', pair: db });
  });

  it('ABNORMAL END: exit 1, reason and message on stderr', async () => {
    const run = await pairvolPair(['resync', 'db'], env);
    assert.equal(run.code, 1);
    assert.equal(run.stderr, 'pairvol: invalid-state: resync is not accepted on the S-VOL\n');
    assert.equal(run.stdout, '');
  });

  it('wait: exit 0 once the state is reached, 1 when it is not', async () => {
    const reached = await pairvolPair(['wait', 'db', '--state', 'PSUE', '--timeout', '1'], env);
    assert.equal(reached.code, 0, reached.stderr);
    const missed = await pairvolPair(['wait', 'db', '--state', 'PAIR', '--timeout', '0'], env);
    assert.equal(missed.code, 1);
    assert.equal(missed.stderr, 'pairvol: invalid-state: did not reach PAIR\n');
  });

  it('takeover --force: warns of data loss on stderr, then shows the taken-over pair', async () => {
    const run = await pairvolPair(['takeover', 'db', '--force'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /^WARNING: forced takeover of db\./);
    assert.match(run.stdout, /db\(L\) +site-b +db-b +S-VOL +SSWS/);
    assert.deepEqual(service.ops.at(-1), { kind: 'takeover', force: true });
  });

  it('usage errors exit 2 and send nothing', async () => {
    const before = service.ops.length;
    const run = await pairvolPair(['split', 'db', '--group', 'g'], env);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /either a pair NAME or --group G/);
    assert.equal(service.ops.length, before);
  });

  it('no array given: exit 2 naming both ways to give one', async () => {
    const run = await pairvolPair(['display'], {});
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--config FILE, or set PAIRVOL_URL and PAIRVOL_TOKEN/);
  });

  it('wrong token or unreachable array: exit 1 with the reason', async () => {
    const wrong = await pairvolPair(['display'], { ...env, PAIRVOL_TOKEN: 'nope' });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /^pairvol: unauthorized: /);
    const down = await pairvolPair(['display'], { PAIRVOL_URL: 'http://127.0.0.1:9', PAIRVOL_TOKEN: TOKEN });
    assert.equal(down.code, 1);
    assert.match(down.stderr, /^pairvol: array-unreachable: /);
  });
});
