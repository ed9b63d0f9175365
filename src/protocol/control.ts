// The command device (array control API, SPEC §5): paths and JSON shapes shared by the
// array's HTTP server, the CLI and the host agent. Every response body is a CommandResult:
// { result: 'NORMAL', ...data } or { result: 'ABNORMAL', reason, message }.
// HTTP status: 200 NORMAL; 400 bad-request; 401 unauthorized; 404 not-found; 409 any other
// ABNORMAL END (invalid-state, peer-unreachable, held-by-other, ...); 500 io-error.
import type { Attribute, CommandResult, Fence, PairState, Reason } from '../core/types.js';

export const API = {
  health: '/v1/health', // GET
  volumes: '/v1/volumes', // GET list, POST create {name, size}
  volume: (name: string) => `/v1/volumes/${encodeURIComponent(name)}`, // GET, DELETE
  pairs: '/v1/pairs', // GET list, POST create (PairCreateRequest)
  pair: (name: string) => `/v1/pairs/${encodeURIComponent(name)}`, // GET, DELETE
  pairCommand: (name: string, cmd: PairCommandName) => `/v1/pairs/${encodeURIComponent(name)}/${cmd}`, // POST
  pairWait: (name: string) => `/v1/pairs/${encodeURIComponent(name)}/wait`, // GET ?state=PAIR&timeout=10
  groupCommand: (group: string, cmd: 'split' | 'resync') => `/v1/groups/${encodeURIComponent(group)}/${cmd}`, // POST
  events: '/v1/events', // GET, newline-delimited JSON stream of ArrayEvent
  metrics: '/metrics', // GET, Prometheus text (token required too)
} as const;

export type PairCommandName = 'split' | 'resync' | 'swap' | 'takeover' | 'reserve' | 'release' | 'reset';

export interface VolumeInfo {
  name: string;
  size: number;
  path: string;
  /** Pair this volume belongs to, if any. */
  pair?: string;
}

export interface VolumeCreateRequest {
  name: string;
  /** Bytes, or a string with a unit suffix: "64M", "1G", "512K". */
  size: number | string;
  /** Optional raw device / existing file path instead of a sparse file in dataDir. */
  path?: string;
}

export interface PairCreateRequest {
  name: string;
  pvol: string; // local volume (this array holds the P-VOL)
  svol: string; // volume name on the peer array
  fence?: Fence; // default 'never' for data pairs
  nocopy?: boolean;
  group?: string;
  /** Initial copy / resync rate limit in bytes per second; 0 = unlimited. */
  pace?: number;
}

export interface SplitRequest {
  svolWritable?: boolean;
}
export interface ResyncRequest {
  /** Operator choice after split brain: which side's data is discarded. */
  discard?: 'local' | 'remote';
}
export interface TakeoverRequest {
  force?: boolean;
}
export interface ReservationRequest {
  host: string;
}

/** One pair as seen from the array that answers. */
export interface PairInfo {
  name: string;
  group: string | null;
  /** Attribute of this array's volume. */
  attribute: Attribute;
  state: PairState;
  /** State as an operator reads it on this side (SSUS for PSUS on the S-VOL side). */
  displayState: string;
  fence: Fence;
  localVolume: string;
  remoteVolume: string;
  localArray: string;
  remoteArray: string;
  svolWritable: boolean;
  /** Copy progress 0..100 (COPY), 100 in PAIR. */
  copyPercent: number;
  /** Share of regions marked changed in the union of known bitmaps, 0..100. */
  changedPercent: number;
  /** Copy rate in bytes/s while copying. */
  copyRate: number;
  peerConnected: boolean;
  /** Host holding the local reservation of this (determining) pair, if any. */
  holder: string | null;
  /** True when the pair refuses automatic resync after a split brain. */
  splitBrain: boolean;
  /** Whether hosts may write this array's volume right now, and why not. */
  access: 'read-write' | 'read-only' | 'none';
}

export interface ArrayEvent {
  time: string; // ISO
  array: string;
  pair?: string;
  type: 'pair-state' | 'reservation' | 'peer' | 'volume';
  from?: PairState;
  to?: PairState;
  attribute?: Attribute;
  holder?: string | null;
  detail?: string;
}

export type HealthResponse = CommandResult<{ name: string; peerConnected: boolean; uptimeSeconds: number }>;
export type VolumeListResponse = CommandResult<{ volumes: VolumeInfo[] }>;
export type VolumeResponse = CommandResult<{ volume: VolumeInfo }>;
export type PairListResponse = CommandResult<{ pairs: PairInfo[] }>;
export type PairResponse = CommandResult<{ pair: PairInfo }>;
export type ReservationResponse = CommandResult<{ pair: PairInfo; action: 'renewed' | 'reserved' | 'released' | 'reset' }>;

export function httpStatusFor(reason: Reason): number {
  switch (reason) {
    case 'bad-request':
      return 400;
    case 'unauthorized':
      return 401;
    case 'not-found':
      return 404;
    case 'io-error':
      return 500;
    default:
      return 409;
  }
}
