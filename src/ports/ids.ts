// Fresh identifiers (generations). Production: random UUIDs; the simulator: a counter.
import { randomUUID } from 'node:crypto';

export interface IdSource {
  next(): string;
}

export const randomIds: IdSource = { next: () => randomUUID() };
