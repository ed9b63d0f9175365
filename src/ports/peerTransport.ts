// What the pair layer uses of the remote copy link: one session with the peer array carrying
// requests (JSON, answered or failed) and data frames (acknowledged when the peer applied them).
// Production: src/array/peer/link.ts (TCP); the simulator: src/sim/simNetwork.ts.

/** A throw or rejection makes the remote request() reject with its message. */
export type RequestHandler = (body: any) => unknown | Promise<unknown>; // eslint-disable-line @typescript-eslint/no-explicit-any
/** `data` is a view of the received bytes: copy it if it must outlive the handler's work. */
export type DataHandler = (channel: string, offset: number, data: Buffer, flags: number) => void | Promise<void>;

export interface PeerTransport {
  /** True while a session with the peer is up. */
  readonly connected: boolean;
  readonly peerName: string | null;
  /** Rejects when there is no session, the session drops, or no answer comes in time. */
  request<T = unknown>(kind: string, body: unknown, timeoutMs?: number): Promise<T>;
  /** Resolves when the peer's data handler resolved; rejects if it threw, timed out or the session dropped. */
  sendData(channel: string, offset: number, data: Buffer, flags: number): Promise<void>;
  onData(handler: DataHandler): void;
  onRequest(kind: string, handler: RequestHandler): void;
  /** 'up' with the peer's name; 'down' with the reason. */
  on(event: 'up' | 'down', listener: (detail: string) => void): unknown;
}
