// A pairvol volume as a Linux block device: nbdfuse turns the NBD export into a file, losetup
// turns the file into /dev/loopN, which mkfs, e2fsck and mount take. Every command is bounded
// in time; `detach` undoes the steps in reverse and tolerates steps that never happened.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const COMMAND_TIMEOUT_MS = 60_000;
const READY_TIMEOUT_MS = 10_000;

/** Runs a command to completion; throws with its stderr when it fails. Returns stdout. */
export function sh(cmd: string, args: string[], okCodes: number[] = [0]): { code: number; stdout: string } {
  try {
    return { code: 0, stdout: execFileSync(cmd, args, { encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'pipe'] }) };
  } catch (err) {
    const e = err as { status: number | null; stdout?: string; stderr?: string };
    if (e.status !== null && okCodes.includes(e.status)) return { code: e.status, stdout: e.stdout ?? '' };
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${e.status}): ${e.stderr ?? ''}${e.stdout ?? ''}`);
  }
}

/** Why this machine cannot run the test (empty when it can). */
export function missingPrerequisites(): string[] {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root (for losetup and mount)');
  if (!existsSync('/dev/fuse')) missing.push('/dev/fuse');
  if (!existsSync('/dev/loop-control')) missing.push('/dev/loop-control');
  for (const tool of ['nbdfuse', 'fusermount3', 'losetup', 'mkfs.ext4', 'e2fsck', 'mount', 'umount']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      missing.push(tool);
    }
  }
  return missing;
}

export class LoopVolume {
  private fuse: ChildProcess | null = null;
  private fuseExited: Promise<void> = Promise.resolve();
  /** /dev/loopN once attached. */
  device: string | null = null;
  mountedAt: string | null = null;

  private constructor(
    private readonly fuseDir: string,
    private readonly pidFile: string,
  ) {}

  /** nbdfuse the export into `workDir/<name>-fuse/nbd`, then attach a loop device to that file. */
  static async attach(nbdUri: string, workDir: string, name: string): Promise<LoopVolume> {
    const fuseDir = join(workDir, `${name}-fuse`);
    mkdirSync(fuseDir, { recursive: true });
    const v = new LoopVolume(fuseDir, join(workDir, `${name}-nbdfuse.pid`));
    try {
      await v.startFuse(nbdUri);
      v.device = sh('losetup', ['--find', '--show', join(fuseDir, 'nbd')]).stdout.trim();
    } catch (err) {
      await v.detach();
      throw err;
    }
    return v;
  }

  private async startFuse(nbdUri: string): Promise<void> {
    const child = spawn('nbdfuse', ['-P', this.pidFile, this.fuseDir, nbdUri], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.fuse = child;
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    this.fuseExited = new Promise((resolve) => child.once('exit', () => resolve()));
    // nbdfuse writes its pid file once it serves the file.
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!existsSync(this.pidFile) || readFileSync(this.pidFile, 'utf8').trim() === '') {
      if (child.exitCode !== null) throw new Error(`nbdfuse exited (${child.exitCode}): ${stderr}`);
      if (Date.now() > deadline) throw new Error(`nbdfuse not ready after ${READY_TIMEOUT_MS} ms: ${stderr}`);
      await sleep(50);
    }
  }

  mount(dir: string): void {
    mkdirSync(dir, { recursive: true });
    sh('mount', ['-t', 'ext4', this.device!, dir]);
    this.mountedAt = dir;
  }

  /** Unmounts; the data reaches the array before this returns (umount writes back, then the loop device flushes). */
  unmount(): void {
    if (!this.mountedAt) return;
    sh('umount', [this.mountedAt]);
    this.mountedAt = null;
  }

  /** Undo everything that was done: unmount, detach the loop device, unmount the FUSE file, end nbdfuse. */
  async detach(): Promise<void> {
    if (this.mountedAt) sh('umount', [this.mountedAt], [0, 32]);
    this.mountedAt = null;
    if (this.device) sh('losetup', ['--detach', this.device], [0, 1]);
    this.device = null;
    if (this.fuse && this.fuse.exitCode === null) {
      sh('fusermount3', ['-u', this.fuseDir], [0, 1]);
      const gone = await Promise.race([this.fuseExited.then(() => true), sleep(5000).then(() => false)]);
      if (!gone) this.fuse.kill('SIGKILL');
      await this.fuseExited;
    }
    this.fuse = null;
  }
}
