// SPEC §3.2: whether a host may read and write a volume, by attribute and pair state.
import type { Attribute, Fence, PairState } from './types.js';

export interface AccessView {
  attribute: Attribute;
  state: PairState;
  fence: Fence;
  svolWritable: boolean;
  pvolTakeover: boolean;
}

export interface HostAccess {
  read: boolean;
  /** EPERM: the volume is read-only in this state. EIO: the P-VOL is fenced (fence data, PSUE). */
  write: 'allowed' | 'EPERM' | 'EIO';
}

const READ_WRITE: HostAccess = { read: true, write: 'allowed' };
const READ_ONLY: HostAccess = { read: true, write: 'EPERM' };

export function hostAccess(v: AccessView): HostAccess {
  if (v.attribute === 'SMPL' || v.state === 'SMPL') return READ_WRITE;
  return v.attribute === 'P-VOL' ? pvolAccess(v) : svolAccess(v);
}

function pvolAccess(v: AccessView): HostAccess {
  switch (v.state) {
    case 'PSUE':
      // Fence data: writes fail until resync or an operator's P-VOL takeover (§3.3).
      return v.fence === 'data' && !v.pvolTakeover ? { read: true, write: 'EIO' } : READ_WRITE;
    case 'SSWS':
      // The S-VOL took over by force and its data will overwrite this volume by swap resync.
      return READ_ONLY;
    default:
      return READ_WRITE;
  }
}

function svolAccess(v: AccessView): HostAccess {
  switch (v.state) {
    case 'SSWS':
      return READ_WRITE;
    case 'PSUS':
      return v.svolWritable ? READ_WRITE : READ_ONLY;
    default:
      // COPY included: reads are served but show a volume still being copied (inconsistent).
      return READ_ONLY;
  }
}
