// Structured logs: JSON lines on stderr (stdout is kept for the one "ready" line and CLI output).
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(name: string, level: string): Logger {
  // Synchronous writes so the last lines before an exit are not lost.
  return pino({ name, level }, pino.destination({ dest: 2, sync: true }));
}
