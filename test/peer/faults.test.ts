// Link faults through the proxies: cut, blackhole, slow, and recovery.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PeerUnavailableError } from '../../src/array/peer/link.js';
import { linkedPair, nextEvent, sleep, startAndWaitUp, until } from './fixtures.js';

/** A handler that never answers, so the caller's promise stays pending until the link drops. */
function never(): Promise<never> {
  return new Promise(() => {});
}

test('a cut link is seen at once on both sides and every pending promise rejects', async (t) => {
  const pair = await linkedPair();
  t.after(() => pair.close());
  pair.b.onRequest('hang', never);
  pair.b.onData(never);
  await startAndWaitUp(pair);

  const pending = [
    pair.a.request('hang', {}),
    pair.a.request('hang', {}),
    pair.a.sendData('db', 0, Buffer.alloc(4096), 0),
    pair.a.sendData('db', 4096, Buffer.alloc(4096), 0),
  ];
  const settled = Promise.allSettled(pending);
  const downA = nextEvent(pair.a, 'down');
  const downB = nextEvent(pair.b, 'down');
  pair.cut.cut();
  const [[reasonA], [reasonB]] = (await Promise.all([downA, downB])) as [[string], [string]];
  // Seen from the closed connection, not from heartbeat silence.
  assert.doesNotMatch(reasonA, /nothing received/);
  assert.doesNotMatch(reasonB, /nothing received/);
  for (const r of await settled) {
    assert.equal(r.status, 'rejected');
    assert.ok(r.reason instanceof PeerUnavailableError);
    assert.notEqual(r.reason.name, 'PeerTimeoutError');
  }
  assert.equal(pair.a.connected, false);
  await assert.rejects(pair.a.request('hang', {}), PeerUnavailableError);
});

test('a blackholed link is declared dead by heartbeat silence; restoring it brings the session back', async (t) => {
  const pair = await linkedPair();
  t.after(() => pair.close());
  pair.b.onRequest('hang', never);
  pair.b.onRequest('echo', (x: unknown) => x);
  await startAndWaitUp(pair);

  const hung = assert.rejects(pair.a.request('hang', {}), (err: Error) => err instanceof PeerUnavailableError && err.name !== 'PeerTimeoutError');
  const downA = nextEvent(pair.a, 'down');
  const downB = nextEvent(pair.b, 'down');
  pair.cut.blackhole();
  const [[reasonA], [reasonB]] = (await Promise.all([downA, downB])) as [[string], [string]];
  assert.match(reasonA, /nothing received for \d+ ms/);
  assert.match(reasonB, /nothing received for \d+ ms/);
  // Rejected because the session died, long before its own request timeout would fire.
  await hung;

  const upA = nextEvent(pair.a, 'up', 10_000);
  const upB = nextEvent(pair.b, 'up', 10_000);
  pair.cut.restore();
  await Promise.all([upA, upB]);
  assert.deepEqual(await pair.a.request('echo', { back: true }), { back: true });
  assert.equal(pair.events.a.up, 2);
  assert.equal(pair.events.b.up, 2);
});

test('after a cut the arrays keep redialing and come back up once the link is restored', async (t) => {
  const pair = await linkedPair();
  t.after(() => pair.close());
  pair.b.onRequest('echo', (x: unknown) => x);
  await startAndWaitUp(pair);
  pair.cut.cut();
  await until(() => !pair.a.connected && !pair.b.connected, 5000, 'both down');
  const upA = nextEvent(pair.a, 'up', 10_000);
  const upB = nextEvent(pair.b, 'up', 10_000);
  pair.cut.restore();
  await Promise.all([upA, upB]);
  assert.equal(await pair.a.request('echo', 7), 7);
  assert.deepEqual(pair.events, { a: { up: 2, down: 1 }, b: { up: 2, down: 1 } });
});

test('a slow link delays but keeps order and content, and the session survives', async (t) => {
  // 40 ms of added delay stays well under the 300 ms of silence the test links allow.
  const pair = await linkedPair();
  t.after(() => pair.close());
  const offsets: number[] = [];
  pair.b.onData((_c, offset, data) => {
    assert.equal(data.readUInt32BE(0), offset);
    offsets.push(offset);
  });
  await startAndWaitUp(pair);
  pair.cut.slow(40);
  const send = (i: number) => {
    const data = Buffer.alloc(8192, i);
    data.writeUInt32BE(i, 0);
    return pair.a.sendData('db', i, data, 0);
  };
  const sends = Array.from({ length: 50 }, (_, i) => send(i));
  await sleep(10); // the first half now sits delayed in the proxy
  pair.cut.restore();
  sends.push(...Array.from({ length: 50 }, (_, i) => send(50 + i))); // must not overtake it
  await Promise.all(sends);
  assert.deepEqual(offsets, Array.from({ length: 100 }, (_, i) => i));
  assert.equal(pair.events.a.down, 0);
});
