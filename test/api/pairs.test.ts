// HTTP layer of the pair commands (src/array/api/pairs.ts, events.ts) against an in-test
// PairService double: validation, status codes, wait-for-state and the event stream. The real
// pair layer behind these routes is tested end to end elsewhere.
import { EventEmitter } from 'node:events';
import { request, type IncomingMessage } from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { abnormal, type CommandResult, type PairState } from '../../src/core/types.js';
import type { ArrayEvent, PairCreateRequest, PairInfo, PairListResponse } from '../../src/protocol/control.js';
import type { PairOp, PairResult, PairService, ReservationResult } from '../../src/array/pairs/pairService.js';
import { pairRoutes } from '../../src/array/api/pairs.js';
import { eventRoutes } from '../../src/array/api/events.js';
import { samplePair } from '../helpers/samplePair.js';
import { buildControlApi } from '../../src/array/api/server.js';
import { createLogger } from '../../src/log.js';

const TOKEN = 'test-token';
const auth = { authorization: `Bearer ${TOKEN}` };

/** The control API app as the array builds it (auth, error answers) with the pair routes on `service`. */
function controlApi(service: PairService): FastifyInstance {
  return buildControlApi({
    token: TOKEN,
    logger: createLogger('test', 'silent'),
    plugins: [(app) => void app.register(pairRoutes, { pairs: service }), (app) => void app.register(eventRoutes, { pairs: service })],
  });
}

function pairInfo(name: string, state: PairState = 'PAIR'): PairInfo {
  return samplePair(name, { state });
}

/** Records every call that reaches the pair layer; answers from a map of known pairs. */
class PairServiceDouble implements PairService {
  readonly events = new EventEmitter();
  readonly calls: { method: string; args: unknown[] }[] = [];
  readonly pairs = new Map<string, PairInfo>();
  /** The answer every command gives next (NORMAL with the pair when unset). */
  nextAnswer: CommandResult | undefined;

  private answer(name: string): PairResult {
    if (this.nextAnswer) return this.nextAnswer as PairResult;
    const pair = this.pairs.get(name);
    return pair ? { result: 'NORMAL', pair } : abnormal('not-found', `no pair ${name}`);
  }

  list(): PairInfo[] {
    return [...this.pairs.values()];
  }
  get(name: string): PairInfo | undefined {
    return this.pairs.get(name);
  }
  async create(req: PairCreateRequest): Promise<PairResult> {
    this.calls.push({ method: 'create', args: [req] });
    this.pairs.set(req.name, pairInfo(req.name, 'COPY'));
    return this.answer(req.name);
  }
  async command(name: string, op: PairOp): Promise<PairResult> {
    this.calls.push({ method: 'command', args: [name, op] });
    return this.answer(name);
  }
  async delete(name: string): Promise<PairResult> {
    this.calls.push({ method: 'delete', args: [name] });
    return this.answer(name);
  }
  async groupCommand(group: string, op: PairOp): Promise<PairListResponse> {
    this.calls.push({ method: 'groupCommand', args: [group, op] });
    return { result: 'NORMAL', pairs: this.list().filter((p) => p.group === group) };
  }
  async reserve(name: string, host: string): Promise<ReservationResult> {
    this.calls.push({ method: 'reserve', args: [name, host] });
    return this.reservation(name, 'reserved');
  }
  async release(name: string, host: string): Promise<ReservationResult> {
    this.calls.push({ method: 'release', args: [name, host] });
    return this.reservation(name, 'released');
  }
  async reset(name: string): Promise<ReservationResult> {
    this.calls.push({ method: 'reset', args: [name] });
    return this.reservation(name, 'reset');
  }
  private reservation(name: string, action: 'reserved' | 'released' | 'reset'): ReservationResult {
    const answer = this.answer(name);
    return answer.result === 'NORMAL' ? { ...answer, action } : answer;
  }
  async waitForState(name: string, state: PairState, timeoutMs: number): Promise<PairResult> {
    this.calls.push({ method: 'waitForState', args: [name, state, timeoutMs] });
    const pair = this.pairs.get(name);
    if (pair?.state === state) return { result: 'NORMAL', pair };
    await new Promise((resolve) => setTimeout(resolve, timeoutMs));
    return abnormal('invalid-state', `pair ${name} did not reach ${state}`);
  }
}

