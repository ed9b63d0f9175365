// Reconnect delays: doubling from minMs to maxMs, each drawn from the upper half of the
// current step so that two arrays that lost the link together do not redial in lockstep.
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly minMs = 100,
    private readonly maxMs = 2000,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    const step = Math.min(this.maxMs, this.minMs * 2 ** this.attempt);
    if (step < this.maxMs) this.attempt += 1;
    return Math.max(this.minMs, Math.round(step * (0.5 + 0.5 * this.random())));
  }

  reset(): void {
    this.attempt = 0;
  }
}
