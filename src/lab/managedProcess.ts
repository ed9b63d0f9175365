// One `pairvol <command> --config FILE` child process of the lab: started, ready when it prints
// its ready line, killed with a signal and restarted on the same config. Output goes to a log
// file (kept across restarts) and the last part of it is kept in memory for error messages.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { resolve } from 'node:path';

/** The installed entry point; it runs the compiled CLI in dist/. */
export const PAIRVOL_BIN = resolve(import.meta.dirname, '../../bin/pairvol.js');

const READY_TIMEOUT_MS = 15_000;
const EXIT_TIMEOUT_MS = 10_000;
const TAIL_CHARS = 4000;

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class ManagedProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<ExitStatus> | null = null;
  private tail = '';
  private readonly log: WriteStream;

  constructor(
    /** For messages: "array site-a", "host host-b". */
    readonly label: string,
    private readonly args: string[],
    /** Printed on stdout once the process is serving. */
    private readonly readyLine: string,
    logFile: string,
  ) {
    this.log = createWriteStream(logFile, { flags: 'a' });
  }

  get running(): boolean {
    return this.child !== null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The last few thousand characters the process wrote. */
  get output(): string {
    return this.tail;
  }

  /** Spawns the process and resolves once its ready line appeared (bounded). */
  start(): Promise<void> {
    if (this.child) return Promise.reject(new Error(`${this.label} is already running`));
    this.tail = '';
    const child = spawn(process.execPath, [PAIRVOL_BIN, ...this.args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.exited = new Promise((res) =>
      child.once('exit', (code, signal) => {
        if (this.child === child) this.child = null;
        this.log.write(`--- ${this.label} exited (code ${code}, signal ${signal})\n`);
        res({ code, signal });
      }),
    );
    let stdout = '';
    const keep = (text: string): void => {
      this.tail = (this.tail + text).slice(-TAIL_CHARS);
      this.log.write(text);
    };
    child.stderr.setEncoding('utf8').on('data', keep);
    return new Promise((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`${this.label} not ready after ${READY_TIMEOUT_MS} ms; output:\n${this.tail}`)), READY_TIMEOUT_MS);
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        keep(d);
        stdout += d;
        if (stdout.includes(this.readyLine)) {
          clearTimeout(timer);
          res();
        }
      });
      void this.exited?.then((s) => {
        clearTimeout(timer);
        rej(new Error(`${this.label} exited (code ${s.code}, signal ${s.signal}) before it was ready; output:\n${this.tail}`));
      });
    });
  }

  /** Sends a signal and waits (bounded) until the process is gone. A stopped process is a no-op. */
  async kill(signal: NodeJS.Signals): Promise<ExitStatus | null> {
    const child = this.child;
    const exited = this.exited;
    if (!child || !exited) return null;
    child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, rej) => {
      timer = setTimeout(() => rej(new Error(`${this.label} did not exit within ${EXIT_TIMEOUT_MS} ms of ${signal}`)), EXIT_TIMEOUT_MS);
    });
    try {
      return await Promise.race([exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL if still running, then close the log file. */
  async dispose(): Promise<void> {
    await this.kill('SIGKILL');
    await new Promise<void>((res) => this.log.end(res));
  }
}
