import { test } from 'node:test';
import assert from 'node:assert/strict';
import { onCopyFailure } from '../../src/core/fence.js';
import type { Fence } from '../../src/core/types.js';

// SPEC §3.3: 3 fence levels x whether the S side could be marked PSUE first.
const TABLE: [Fence, boolean, boolean, 'EIO' | null][] = [
  ['data', false, false, 'EIO'],
  ['data', true, false, 'EIO'],
  ['status', false, false, 'EIO'],
  ['status', true, true, null],
  ['never', false, true, null],
  ['never', true, true, null],
];

for (const [fence, marked, ack, errno] of TABLE) {
  test(`copy failure with fence ${fence}, S side ${marked ? '' : 'not '}marked PSUE`, () => {
    assert.deepEqual(onCopyFailure(fence, marked), { ack, errno, markBitmap: true, next: 'PSUE' });
  });
}
