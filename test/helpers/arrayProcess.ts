// A real `pairvol array` process for tests: generated config on free ports, started with
// `node bin/pairvol.js array --config`, ready when it prints its ready line.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { ControlClient } from '../../src/protocol/controlClient.js';
import { freePort, makeTempDir, type TempDir } from './tmp.js';

export const PAIRVOL_BIN = resolve(import.meta.dirname, '../../bin/pairvol.js');
const READY_TIMEOUT_MS = 15_000;
const EXIT_TIMEOUT_MS = 15_000;

export interface ArrayProcessOptions {
  name?: string;
  /** Merged over the generated config (e.g. { logLevel: 'debug' }). */
  extraConfig?: Record<string, unknown>;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class ArrayProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<ExitStatus> | undefined;
  /** Everything the current (last) process wrote to stdout / stderr. */
  stdout = '';
  stderr = '';

  private constructor(
    readonly dir: TempDir,
    readonly configPath: string,
    readonly name: string,
    readonly token: string,
    readonly nbdPort: number,
    readonly controlPort: number,
  ) {}

  static async start(opts: ArrayProcessOptions = {}): Promise<ArrayProcess> {
    const name = opts.name ?? 'site-a';
    const dir = makeTempDir(name);
    const [nbdPort, controlPort, peerListen, peerConnect] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const token = `token-${Math.random().toString(36).slice(2)}`;
    const config = {
      name,
      dataDir: './data',
      logLevel: 'info',
      nbd: { listen: `127.0.0.1:${nbdPort}` },
      control: { listen: `127.0.0.1:${controlPort}`, token },
      peer: { listen: `127.0.0.1:${peerListen}`, connect: `127.0.0.1:${peerConnect}`, secret: 'peer-secret' },
      ...opts.extraConfig,
    };
    const configPath = join(dir.path, `${name}.yaml`);
    writeFileSync(configPath, stringify(config));
    const array = new ArrayProcess(dir, configPath, name, token, nbdPort, controlPort);
    try {
      await array.launch();
    } catch (err) {
      dir.remove();
      throw err;
    }
    return array;
  }

  get url(): string {
    return `http://127.0.0.1:${this.controlPort}`;
  }

  get dataDir(): string {
    return join(this.dir.path, 'data');
  }

  client(token = this.token): ControlClient {
    return new ControlClient({ url: this.url, token });
  }

  nbdUri(volume: string): string {
    return `nbd://127.0.0.1:${this.nbdPort}/${volume}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  private launch(): Promise<void> {
    this.stdout = '';
    this.stderr = '';
    const child = spawn(process.execPath, [PAIRVOL_BIN, 'array', '--config', this.configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.exited = new Promise((res) =>
      child.once('exit', (code, signal) => {
        this.child = undefined;
        res({ code, signal });
      }),
    );
    child.stderr.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    return new Promise((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`array not ready after ${READY_TIMEOUT_MS} ms; stderr:\n${this.stderr}`)), READY_TIMEOUT_MS);
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        this.stdout += d;
        if (this.stdout.includes(`pairvol array ${this.name} ready `)) {
          clearTimeout(timer);
          res();
        }
      });
      void this.exited?.then((s) => {
        clearTimeout(timer);
        rej(new Error(`array exited (code ${s.code}, signal ${s.signal}) before ready; stderr:\n${this.stderr}`));
      });
    });
  }

  /** Send a signal and wait until the process is gone. */
  async kill(signal: 'SIGKILL' | 'SIGTERM'): Promise<ExitStatus> {
    const child = this.child;
    const exited = this.exited;
    if (!child || !exited) throw new Error('array is not running');
    child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, rej) => {
      timer = setTimeout(() => rej(new Error(`array did not exit within ${EXIT_TIMEOUT_MS} ms of ${signal}`)), EXIT_TIMEOUT_MS);
    });
    try {
      return await Promise.race([exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Start again on the same config and data (after kill, or SIGTERM first if still running). */
  async restart(): Promise<void> {
    if (this.child) await this.kill('SIGTERM');
    await this.launch();
  }

  /** Kill if running and remove the temporary directory. */
  async dispose(): Promise<void> {
    if (this.child) await this.kill('SIGKILL');
    this.dir.remove();
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `node bin/pairvol.js ...args` to completion. */
export function runPairvol(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 20_000): Promise<CliResult> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [PAIRVOL_BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PAIRVOL_URL: '', PAIRVOL_TOKEN: '', ...env },
      timeout: timeoutMs,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', rej);
    child.once('close', (code) => res({ code, stdout, stderr }));
  });
}
