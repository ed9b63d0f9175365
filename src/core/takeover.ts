// SPEC §6.4: what the winner of the determining pair does with each data pair, modelled on
// horctakeover's takeover-switch table (reference §1.6). `remote` is the other side's volume
// as its array reports it, or 'unknown' when it cannot be reached. The table is in
// docs/pair-commands.md ("Takeover by the cluster agent").
import type { Attribute, Fence, PairState } from './types.js';

export type RemoteView = { attribute: Attribute; state: PairState } | 'unknown';

export type TakeoverAction = 'nop' | 'resync' | 'swap' | 'svol-takeover' | 'wait-fenced' | 'reject';

export interface TakeoverDecision {
  action: TakeoverAction;
  reason: string;
  /** The action may lose writes acknowledged by the other side (forced S-VOL takeover). */
  dataLossRisk: boolean;
}

export interface TakeoverLocal {
  attribute: Attribute;
  state: PairState;
  fence: Fence;
}

function act(action: TakeoverAction, reason: string, dataLossRisk = false): TakeoverDecision {
  return { action, reason, dataLossRisk };
}

export function decideTakeover(local: TakeoverLocal, remote: RemoteView, opts: { force: boolean }): TakeoverDecision {
  if (local.attribute === 'SMPL' || local.state === 'SMPL') return act('reject', 'the volume is not paired (SMPL): nothing to take over');
  const expected: Attribute = local.attribute === 'P-VOL' ? 'S-VOL' : 'P-VOL';
  if (remote !== 'unknown' && remote.attribute !== expected) {
    return act('reject', `unconformable: local ${local.attribute}, remote ${remote.attribute}`);
  }
  return local.attribute === 'P-VOL' ? fromPvol(local, remote) : fromSvol(local, remote, opts.force);
}

function fromPvol(local: TakeoverLocal, remote: RemoteView): TakeoverDecision {
  const linkUp = remote !== 'unknown';
  switch (local.state) {
    case 'COPY':
    case 'PAIR':
      return act('nop', 'the P-VOL is already writable');
    case 'PSUS':
      return linkUp ? act('resync', 'suspended and the S side is reachable: resync') : act('nop', 'the P-VOL is writable; resync when the link returns');
    case 'PSUE':
      if (linkUp) return act('resync', 'suspended by failure and the S side is reachable again: resync');
      if (local.fence === 'data' || local.fence === 'status') {
        return act(
          'wait-fenced',
          `fence ${local.fence}: P-VOL writes fail until the link returns and the pair resyncs, or an operator runs pair takeover on the P side`,
        );
      }
      return act('nop', 'fence never: the P-VOL stays writable while suspended');
    default:
      return act('reject', 'the S-VOL was taken over by force (SSWS): an operator must run swap resync from the S-VOL side');
  }
}

function fromSvol(local: TakeoverLocal, remote: RemoteView, force: boolean): TakeoverDecision {
  if (local.state === 'SSWS') {
    return remote === 'unknown'
      ? act('nop', 'the S-VOL was already taken over (SSWS)')
      : act('swap', 'the P side is reachable again: swap resync from the SSWS side reverses the pair');
  }
  if (remote !== 'unknown') {
    switch (remote.state) {
      case 'PAIR':
      case 'PSUS':
        return act('swap', 'the P side is reachable: swap, executed by the P-side array in one atomic step');
      case 'COPY':
        return act('reject', 'the S-VOL is inconsistent while the copy runs (COPY): wait for PAIR, then swap');
      case 'PSUE':
        return act('reject', 'the pair is suspended by failure (PSUE): wait for it to resync, then swap');
      default:
        return act('reject', `the pair is ${remote.state} on the P side: resolve it with swap resync first`);
    }
  }
  if (local.state === 'COPY') return act('reject', 'the S-VOL is inconsistent while the copy runs (COPY): it cannot take over');
  if (local.state === 'PAIR') return act('reject', 'the P side is unreachable but the pair is still PAIR here: wait until the link loss is detected (PSUE)');
  if (!force) {
    return act('reject', 'the P side is unreachable: forced S-VOL takeover (SSWS) needs an operator with --force, never automatic');
  }
  return act('svol-takeover', 'forced S-VOL takeover (SSWS): writes acknowledged by the P-VOL after it was last copied are lost', true);
}
