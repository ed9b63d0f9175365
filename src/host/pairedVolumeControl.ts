// Paired volume control (SPEC §6): the host-side library that turns cluster requests into
// array commands. Reserve/release/reset are single calls: the array does FIG.5/FIG.6 atomically.
// Taking over the data pairs (§6.4) is decided per pair by decideTakeover and never forces.
import { decideTakeover, type RemoteView, type TakeoverDecision } from '../core/takeover.js';
import { API, type PairInfo, type PairResponse, type ReservationResponse } from '../protocol/control.js';
import type { ControlClient } from '../protocol/controlClient.js';

export interface PairTakeoverStep {
  pair: string;
  decision: TakeoverDecision | null;
  /** The command issued (swap/resync), if any, and how it ended. */
  issued: 'swap' | 'resync' | null;
  ok: boolean;
  detail: string;
}

export interface TakeoverReport {
  ok: boolean;
  detail: string;
  steps: PairTakeoverStep[];
}

/** The other side as the local array sees it: unknown when the peer array is not connected. */
export function remoteView(info: PairInfo): RemoteView {
  if (!info.peerConnected) return 'unknown';
  return { attribute: info.attribute === 'P-VOL' ? 'S-VOL' : info.attribute === 'S-VOL' ? 'P-VOL' : 'SMPL', state: info.state };
}

export class PairedVolumeControl {
  constructor(private readonly client: ControlClient) {}

  reserve(pair: string, host: string): Promise<ReservationResponse> {
    return this.client.post(API.pairCommand(pair, 'reserve'), { host });
  }

  release(pair: string, host: string): Promise<ReservationResponse> {
    return this.client.post(API.pairCommand(pair, 'release'), { host });
  }

  reset(pair: string): Promise<ReservationResponse> {
    return this.client.post(API.pairCommand(pair, 'reset'), {});
  }

  pair(name: string): Promise<PairResponse> {
    return this.client.get(API.pair(name));
  }

  /** Make every listed data pair writable here, as far as §6.4 allows without an operator. */
  async takeOver(pairs: string[]): Promise<TakeoverReport> {
    const steps: PairTakeoverStep[] = [];
    for (const name of pairs) steps.push(await this.takeOverOne(name));
    const failed = steps.filter((s) => !s.ok);
    const detail = steps.map((s) => `${s.pair}: ${s.detail}`).join('; ') || 'no data pairs';
    return { ok: failed.length === 0, detail, steps };
  }

  private async takeOverOne(name: string): Promise<PairTakeoverStep> {
    const res = await this.pair(name);
    if (res.result === 'ABNORMAL') return { pair: name, decision: null, issued: null, ok: false, detail: `cannot read pair: ${res.reason}: ${res.message}` };
    const info = res.pair;
    const decision = decideTakeover({ attribute: info.attribute, state: info.state, fence: info.fence }, remoteView(info), { force: false });
    switch (decision.action) {
      case 'nop':
      case 'wait-fenced':
        return { pair: name, decision, issued: null, ok: true, detail: `${decision.action}: ${decision.reason}` };
      case 'swap': {
        // Not swap resync: FIG.4 ref. 131 refuses it in PAIR. Takeover from the S side with the P
        // side reachable is the planned swap (also from PAIR), and without force it never goes SSWS.
        const r = await this.client.post(API.pairCommand(name, 'takeover'), {});
        const ok = r.result === 'NORMAL';
        return { pair: name, decision, issued: 'swap', ok, detail: ok ? 'swapped: this side is the P-VOL' : `swap failed: ${r.reason}: ${r.message}` };
      }
      case 'resync': {
        // The P-VOL is writable either way; a failed resync only delays the copy.
        const r = await this.client.post(API.pairCommand(name, 'resync'), {});
        return { pair: name, decision, issued: 'resync', ok: true, detail: r.result === 'NORMAL' ? 'resync started' : `resync not started (${r.reason}): ${r.message}` };
      }
      case 'svol-takeover':
        return { pair: name, decision, issued: null, ok: false, detail: `needs an operator: ${decision.reason} (pairvol pair takeover ${name} --force)` };
      case 'reject':
        return { pair: name, decision, issued: null, ok: false, detail: `rejected: ${decision.reason}` };
    }
  }
}
