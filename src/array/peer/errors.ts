// Errors a PeerLink caller sees. Callers branch on the class: PeerUnavailableError means
// "the peer array cannot be reached now" (SPEC reason peer-unreachable); PeerRemoteError
// means the peer was reached and its handler refused.

/** No session, the session dropped while waiting, or no answer in time. */
export class PeerUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PeerUnavailableError';
  }
}

/** The answer did not come within the timeout; the session may still be up. */
export class PeerTimeoutError extends PeerUnavailableError {
  constructor(message: string) {
    super(message);
    this.name = 'PeerTimeoutError';
  }
}

/** The peer's handler threw; `message` is the peer's error message. */
export class PeerRemoteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PeerRemoteError';
  }
}
