// Starts an in-process NbdServer over sparse temp files for the NBD tests.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import type { BlockDevice } from '../../src/array/blockDevice.js';
import { FileBlockDevice } from '../../src/array/fileBlockDevice.js';
import { NbdServer, type NbdRequestStats } from '../../src/array/nbd/server.js';
import { StaticExportRegistry } from '../../src/array/nbd/staticRegistry.js';

export interface Harness {
  server: NbdServer;
  port: number;
  dir: string;
  file: FileBlockDevice;
  uri: string;
  stats: NbdRequestStats[];
  warnings: object[];
  stop(): Promise<void>;
}

/** One file-backed export "disk" (sparse, `size` bytes) plus any extra exports. */
export async function startHarness(size = 16 * 1024 * 1024, extra: { name: string; device: BlockDevice; description?: string }[] = []): Promise<Harness> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pairvol-nbd-'));
  const filePath = path.join(dir, 'disk.img');
  fs.writeFileSync(filePath, '');
  fs.truncateSync(filePath, size);
  const file = FileBlockDevice.open(filePath);
  const stats: NbdRequestStats[] = [];
  const warnings: object[] = [];
  const server = new NbdServer({
    registry: new StaticExportRegistry([{ name: 'disk', device: file, description: 'test disk' }, ...extra]),
    onRequest: (s) => stats.push(s),
    logger: { info: () => {}, warn: (o) => warnings.push(o) },
  });
  await server.listen('127.0.0.1', 0);
  return {
    server,
    port: server.port,
    dir,
    file,
    uri: `nbd://127.0.0.1:${server.port}/disk`,
    stats,
    warnings,
    async stop() {
      await server.close();
      file.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a client tool without blocking the event loop (the server lives in this process). */
export function runTool(cmd: string, args: string[], timeoutMs = 60_000): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, PATH: `/usr/bin:${process.env.PATH ?? ''}` } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}
