// PeerLink over real TCP on loopback: session set-up, requests, pipelined data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { PeerLink, PeerRemoteError, PeerUnavailableError } from '../../src/array/peer/link.js';
import { freeLoopbackPort } from '../../src/lab/faultProxy.js';
import { linkedPair, startAndWaitUp, until } from './fixtures.js';

test('both sides come up and know each other by name', async (t) => {
  const pair = await linkedPair();
  t.after(() => pair.close());
  assert.equal(pair.a.connected, false);
  await startAndWaitUp(pair);
  assert.equal(pair.a.connected, true);
  assert.equal(pair.b.connected, true);
  assert.equal(pair.a.peerName, 'site-b');
  assert.equal(pair.b.peerName, 'site-a');
  assert.ok(pair.logA.lines.some((l) => l.msg === 'peer link up'));
});

test('requests are answered; a throwing handler rejects the caller with its message', async (t) => {
  const pair = await linkedPair();
  t.after(() => pair.close());
  pair.b.onRequest('echo', (body: { n: number }) => ({ twice: body.n * 2 }));
  pair.b.onRequest('slow-echo', async (body: string) => {
    await new Promise((r) => setTimeout(r, 20));
    return body;
  });
  pair.b.onRequest('refuse', () => {
    throw new Error('pair db is not in PAIR');
  });
  pair.b.onRequest('refuse-later', async () => {
    throw new Error('later no');
  });
  pair.b.onRequest('nothing', () => undefined);
  await startAndWaitUp(pair);

  assert.deepEqual(await pair.a.request('echo', { n: 21 }), { twice: 42 });
  assert.equal(await pair.a.request('slow-echo', 'hi'), 'hi');
  assert.equal(await pair.a.request('nothing', null), undefined);
  await assert.rejects(pair.a.request('refuse', {}), (err: Error) => err instanceof PeerRemoteError && err.message === 'pair db is not in PAIR');
  await assert.rejects(pair.a.request('refuse-later', {}), { name: 'PeerRemoteError', message: 'later no' });
  await assert.rejects(pair.a.request('no-such-kind', {}), /no handler for peer request no-such-kind/);
  // Many at once, answered out of order, each matched to its own caller.
  const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => pair.a.request(i % 2 ? 'slow-echo' : 'echo', i % 2 ? `s${i}` : { n: i })));
  answers.forEach((ans, i) => assert.deepEqual(ans, i % 2 ? `s${i}` : { twice: i * 2 }));
  // And the other direction on the same session.
  pair.a.onRequest('whoami', () => 'site-a');
  assert.equal(await pair.b.request('whoami', {}), 'site-a');
});

test('1000 pipelined data frames reach the handler in send order with intact content', async (t) => {
  // Both arrays and the proxies share one event loop here: allow for stalls while 28 MB move.
  const pair = await linkedPair({ a: { deadAfterMs: 5000 }, b: { deadAfterMs: 5000 } });
  t.after(() => pair.close());
  const received: { channel: string; offset: number; flags: number }[] = [];
  const receivedHash = createHash('sha256');
  pair.b.onData(async (channel, offset, data, flags) => {
    received.push({ channel, offset, flags });
    receivedHash.update(data);
    // Completion order differs from arrival order; delivery order must not.
    if (offset % 3 === 0) await new Promise((r) => setImmediate(r));
  });
  await startAndWaitUp(pair);

  const sentHash = createHash('sha256');
  const sends: Promise<void>[] = [];
  for (let i = 0; i < 1000; i++) {
    const size = i % 10 === 0 ? 256 * 1024 : 4096 + i; // a mix of one-chunk and multi-chunk frames
    const data = Buffer.alloc(size, i & 0xff);
    data.writeUInt32BE(i, 0);
    sentHash.update(data);
    sends.push(pair.a.sendData(i % 2 ? 'db' : 'log', i, data, i & 7));
  }
  await Promise.all(sends);
  assert.equal(received.length, 1000);
  received.forEach((r, i) => assert.deepEqual(r, { channel: i % 2 ? 'db' : 'log', offset: i, flags: i & 7 }));
  assert.equal(receivedHash.digest('hex'), sentHash.digest('hex'));
});

test('a data handler that throws rejects that one send; the session stays up', async (t) => {
  const pair = await linkedPair();
  t.after(() => pair.close());
  pair.b.onData((_c, offset) => {
    if (offset === 512) throw new Error('EIO on S-VOL');
  });
  await startAndWaitUp(pair);
  await assert.rejects(pair.a.sendData('db', 512, Buffer.alloc(512), 0), { name: 'PeerRemoteError', message: 'EIO on S-VOL' });
  await pair.a.sendData('db', 0, Buffer.alloc(512), 0);
  assert.equal(pair.a.connected, true);
});

test('requests and data without a session reject with PeerUnavailableError at once', async () => {
  const link = new PeerLink({
    name: 'site-a',
    listen: { host: '127.0.0.1', port: await freeLoopbackPort() },
    connect: { host: '127.0.0.1', port: await freeLoopbackPort() },
    secret: 'x',
  });
  await assert.rejects(link.request('echo', {}), PeerUnavailableError);
  await assert.rejects(link.sendData('db', 0, Buffer.alloc(1), 0), PeerUnavailableError);
});

test('bad options are refused with a message naming the option', () => {
  const base = { name: 'site-a', listen: { host: '127.0.0.1', port: 1 }, connect: { host: '127.0.0.1', port: 2 }, secret: 'x' };
  assert.throws(() => new PeerLink({ ...base, heartbeatMs: 0 }), /heartbeatMs/);
  assert.throws(() => new PeerLink({ ...base, heartbeatMs: 500, deadAfterMs: 400 }), /deadAfterMs/);
  assert.throws(() => new PeerLink({ ...base, secret: '' }), /secret/);
  assert.throws(() => new PeerLink({ ...base, name: '' }), /name/);
});

test('stop() ends the session: the peer sees down, then up again once restarted', async (t) => {
  const pair = await linkedPair();
  t.after(() => pair.close());
  await startAndWaitUp(pair);
  await pair.b.stop();
  await until(() => !pair.a.connected, 5000, 'A to see the session end');
  assert.equal(pair.events.b.down, 1);
  await pair.b.start();
  await until(() => pair.a.connected && pair.b.connected, 10000, 'both up again');
  assert.equal(pair.events.a.up, 2);
});
