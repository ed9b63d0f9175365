// Heartbeat over real loopback sockets: TCP and UDP paths, one path down keeps the peer alive,
// both down is silence; malformed messages are ignored and reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { Heartbeat, parseHeartbeat, type HeartbeatMessage, type HeartbeatPath } from '../../src/host/heartbeat.js';

const LOOP = { host: '127.0.0.1', port: 0 };

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Poll (bounded) until the predicate holds. */
async function eventually(pred: () => boolean, what: string, limitMs = 5000): Promise<void> {
  for (let waited = 0; !pred(); waited += 20) {
    assert.ok(waited < limitMs, `not reached: ${what}`);
    await sleep(20);
  }
}

test('messages arrive on both paths; one path down keeps the peer alive; both down is silence', async () => {
  const received: { msg: HeartbeatMessage; path: HeartbeatPath }[] = [];
  const malformed: string[] = [];
  const b = new Heartbeat({
    name: 'host-b',
    tcp: { listen: LOOP, peers: [] },
    udp: { listen: LOOP, peers: [] },
    onMessage: (msg, path) => received.push({ msg, path }),
    onMalformed: (path, _from, problem) => malformed.push(`${path}: ${problem}`),
  });
  const bound = await b.start();
  const mkA = (tcp: boolean, udp: boolean): Heartbeat =>
    new Heartbeat({
      name: 'host-a',
      tcp: { listen: LOOP, peers: tcp ? [bound.tcp] : [] },
      udp: udp ? { listen: LOOP, peers: [bound.udp!] } : null,
      onMessage: () => undefined,
      onMalformed: () => undefined,
    });
  const a = mkA(true, true);
  await a.start();
  const sendUntil = async (pred: () => boolean, what: string): Promise<void> => {
    for (let i = 0; i < 100 && !pred(); i++) {
      a.send({ role: 'ACTIVE', handover: { to: 'host-b', id: 3 } });
      await sleep(20);
    }
    assert.ok(pred(), what);
  };
  await sendUntil(() => received.some((r) => r.path === 'tcp') && received.some((r) => r.path === 'udp'), 'both paths deliver');
  const first = received[0].msg;
  assert.equal(first.name, 'host-a');
  assert.equal(first.role, 'ACTIVE');
  assert.deepEqual(first.handover, { to: 'host-b', id: 3 });
  assert.ok(received.every((r, i) => i === 0 || r.msg.seq >= received[i - 1].msg.seq || r.path !== received[i - 1].path));
  await a.close();

  // TCP path down (no TCP peer configured): UDP alone keeps the peer alive.
  const udpOnly = mkA(false, true);
  await udpOnly.start();
  received.length = 0;
  for (let i = 0; i < 50 && received.length === 0; i++) {
    udpOnly.send({ role: 'STANDBY' });
    await sleep(20);
  }
  assert.ok(received.length > 0 && received.every((r) => r.path === 'udp'));
  const ages = b.pathAges()['host-a'];
  assert.ok(ages.udp! < ages.tcp!, `udp is fresher than tcp: ${JSON.stringify(ages)}`);
  await udpOnly.close();

  // Both paths down: nothing arrives, and both ages grow.
  received.length = 0;
  const before = b.pathAges()['host-a'];
  await sleep(300);
  assert.equal(received.length, 0);
  const after = b.pathAges()['host-a'];
  assert.ok(after.tcp! >= before.tcp! + 250 && after.udp! >= before.udp! + 250);
  assert.deepEqual(malformed, []);
  await b.close();
});

test('malformed heartbeats are ignored and reported, and the listener keeps working', async () => {
  const received: HeartbeatMessage[] = [];
  const malformed: string[] = [];
  const b = new Heartbeat({
    name: 'host-b',
    tcp: { listen: LOOP, peers: [] },
    udp: { listen: LOOP, peers: [] },
    onMessage: (msg) => received.push(msg),
    onMalformed: (path, _from, problem) => malformed.push(`${path}: ${problem}`),
  });
  const bound = await b.start();
  const udp = createSocket('udp4');
  for (const bad of ['not json', '{"name":"x","seq":1,"role":"KING"}', '{"name":"x","seq":1,"role":"ACTIVE","extra":1}', 'x'.repeat(5000)]) {
    udp.send(bad, bound.udp!.port, bound.udp!.host);
  }
  await eventually(() => malformed.length === 4, 'four malformed datagrams reported');
  assert.match(malformed[0], /udp: not JSON/);
  assert.match(malformed.join('\n'), /role/);
  assert.match(malformed.join('\n'), /extra/);
  assert.match(malformed.join('\n'), /longer than 4096/);
  udp.send(JSON.stringify({ name: 'host-x', seq: 1, role: 'STANDBY' }), bound.udp!.port, bound.udp!.host);
  await eventually(() => received.length === 1, 'a good message after the bad ones');
  udp.close();
  await b.close();
});

test('parseHeartbeat accepts a well-formed message and names the bad field otherwise', () => {
  const ok = parseHeartbeat('{"name":"host-a","seq":7,"role":"STANDBY","switchoverRequest":{"to":"host-b","id":2}}');
  assert.deepEqual(ok, { name: 'host-a', seq: 7, role: 'STANDBY', switchoverRequest: { to: 'host-b', id: 2 } });
  assert.match(parseHeartbeat('{"name":"host-a","seq":-1,"role":"STANDBY"}') as string, /seq/);
});
