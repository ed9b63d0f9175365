// What the host shell (src/host/agent.ts) reaches the world through. Production: the array's
// control API (src/host/pairedVolumeControl.ts), the OCF scripts (src/host/resources.ts) and the
// heartbeat sockets (src/host/heartbeat.ts); the simulator: src/sim/simHost.ts.
import type { HeartbeatContent } from '../core/agent.js';
import type { ReservationResponse } from '../protocol/control.js';

export interface ReservationOutcome {
  result: ReservationResponse['result'];
  reason?: string;
  message?: string;
}

/** Reserve/release/reset of the determining pair and the takeover of data pairs, on the local array. */
export interface PairControl {
  reserve(pair: string, host: string): Promise<ReservationResponse>;
  release(pair: string, host: string): Promise<ReservationResponse>;
  reset(pair: string): Promise<ReservationResponse>;
  takeOver(pairs: string[]): Promise<{ ok: boolean; detail: string }>;
}

export interface ResourceOutcome {
  ok: boolean;
  detail: string;
}

/** The application's resources: start, stop and monitor them all. */
export interface Resources {
  startAll(): Promise<ResourceOutcome>;
  stopAll(): Promise<ResourceOutcome>;
  monitorAll(): Promise<ResourceOutcome>;
}

/** Sends this host's heartbeat to its peers (the seq and name are added by the sender). */
export interface HeartbeatSender {
  send(message: HeartbeatContent): void;
}
