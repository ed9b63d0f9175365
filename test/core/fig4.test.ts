import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fig4Response } from '../../src/core/fig4.js';
import type { Fig4State, ResyncCommand } from '../../src/core/fig4.js';

// SPEC §3.1, copied cell by cell (not derived from the implementation).
const FIG4: [ResyncCommand, 'P-VOL' | 'S-VOL', Fig4State, 'NORMAL' | 'ABNORMAL'][] = [
  ['resync', 'P-VOL', 'SMPL', 'ABNORMAL'],
  ['resync', 'P-VOL', 'COPY', 'ABNORMAL'],
  ['resync', 'P-VOL', 'PAIR', 'ABNORMAL'], // ref. 130
  ['resync', 'P-VOL', 'PSUS', 'NORMAL'],
  ['resync', 'P-VOL', 'PSUE', 'NORMAL'],
  ['resync', 'S-VOL', 'SMPL', 'ABNORMAL'],
  ['resync', 'S-VOL', 'COPY', 'ABNORMAL'],
  ['resync', 'S-VOL', 'PAIR', 'ABNORMAL'],
  ['resync', 'S-VOL', 'PSUS', 'ABNORMAL'],
  ['resync', 'S-VOL', 'PSUE', 'ABNORMAL'],
  ['swap', 'P-VOL', 'SMPL', 'ABNORMAL'],
  ['swap', 'P-VOL', 'COPY', 'ABNORMAL'],
  ['swap', 'P-VOL', 'PAIR', 'ABNORMAL'],
  ['swap', 'P-VOL', 'PSUS', 'ABNORMAL'],
  ['swap', 'P-VOL', 'PSUE', 'ABNORMAL'],
  ['swap', 'S-VOL', 'SMPL', 'ABNORMAL'],
  ['swap', 'S-VOL', 'COPY', 'ABNORMAL'],
  ['swap', 'S-VOL', 'PAIR', 'ABNORMAL'], // ref. 131
  ['swap', 'S-VOL', 'PSUS', 'NORMAL'],
  ['swap', 'S-VOL', 'PSUE', 'ABNORMAL'],
];

test('FIG.4 has 20 distinct cells', () => {
  assert.equal(new Set(FIG4.map(([c, s, st]) => `${c}/${s}/${st}`)).size, 20);
});

for (const [cmd, side, state, end] of FIG4) {
  test(`FIG.4: ${cmd} given to ${side} in ${state} -> ${end}`, () => {
    assert.equal(fig4Response(cmd, side, state), end);
  });
}