describe('pair routes', () => {
  let app: FastifyInstance;
  let service: PairServiceDouble;

  beforeEach(async () => {
    service = new PairServiceDouble();
    service.pairs.set('db', pairInfo('db'));
    app = controlApi(service);
    await app.ready();
  });

  async function send(method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) {
    const res = await app.inject({ method, url, payload, headers: auth });
    return { status: res.statusCode, body: res.json() as Record<string, unknown> };
  }

  it('refuses a request without the right token and changes nothing', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong' }]) {
      const res = await app.inject({ method: 'POST', url: '/v1/pairs/db/split', payload: {}, headers });
      assert.equal(res.statusCode, 401);
      assert.equal(res.json().reason, 'unauthorized');
    }
    assert.deepEqual(service.calls, []);
  });

  it('answers a body that is not JSON with bad-request', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/pairs', payload: '{"name": ', headers: { ...auth, 'content-type': 'application/json' } });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().reason, 'bad-request');
    assert.deepEqual(service.calls, []);
  });

  it('lists and shows pairs', async () => {
    const list = await send('GET', '/v1/pairs');
    assert.equal(list.status, 200);
    assert.deepEqual(list.body, { result: 'NORMAL', pairs: [pairInfo('db')] });
    const one = await send('GET', '/v1/pairs/db');
    assert.deepEqual(one.body, { result: 'NORMAL', pair: pairInfo('db') });
  });

  it('answers 404 not-found for an unknown pair', async () => {
    const res = await send('GET', '/v1/pairs/nope');
    assert.equal(res.status, 404);
    assert.equal(res.body.reason, 'not-found');
  });

  it('creates a pair with every option passed through', async () => {
    const req = { name: 'logs', pvol: 'v1', svol: 'v2', fence: 'data', nocopy: true, group: 'g1', pace: 1048576 };
    const res = await send('POST', '/v1/pairs', req);
    assert.equal(res.status, 200);
    assert.equal(res.body.result, 'NORMAL');
    assert.deepEqual(service.calls, [{ method: 'create', args: [req] }]);
  });

  const badCreates: [string, object, string][] = [
    ['a name with a slash', { name: 'a/b', pvol: 'v1', svol: 'v2' }, 'name:'],
    ['a name longer than 64', { name: 'x'.repeat(65), pvol: 'v1', svol: 'v2' }, 'name:'],
    ['a missing svol', { name: 'p', pvol: 'v1' }, 'svol:'],
    ['an unknown fence', { name: 'p', pvol: 'v1', svol: 'v2', fence: 'sometimes' }, 'fence:'],
    ['a negative pace', { name: 'p', pvol: 'v1', svol: 'v2', pace: -1 }, 'pace:'],
    ['a fractional pace', { name: 'p', pvol: 'v1', svol: 'v2', pace: 1.5 }, 'pace:'],
    ['nocopy as a string', { name: 'p', pvol: 'v1', svol: 'v2', nocopy: 'yes' }, 'nocopy:'],
    ['an unknown field', { name: 'p', pvol: 'v1', svol: 'v2', fenc: 'data' }, '"fenc"'],
  ];
  for (const [what, body, field] of badCreates) {
    it(`rejects a create with ${what} as bad-request naming the field, changing nothing`, async () => {
      const res = await send('POST', '/v1/pairs', body);
      assert.equal(res.status, 400);
      assert.equal(res.body.result, 'ABNORMAL');
      assert.equal(res.body.reason, 'bad-request');
      assert.match(String(res.body.message), new RegExp(field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      assert.deepEqual(service.calls, []);
    });
  }

  it('rejects a create without a body', async () => {
    const res = await send('POST', '/v1/pairs');
    assert.equal(res.status, 400);
    assert.match(String(res.body.message), /name:.*pvol:.*svol:/);
    assert.deepEqual(service.calls, []);
  });

  it('turns each operation body into the PairOp the pair layer takes', async () => {
    await send('POST', '/v1/pairs/db/split', { svolWritable: true });
    await send('POST', '/v1/pairs/db/split', {});
    await send('POST', '/v1/pairs/db/resync', { discard: 'remote' });
    await send('POST', '/v1/pairs/db/resync');
    await send('POST', '/v1/pairs/db/swap', {});
    await send('POST', '/v1/pairs/db/takeover', { force: true });
    await send('POST', '/v1/pairs/db/takeover', {});
    assert.deepEqual(
      service.calls.map((c) => c.args),
      [
        ['db', { kind: 'split', svolWritable: true }],
        ['db', { kind: 'split', svolWritable: false }],
        ['db', { kind: 'resync', discard: 'remote' }],
        ['db', { kind: 'resync' }],
        ['db', { kind: 'swap' }],
        ['db', { kind: 'takeover', force: true }],
        ['db', { kind: 'takeover', force: false }],
      ],
    );
  });

  it('rejects bad operation bodies and names the field', async () => {
    const cases: [string, object, RegExp][] = [
      ['/v1/pairs/db/split', { svolWritable: 'true' }, /svolWritable:/],
      ['/v1/pairs/db/resync', { discard: 'both' }, /discard:/],
      ['/v1/pairs/db/swap', { force: true }, /"force"/],
      ['/v1/pairs/db/takeover', { force: 1 }, /force:/],
      ['/v1/pairs/db/reserve', {}, /host:/],
      ['/v1/pairs/db/release', { host: 'a b' }, /host:/],
      ['/v1/pairs/db/reset', { host: 'h1' }, /"host"/],
      ['/v1/groups/g!/split', {}, /group:/],
      ['/v1/pairs/d%20b/split', {}, /name:/],
    ];
    for (const [url, body, message] of cases) {
      const res = await send('POST', url, body);
      assert.equal(res.status, 400, url);
      assert.equal(res.body.reason, 'bad-request', url);
      assert.match(String(res.body.message), message, url);
    }
    assert.deepEqual(service.calls, []);
  });

  it('maps each ABNORMAL reason to the HTTP status of the contract', async () => {
    const expected: [CommandResult, number][] = [
      [abnormal('invalid-state', 'PAIR'), 409],
      [abnormal('peer-unreachable', 'down'), 409],
      [abnormal('force-required', 'use --force'), 409],
      [abnormal('not-found', 'gone'), 404],
      [abnormal('io-error', 'disk'), 500],
    ];
    for (const [answer, status] of expected) {
      service.nextAnswer = answer;
      const res = await send('POST', '/v1/pairs/db/resync', {});
      assert.equal(res.status, status);
      assert.deepEqual(res.body, answer);
    }
  });

  it('passes reservations through with the host', async () => {
    const reserved = await send('POST', '/v1/pairs/db/reserve', { host: 'host-a' });
    assert.equal(reserved.status, 200);
    assert.equal(reserved.body.action, 'reserved');
    await send('POST', '/v1/pairs/db/release', { host: 'host-a' });
    await send('POST', '/v1/pairs/db/reset', {});
    service.nextAnswer = abnormal('held-by-other', 'held by host-b');
    const conflict = await send('POST', '/v1/pairs/db/reserve', { host: 'host-a' });
    assert.equal(conflict.status, 409);
    assert.equal(conflict.body.reason, 'held-by-other');
    assert.deepEqual(
      service.calls.map((c) => [c.method, ...c.args]),
      [
        ['reserve', 'db', 'host-a'],
        ['release', 'db', 'host-a'],
        ['reset', 'db'],
        ['reserve', 'db', 'host-a'],
      ],
    );
  });

  it('runs group split and resync on the group', async () => {
    service.pairs.set('g1-a', { ...pairInfo('g1-a'), group: 'g1' });
    const res = await send('POST', '/v1/groups/g1/split', { svolWritable: false });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.pairs, [{ ...pairInfo('g1-a'), group: 'g1' }]);
    await send('POST', '/v1/groups/g1/resync', {});
    assert.deepEqual(service.calls, [
      { method: 'groupCommand', args: ['g1', { kind: 'split', svolWritable: false }] },
      { method: 'groupCommand', args: ['g1', { kind: 'resync' }] },
    ]);
  });

  it('deletes a pair', async () => {
    const res = await send('DELETE', '/v1/pairs/db');
    assert.equal(res.status, 200);
    assert.deepEqual(service.calls, [{ method: 'delete', args: ['db'] }]);
  });

  it('waits for a state the pair already has', async () => {
    const res = await send('GET', '/v1/pairs/db/wait?state=PAIR&timeout=5');
    assert.equal(res.status, 200);
    assert.deepEqual(service.calls, [{ method: 'waitForState', args: ['db', 'PAIR', 5000] }]);
  });

  it('answers a wait that times out with invalid-state 409', async () => {
    const res = await send('GET', '/v1/pairs/db/wait?state=PSUS&timeout=0.05');
    assert.equal(res.status, 409);
    assert.equal(res.body.reason, 'invalid-state');
    assert.deepEqual(service.calls, [{ method: 'waitForState', args: ['db', 'PSUS', 50] }]);
  });

  it('takes SSUS as the S-side name of PSUS and defaults the timeout', async () => {
    service.pairs.set('db', pairInfo('db', 'PSUS'));
    const res = await send('GET', '/v1/pairs/db/wait?state=SSUS');
    assert.equal(res.status, 200);
    assert.deepEqual(service.calls, [{ method: 'waitForState', args: ['db', 'PSUS', 10_000] }]);
  });

  it('rejects a wait with a bad state, a bad or too long timeout, or an unknown pair', async () => {
    const bad: [string, number, RegExp][] = [
      ['/v1/pairs/db/wait?state=DONE', 400, /state:/],
      ['/v1/pairs/db/wait', 400, /state:/],
      ['/v1/pairs/db/wait?state=PAIR&timeout=301', 400, /timeout:/],
      ['/v1/pairs/db/wait?state=PAIR&timeout=-1', 400, /timeout:/],
      ['/v1/pairs/db/wait?state=PAIR&timeout=soon', 400, /timeout:/],
      ['/v1/pairs/db/wait?state=PAIR&tmeout=1', 400, /"tmeout"/],
      ['/v1/pairs/nope/wait?state=PAIR', 404, /nope/],
    ];
    for (const [url, status, message] of bad) {
      const res = await send('GET', url);
      assert.equal(res.status, status, url);
      assert.match(String(res.body.message), message, url);
    }
    assert.deepEqual(service.calls, []);
  });
});

