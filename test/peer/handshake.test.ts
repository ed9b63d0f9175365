// Who may become the session: simultaneous dials, authentication, versions, bad frames.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameType, encodeAuth, encodeEmpty, encodeHello, decodeHello, PEER_PROTOCOL_VERSION } from '../../src/protocol/peer.js';
import { authProof, newNonce } from '../../src/array/peer/auth.js';
import { PeerLink } from '../../src/array/peer/link.js';
import { freeLoopbackPort } from '../../src/lab/faultProxy.js';
import { FAST, RawPeer, captureLogger, linkedPair, nextEvent, sleep, startAndWaitUp, until } from './fixtures.js';

test('both arrays dialing at once end with one session, the one dialed by the name that sorts first', async (t) => {
  const pair = await linkedPair();
  t.after(() => pair.close());
  await startAndWaitUp(pair);
  await sleep(4 * FAST.heartbeatMs); // let the losing connection be closed and any extra event show
  assert.equal(pair.cut.aToB.connections, 1, "site-a's dial is the session");
  assert.equal(pair.cut.bToA.connections, 0, "site-b's dial was closed");
  assert.deepEqual(pair.events, { a: { up: 1, down: 0 }, b: { up: 1, down: 0 } });
});

test("when only the follower's dial gets through, its connection becomes the session", async (t) => {
  const pair = await linkedPair();
  t.after(() => pair.close());
  pair.cut.aToB.setMode('cut');
  await startAndWaitUp(pair);
  assert.equal(pair.cut.bToA.connections, 1);
  assert.deepEqual(pair.events, { a: { up: 1, down: 0 }, b: { up: 1, down: 0 } });
});

test('a wrong secret is refused and logged on both sides; nobody comes up', async (t) => {
  const pair = await linkedPair({ b: { secret: 'not-the-secret' } });
  t.after(() => pair.close());
  await Promise.all([pair.a.start(), pair.b.start()]);
  await until(() => pair.logA.warned('authentication failed') && pair.logB.warned('authentication failed'), 5000, 'refusals logged');
  assert.equal(pair.a.connected, false);
  assert.equal(pair.b.connected, false);
  assert.deepEqual(pair.events, { a: { up: 0, down: 0 }, b: { up: 0, down: 0 } });
});

async function lonelyLink(t: { after(fn: () => Promise<void>): void }) {
  const log = captureLogger();
  const listen = { host: '127.0.0.1', port: await freeLoopbackPort() };
  // Nothing listens where it dials: only the raw test peer can reach it.
  const link = new PeerLink({ name: 'site-a', listen, connect: { host: '127.0.0.1', port: await freeLoopbackPort() }, secret: 's3cret', logger: log.logger, ...FAST });
  let ups = 0;
  link.on('up', () => ups++);
  await link.start();
  t.after(() => link.stop());
  return { link, log, port: listen.port, ups: () => ups };
}

test('a peer speaking another protocol version is refused with a clear log line on both ends', async (t) => {
  const { link, log, port, ups } = await lonelyLink(t);
  const raw = await RawPeer.connect(port);
  t.after(() => raw.destroy());
  raw.send(encodeHello('site-b', newNonce(), PEER_PROTOCOL_VERSION + 1));
  const bye = await raw.take(FrameType.BYE);
  assert.match(bye.toString('utf8'), /protocol version mismatch: ours 1, peer's 2/);
  await until(() => raw.closed, 5000, 'connection closed');
  assert.ok(log.warned('protocol version mismatch'));
  assert.equal(ups(), 0);
  assert.equal(link.connected, false);
});

/** Drives the handshake by hand as 'site-b' (the follower) so the test can misbehave later. */
async function rawSession(port: number, secret: string): Promise<RawPeer> {
  const raw = await RawPeer.connect(port);
  const myNonce = newNonce();
  raw.send(encodeHello('site-b', myNonce));
  const hello = decodeHello(await raw.take(FrameType.HELLO));
  raw.send(encodeAuth(authProof(secret, hello.nonce, 'site-b', hello.name, 'dialer')));
  const theirProof = await raw.take(FrameType.AUTH);
  assert.ok(theirProof.equals(authProof(secret, myNonce, 'site-b', hello.name, 'listener')), 'the link proves it knows the secret');
  raw.send(encodeEmpty(FrameType.READY));
  await raw.take(FrameType.COMMIT);
  return raw;
}

test('a malformed frame closes the session (logged); the link then works for a proper peer', async (t) => {
  const { link, log, port } = await lonelyLink(t);
  const upRaw = nextEvent(link, 'up');
  const raw = await rawSession(port, 's3cret');
  t.after(() => raw.destroy());
  assert.deepEqual(await upRaw, ['site-b']);

  const down = nextEvent(link, 'down');
  raw.send([Buffer.from([0xff, 0xff, 0xff, 0xf0, FrameType.DATA])]); // length far beyond the maximum
  const [reason] = (await down) as [string];
  assert.match(reason, /malformed frame/);
  await until(() => raw.closed, 5000, 'raw connection closed');
  assert.ok(log.warned('protocol error'));

  // A second raw peer sends a REQUEST whose kind length overruns its body.
  const upAgain = nextEvent(link, 'up');
  const raw2 = await rawSession(port, 's3cret');
  t.after(() => raw2.destroy());
  await upAgain;
  const downAgain = nextEvent(link, 'down');
  raw2.send([Buffer.from([0, 0, 0, 7, FrameType.REQUEST, 0, 0, 0, 1, 0, 200])]);
  assert.match(((await downAgain) as [string])[0], /REQUEST kind out of bounds/);

  // A real peer still gets a working session.
  const peer = new PeerLink({ name: 'site-b', listen: { host: '127.0.0.1', port: await freeLoopbackPort() }, connect: { host: '127.0.0.1', port }, secret: 's3cret', ...FAST });
  t.after(() => peer.stop());
  peer.onRequest('ping', () => 'pong');
  const upReal = nextEvent(link, 'up');
  await peer.start();
  await upReal;
  assert.equal(await link.request('ping', {}), 'pong');
});

test('frames other than the handshake before the session is established close the connection', async (t) => {
  const { link, log, port, ups } = await lonelyLink(t);
  const raw = await RawPeer.connect(port);
  t.after(() => raw.destroy());
  raw.send(encodeEmpty(FrameType.COMMIT));
  await until(() => raw.closed, 5000, 'connection closed');
  assert.ok(log.warned('unexpected COMMIT'));
  assert.equal(ups(), 0);
  assert.equal(link.connected, false);
});
