import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FrameDecoder,
  FrameError,
  FrameType,
  MAX_FRAME_BYTES,
  PEER_PROTOCOL_VERSION,
  decodeData,
  decodeHello,
  decodeRequest,
  decodeResponse,
  encodeData,
  encodeHello,
  encodeRequest,
  encodeResponse,
  type FrameTypeValue,
} from '../../src/protocol/peer.js';

function collect() {
  const frames: { type: FrameTypeValue; body: Buffer }[] = [];
  const decoder = new FrameDecoder((type, body) => frames.push({ type, body: Buffer.from(body) }));
  return { frames, decoder };
}

test('frames survive being split at every byte boundary', () => {
  const payload = Buffer.from(Array.from({ length: 300 }, (_, i) => i & 0xff));
  const wire = Buffer.concat([
    ...encodeRequest(7, 'pair.split', { name: 'db', n: [1, 2] }),
    ...encodeData(8, 'db', 2 ** 40 + 4096, payload, 3),
    ...encodeResponse(7, false, { message: 'nope' }),
  ]);
  for (let cut = 1; cut < wire.length; cut++) {
    const { frames, decoder } = collect();
    decoder.push(wire.subarray(0, cut));
    decoder.push(wire.subarray(cut));
    assert.deepEqual(
      frames.map((f) => f.type),
      [FrameType.REQUEST, FrameType.DATA, FrameType.RESPONSE],
      `split at ${cut}`,
    );
    assert.deepEqual(decodeRequest(frames[0].body), { id: 7, kind: 'pair.split', body: { name: 'db', n: [1, 2] } });
    const data = decodeData(frames[1].body);
    assert.equal(data.offset, 2 ** 40 + 4096);
    assert.equal(data.flags, 3);
    assert.equal(data.channel, 'db');
    assert.ok(data.data.equals(payload));
    assert.deepEqual(decodeResponse(frames[2].body), { id: 7, ok: false, body: { message: 'nope' } });
  }
});

test('a frame inside one chunk is handed out as a view of that chunk, not a copy', () => {
  const wire = Buffer.concat(encodeData(1, 'v', 0, Buffer.alloc(4096, 7), 0));
  let body: Buffer | null = null;
  new FrameDecoder((_t, b) => (body = b)).push(wire);
  assert.ok(body);
  assert.equal((body as Buffer).buffer, wire.buffer);
});

test('a frame spread over chunks is assembled into one buffer of exactly its size', () => {
  const payload = Buffer.alloc(200_000, 0x5a);
  const wire = Buffer.concat(encodeData(1, 'v', 0, payload, 0));
  let body: Buffer | null = null;
  const decoder = new FrameDecoder((_t, b) => (body = b));
  for (let i = 0; i < wire.length; i += 65536) decoder.push(wire.subarray(i, i + 65536));
  assert.ok(body);
  assert.equal((body as Buffer).byteLength, wire.length - 5);
  assert.ok(decodeData(body as Buffer).data.equals(payload));
});

test('a length beyond the maximum, a zero length or an unknown type is a FrameError', () => {
  const big = Buffer.alloc(5);
  big.writeUInt32BE(MAX_FRAME_BYTES + 1, 0);
  big.writeUInt8(FrameType.DATA, 4);
  assert.throws(() => collect().decoder.push(big), FrameError);
  assert.throws(() => collect().decoder.push(Buffer.from([0, 0, 0, 0, FrameType.PING])), FrameError);
  assert.throws(() => collect().decoder.push(Buffer.from([0, 0, 0, 1, 0x99])), /unknown frame type/);
});

test('bodies that lie about their inner lengths are FrameErrors', () => {
  const req = Buffer.alloc(6);
  req.writeUInt16BE(50, 4); // kind longer than the body
  assert.throws(() => decodeRequest(req), FrameError);
  assert.throws(() => decodeData(Buffer.alloc(5)), FrameError);
  const badJson = Buffer.concat([Buffer.alloc(5), Buffer.from('{nope')]);
  assert.throws(() => decodeResponse(badJson), /JSON/);
});

test('HELLO carries version and name; another version is reported, not parsed', () => {
  const nonce = Buffer.alloc(32, 1);
  const [head, rest] = encodeHello('site-a', nonce);
  const ours = decodeHello(Buffer.concat([head, rest]).subarray(5));
  assert.equal(ours.version, PEER_PROTOCOL_VERSION);
  assert.equal(ours.name, 'site-a');
  assert.ok(ours.nonce.equals(nonce));
  const theirs = decodeHello(Buffer.concat(encodeHello('site-a', nonce, 99)).subarray(5));
  assert.equal(theirs.version, 99);
});

test('encoding refuses values the wire cannot carry', () => {
  assert.throws(() => encodeData(1, 'v', -1, Buffer.alloc(1), 0), FrameError);
  assert.throws(() => encodeData(1, 'v', 0, Buffer.alloc(1), 2 ** 32), FrameError);
  assert.throws(() => encodeRequest(1, '', {}), FrameError);
});
