// A PairInfo for tests of the layers above the pair layer (API routes, CLI rendering).
import type { PairInfo } from '../../src/protocol/control.js';

/** Pair `name` as site-a (P-VOL, volume NAME-a) sees it with site-b (NAME-b), in PAIR unless overridden. */
export function samplePair(name: string, overrides: Partial<PairInfo> = {}): PairInfo {
  const state = overrides.state ?? 'PAIR';
  return {
    name,
    group: null,
    attribute: 'P-VOL',
    state,
    displayState: state,
    fence: 'never',
    localVolume: `${name}-a`,
    remoteVolume: `${name}-b`,
    localArray: 'site-a',
    remoteArray: 'site-b',
    svolWritable: false,
    copyPercent: 100,
    changedPercent: 0,
    copyRate: 0,
    peerConnected: true,
    holder: null,
    splitBrain: false,
    access: 'read-write',
    ...overrides,
  };
}