describe('event stream', () => {
  let app: FastifyInstance;
  let service: PairServiceDouble;
  let base: string;

  before(async () => {
    service = new PairServiceDouble();
    app = controlApi(service);
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    // fetch may keep a spare connection open that would hold close() until keep-alive runs out.
    app.server.closeAllConnections();
    await app.close();
  });

  const event = (to: PairState): ArrayEvent => ({ time: new Date(0).toISOString(), array: 'site-a', pair: 'db', type: 'pair-state', from: 'COPY', to });

  /** Reads newline-delimited lines from a streaming response body. */
  function lineReader(body: ReadableStream<Uint8Array>) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffered = '';
    return {
      reader,
      async next(): Promise<string> {
        for (let reads = 0; reads < 100; reads++) {
          const newline = buffered.indexOf('\n');
          if (newline >= 0) {
            const line = buffered.slice(0, newline);
            buffered = buffered.slice(newline + 1);
            return line;
          }
          const { value, done } = await reader.read();
          if (done) throw new Error('stream ended');
          buffered += decoder.decode(value, { stream: true });
        }
        throw new Error('no line after 100 reads');
      },
    };
  }

  async function waitFor(condition: () => boolean): Promise<void> {
    for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(condition());
  }

  it('sends each event as one JSON line and stays open', async () => {
    const res = await fetch(`${base}/v1/events`, { headers: auth });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/x-ndjson');
    assert.ok(res.body);
    const lines = lineReader(res.body);
    service.events.emit('event', event('PAIR'));
    service.events.emit('event', event('PSUS'));
    assert.deepEqual(JSON.parse(await lines.next()), event('PAIR'));
    assert.deepEqual(JSON.parse(await lines.next()), event('PSUS'));
    await lines.reader.cancel();
  });

  it('refuses a listener without the token', async () => {
    const res = await fetch(`${base}/v1/events`);
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { reason: string }).reason, 'unauthorized');
    assert.equal(service.events.listenerCount('event'), 0);
  });

  it('removes its listener when the client goes away', async () => {
    const controller = new AbortController();
    const res = await fetch(`${base}/v1/events`, { headers: auth, signal: controller.signal });
    assert.equal(service.events.listenerCount('event'), 1);
    controller.abort();
    await res.body?.cancel().catch(() => undefined);
    await waitFor(() => service.events.listenerCount('event') === 0);
    // An event after the client left reaches nobody and does not break the server.
    service.events.emit('event', event('PSUE'));
    const again = await fetch(`${base}/v1/events`, { headers: auth });
    assert.equal(again.status, 200);
    await again.body?.cancel();
    await waitFor(() => service.events.listenerCount('event') === 0);
  });

  it('ends open streams when the server closes', { timeout: 10_000 }, async () => {
    // Default connection handling: only the route's own shutdown hook can end the stream.
    const own = controlApi(service);
    const url = new URL('/v1/events', await own.listen({ host: '127.0.0.1', port: 0 }));
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      request(url, { agent: false, headers: auth }, resolve).on('error', reject).end();
    });
    assert.equal(res.statusCode, 200);
    const ended = new Promise((resolve) => res.on('end', resolve).resume());
    await own.close();
    await ended;
    assert.equal(service.events.listenerCount('event'), 0);
  });
});
