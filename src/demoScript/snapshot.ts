// One look at the whole lab, taken every ~500 ms by the demo: both hosts' agents, both arrays'
// pairs, the records each host's application got acknowledged, and what the demo has broken.
import { SITES, type Lab, type LabStatus, type Site } from '../lab/lab.js';
import type { PairInfo } from '../protocol/control.js';

export interface LabSnapshot {
  status: LabStatus;
  acks: Record<Site, number>;
  appRunning: Record<Site, boolean>;
  /** Faults the demo has injected and not yet healed ("remote copy link cut", ...). */
  faults: string[];
}

export async function takeSnapshot(lab: Lab, faults: readonly string[]): Promise<LabSnapshot> {
  const status = await lab.status();
  return {
    status,
    acks: { a: lab.acks('a'), b: lab.acks('b') },
    appRunning: { a: lab.appPid('a') !== null, b: lab.appPid('b') !== null },
    faults: [...faults],
  };
}

/** The hosts whose agents said ACTIVE in this snapshot. */
export function activeSites(s: LabSnapshot): Site[] {
  return SITES.filter((site) => s.status.hosts[site]?.role === 'ACTIVE');
}

/** The site whose array reported itself the P-VOL of the data pair (null when none answered so). */
export function dataPrimary(s: LabSnapshot): Site | null {
  return SITES.find((site) => s.status.arrays[site].db?.attribute === 'P-VOL') ?? null;
}

export function dataPair(s: LabSnapshot, site: Site): PairInfo | null {
  return s.status.arrays[site].db;
}
