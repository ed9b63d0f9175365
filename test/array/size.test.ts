import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSize, parseSize, SizeError } from '../../src/util/size.js';

test('sizes with units are binary multiples', () => {
  assert.equal(parseSize('512K'), 512 * 1024);
  assert.equal(parseSize('64M'), 64 * 1024 ** 2);
  assert.equal(parseSize('1g'), 1024 ** 3);
  assert.equal(parseSize('2MiB'), 2 * 1024 ** 2);
  assert.equal(parseSize('4096'), 4096);
  assert.equal(parseSize('1024B'), 1024);
  assert.equal(parseSize(8192), 8192);
});

test('sizes that are not positive multiples of 512 are refused', () => {
  for (const bad of ['0', '1000', 'lots', '64X', '-512', '1.5M', 0, 513, -512, 1.5]) {
    assert.throws(() => parseSize(bad), SizeError, String(bad));
  }
});

test('formatSize uses the largest exact unit and round-trips', () => {
  assert.equal(formatSize(64 * 1024 ** 2), '64M');
  assert.equal(formatSize(1536), '1536');
  assert.equal(formatSize(3 * 1024), '3K');
  for (const s of ['64M', '1G', '512K', '1536']) assert.equal(formatSize(parseSize(s)), s);
});
