// Invariants asserted in the code (TigerBeetle style): a broken one stops the process with a
// clear message instead of letting it run on with a state nobody designed for. The daemons
// install a handler that logs and exits; the simulator one that records the violation.

export class InvariantError extends Error {
  constructor(message: string) {
    super(`invariant violated: ${message}`);
    this.name = 'InvariantError';
  }
}

type ViolationHandler = (err: InvariantError) => void;
let onViolation: ViolationHandler = () => undefined;

/** Called with every violation before it is thrown (the daemons exit there). */
export function setInvariantHandler(handler: ViolationHandler): void {
  onViolation = handler;
}

export function invariant(condition: boolean, message: () => string): asserts condition {
  if (condition) return;
  const err = new InvariantError(message());
  onViolation(err);
  throw err;
}

/** The daemons' handler: the message on stderr, then exit 70 (EX_SOFTWARE) so a supervisor restarts it. */
export function exitOnViolation(err: InvariantError): void {
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exit(70);
}
