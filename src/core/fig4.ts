// SPEC §3.1 (seed FIG.4): how the array answers pair resync and pair swap resync.
// This table is the whole acceptance rule for both commands in the five states it names;
// the determining pair (§6) relies on it: refs. 130 and 131 are what make a second
// reserver lose.
import type { End } from './types.js';

export type ResyncCommand = 'resync' | 'swap';
export type Fig4State = 'SMPL' | 'COPY' | 'PAIR' | 'PSUS' | 'PSUE';

/** Which states answer NORMAL END, per command and per side the command was given to. */
const NORMAL_IN: Record<ResyncCommand, Record<'P-VOL' | 'S-VOL', readonly Fig4State[]>> = {
  resync: { 'P-VOL': ['PSUS', 'PSUE'], 'S-VOL': [] },
  swap: { 'P-VOL': [], 'S-VOL': ['PSUS'] },
};

export function fig4Response(cmd: ResyncCommand, givenTo: 'P-VOL' | 'S-VOL', state: Fig4State): End {
  return NORMAL_IN[cmd][givenTo].includes(state) ? 'NORMAL' : 'ABNORMAL';
}
