import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RegionBitmap } from '../../src/core/bitmap.js';

const KiB = 1024;

test('geometry: region count rounds up, bytes hold 8 regions', () => {
  const b = new RegionBitmap(10 * 64 * KiB + 1, 64 * KiB);
  assert.equal(b.regionCount, 11);
  assert.equal(b.bits.length, 2);
  assert.equal(new RegionBitmap(0, 4096).regionCount, 0);
  assert.equal(new RegionBitmap(16 * 4096, 4096).bits.length, 2);
});

test('bad geometry and bad persisted bits are refused', () => {
  assert.throws(() => new RegionBitmap(-1, 4096), RangeError);
  assert.throws(() => new RegionBitmap(4096, 0), RangeError);
  assert.throws(() => new RegionBitmap(4096, 1.5), RangeError);
  assert.throws(() => new RegionBitmap(20 * 4096, 4096, new Uint8Array(2)), /needs 3 bytes/);
});

test('regionsOf: boundaries, a range ending on a boundary, the last partial region', () => {
  const b = new RegionBitmap(10 * 4096 + 100, 4096); // 11 regions, the last one 100 bytes
  assert.deepEqual(b.regionsOf(0, 1), { first: 0, last: 0 });
  assert.deepEqual(b.regionsOf(0, 4096), { first: 0, last: 0 });
  assert.deepEqual(b.regionsOf(0, 4097), { first: 0, last: 1 });
  assert.deepEqual(b.regionsOf(4095, 2), { first: 0, last: 1 });
  assert.deepEqual(b.regionsOf(4096, 4096), { first: 1, last: 1 });
  assert.deepEqual(b.regionsOf(10 * 4096, 100), { first: 10, last: 10 });
  assert.deepEqual(b.regionsOf(10 * 4096 + 99, 1), { first: 10, last: 10 });
  assert.throws(() => b.regionsOf(10 * 4096 + 99, 2), RangeError);
  assert.throws(() => b.regionsOf(-1, 1), RangeError);
  assert.throws(() => b.regionsOf(0, 0), RangeError);
});

test('mark returns only the regions newly set, in order', () => {
  const b = new RegionBitmap(64 * 4096, 4096);
  assert.deepEqual(b.mark(4096 * 3, 4096 * 2), [3, 4]);
  assert.deepEqual(b.mark(4096 * 2, 4096 * 4), [2, 5]);
  assert.deepEqual(b.mark(4096 * 3, 1), []);
  assert.deepEqual(b.mark(100, 0), []);
  assert.equal(b.count(), 4);
  assert.throws(() => b.mark(63 * 4096, 4097), RangeError);
  assert.equal(b.count(), 4, 'a refused mark sets nothing');
});

test('set, clear and isSet report changes; out-of-range regions are refused', () => {
  const b = new RegionBitmap(11 * 4096, 4096);
  assert.equal(b.set(10), true);
  assert.equal(b.set(10), false);
  assert.equal(b.isSet(10), true);
  assert.equal(b.bits[1], 0b100);
  assert.equal(b.clear(10), true);
  assert.equal(b.clear(10), false);
  assert.equal(b.isSet(10), false);
  assert.throws(() => b.set(11), RangeError);
  assert.throws(() => b.isSet(-1), RangeError);
  assert.throws(() => b.clear(0.5), RangeError);
});

test('setAll marks exactly the real regions; clearAll empties', () => {
  const b = new RegionBitmap(11 * 4096, 4096);
  b.setAll();
  assert.equal(b.count(), 11);
  assert.equal(b.bits[1], 0b111);
  b.clearAll();
  assert.equal(b.count(), 0);
  assert.deepEqual([...b.bits], [0, 0]);
});

test('persisted bits are copied and bits past the last region are ignored', () => {
  const raw = Uint8Array.from([0b1000_0001, 0xff]);
  const b = new RegionBitmap(11 * 4096, 4096, raw);
  assert.equal(b.count(), 5);
  assert.equal(b.nextSet(8), 8);
  b.clear(0);
  assert.equal(raw[0], 0b1000_0001, 'the caller buffer is not aliased');
});

test('byteOf gives the byte to persist for a region', () => {
  const b = new RegionBitmap(100 * 4096, 4096);
  assert.equal(b.byteOf(0), 0);
  assert.equal(b.byteOf(7), 0);
  assert.equal(b.byteOf(8), 1);
  assert.equal(b.byteOf(99), 12);
  assert.throws(() => b.byteOf(100), RangeError);
});

test('union is the OR of both sides, leaves both inputs untouched, needs equal geometry', () => {
  const a = new RegionBitmap(20 * 4096, 4096);
  const c = new RegionBitmap(20 * 4096, 4096);
  a.set(1);
  a.set(19);
  c.set(1);
  c.set(8);
  const u = a.union(c);
  assert.deepEqual([0, 1, 8, 19].map((r) => u.isSet(r)), [false, true, true, true]);
  assert.equal(u.count(), 3);
  assert.equal(a.count(), 2);
  assert.equal(c.count(), 2);
  assert.throws(() => a.union(new RegionBitmap(20 * 4096, 8192)), RangeError);
  assert.throws(() => a.union(new RegionBitmap(21 * 4096, 4096)), RangeError);
});

test('nextSet walks set regions across bytes and ends with -1', () => {
  const b = new RegionBitmap(40 * 4096, 4096);
  for (const r of [0, 7, 8, 23, 39]) b.set(r);
  const seen: number[] = [];
  for (let r = b.nextSet(0); r !== -1 && seen.length < 40; r = b.nextSet(r + 1)) seen.push(r);
  assert.deepEqual(seen, [0, 7, 8, 23, 39]);
  assert.equal(b.nextSet(24), 39);
  assert.equal(b.nextSet(40), -1);
  assert.equal(b.nextSet(1000), -1);
  assert.equal(new RegionBitmap(40 * 4096, 4096).nextSet(0), -1);
  assert.throws(() => b.nextSet(-1), RangeError);
});

test('count agrees with the number of set regions on a dense pattern', () => {
  const b = new RegionBitmap(1000 * 4096, 4096);
  let expected = 0;
  for (let r = 0; r < 1000; r += 3) {
    b.set(r);
    expected++;
  }
  assert.equal(b.count(), expected);
});
