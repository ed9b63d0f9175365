// Temporary directories and free TCP ports for tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDir {
  path: string;
  remove(): void;
}

export function makeTempDir(prefix: string): TempDir {
  const path = mkdtempSync(join(tmpdir(), `pairvol-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A free port on 127.0.0.1 (below the ephemeral range, so client connections cannot take it). */
export { freeLoopbackPort as freePort } from '../../src/lab/freePort.js';
