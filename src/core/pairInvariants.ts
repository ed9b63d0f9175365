// What a pair record may hold, checked before every save (src/array/pairs/pairManager.ts).
// Which flags belong to which side and state is decided here, once:
//   resyncPending — the P side's promise to copy when it can; never on an S-VOL, never with split brain.
//   swapping      — an old P-VOL that handed its role over: it is the S-VOL now.
//   remoteMarked  — fence status only, on the P-VOL.
//   pvolTakeover  — the P-VOL in PSUE (fence data lifted by the operator).
//   splitBrain    — never while copying or paired (the pair is suspended until the operator chooses).
//   svolWritable  — only while split (PSUS) or suspended (PSUE).
import { invariant } from './assert.js';
import type { Attribute, Fence, PairState } from './types.js';
import type { Generation } from './generation.js';

export interface RecordFlags {
  name: string;
  attribute: Exclude<Attribute, 'SMPL'>;
  state: PairState;
  fence: Fence;
  svolWritable: boolean;
  pvolTakeover: boolean;
  splitBrain: boolean;
  resyncPending: boolean;
  remoteMarked: boolean;
  swapping: boolean;
  copyTotal: number;
  generation: Generation;
}

export function pairRecordProblem(r: RecordFlags): string | null {
  if (r.attribute !== 'P-VOL' && r.attribute !== 'S-VOL') return `attribute ${String(r.attribute)}`;
  if (r.state === 'SMPL') return 'a pair record in SMPL';
  if (r.resyncPending && r.attribute !== 'P-VOL') return 'resyncPending on an S-VOL';
  if (r.resyncPending && r.splitBrain) return 'resyncPending with split brain';
  if (r.swapping && r.attribute !== 'S-VOL') return 'swapping on a P-VOL';
  if (r.remoteMarked && (r.attribute !== 'P-VOL' || r.fence !== 'status')) return `remoteMarked on a ${r.attribute} with fence ${r.fence}`;
  if (r.pvolTakeover && (r.attribute !== 'P-VOL' || r.state !== 'PSUE')) return `pvolTakeover on a ${r.attribute} in ${r.state}`;
  if (r.splitBrain && (r.state === 'COPY' || r.state === 'PAIR')) return `split brain in ${r.state}`;
  if (r.svolWritable && r.state !== 'PSUS' && r.state !== 'PSUE') return `svolWritable in ${r.state}`;
  if (!Number.isInteger(r.copyTotal) || r.copyTotal < 0) return `copyTotal ${r.copyTotal}`;
  if (!r.generation || typeof r.generation.current !== 'string' || r.generation.current === '') return 'no generation';
  return null;
}

export function assertPairRecord(r: RecordFlags): void {
  const problem = pairRecordProblem(r);
  invariant(problem === null, () => `pair ${r.name} (${r.attribute} ${r.state}): ${problem}`);
}
