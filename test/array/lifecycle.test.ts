import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { API, type VolumeListResponse, type VolumeResponse } from '../../src/protocol/control.js';
import { ArrayProcess } from '../helpers/arrayProcess.js';

let array: ArrayProcess;
before(async () => {
  array = await ArrayProcess.start();
});
after(async () => {
  await array.dispose();
});

function qemuIo(uri: string, ...commands: string[]): { status: number | null; out: string } {
  const r = spawnSync('qemu-io', ['-f', 'raw', ...commands.flatMap((c) => ['-c', c]), uri], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, out: r.stdout + r.stderr };
}

async function create(name: string, size: string): Promise<void> {
  const r: VolumeResponse = await array.client().post(API.volumes, { name, size });
  assert.equal(r.result, 'NORMAL', JSON.stringify(r));
}

test('volumes and their data survive a restart and a kill -9', async () => {
  await create('keep', '2M');
  assert.equal(qemuIo(array.nbdUri('keep'), 'write -P 0x5a 0 1M', 'flush').status, 0);
  await array.restart();
  assert.equal(qemuIo(array.nbdUri('keep'), 'read -P 0x5a 0 1M').status, 0);
  await array.kill('SIGKILL');
  await array.restart();
  const list: VolumeListResponse = await array.client().get(API.volumes);
  assert.ok(list.result === 'NORMAL' && list.volumes.some((v) => v.name === 'keep' && v.size === 2 * 1024 * 1024));
  const r = qemuIo(array.nbdUri('keep'), 'read -P 0x5a 0 1M', 'read -P 0 1M 1M');
  assert.equal(r.status, 0, r.out);
});

test('SIGTERM with an NBD client connected shuts down cleanly with exit 0', async () => {
  await create('busy', '1M');
  // nbdsh writes with FUA, says so, then keeps its connection open.
  const script = [
    'h.pwrite(b"\\xab" * 4096, 0, nbd.CMD_FLAG_FUA)',
    'print("written", flush=True)',
    'import time',
    'time.sleep(30)',
  ].join('\n');
  const client = spawn('nbdsh', ['-u', array.nbdUri('busy'), '-c', script], {
    env: { ...process.env, PATH: `/usr/bin:${process.env.PATH}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const clientGone = new Promise((res) => client.once('exit', res));
  try {
    await new Promise<void>((res, rej) => {
      const timer = setTimeout(() => rej(new Error('nbdsh did not write in time')), 15_000);
      client.stdout.setEncoding('utf8').on('data', (d: string) => {
        if (d.includes('written')) {
          clearTimeout(timer);
          res();
        }
      });
      client.once('exit', (code) => rej(new Error(`nbdsh exited early with ${code}`)));
    });
    const status = await array.kill('SIGTERM');
    assert.deepEqual(status, { code: 0, signal: null }, array.stderr);
    assert.match(array.stderr, /stopped cleanly/);
  } finally {
    client.kill('SIGKILL');
    await clientGone;
  }
  await array.restart();
  assert.equal(qemuIo(array.nbdUri('busy'), 'read -P 0xab 0 4k').status, 0);
});

test('a recorded volume whose file vanished is skipped and can be deleted; stray files are left alone', async () => {
  await create('lost', '1M');
  await array.kill('SIGTERM');
  unlinkSync(join(array.dataDir, 'volumes', 'lost.img'));
  const stray = join(array.dataDir, 'volumes', 'stray.img');
  writeFileSync(stray, Buffer.alloc(4096));
  await array.restart();
  assert.match(array.stderr, /"volume":"lost".*volume skipped/);
  assert.match(array.stderr, /stray\.img.*has no volume record/);
  const list: VolumeListResponse = await array.client().get(API.volumes);
  assert.ok(list.result === 'NORMAL' && !list.volumes.some((v) => v.name === 'lost'));
  const recreate: VolumeResponse = await array.client().post(API.volumes, { name: 'lost', size: '1M' });
  assert.equal(recreate.result === 'ABNORMAL' && recreate.reason, 'exists');
  assert.equal((await array.client().delete(API.volume('lost'))).result, 'NORMAL');
  assert.equal((await array.client().post(API.volumes, { name: 'lost', size: '1M' })).result, 'NORMAL');
  assert.ok(existsSync(stray));
});

test('/metrics counts NBD requests and bytes per volume after qemu-io traffic', async () => {
  await create('metered', '1M');
  assert.equal(qemuIo(array.nbdUri('metered'), 'write -P 1 0 64k', 'write -P 2 64k 64k', 'read 0 128k', 'flush').status, 0);
  const res = await fetch(new URL(API.metrics, array.url), { headers: { authorization: `Bearer ${array.token}` } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
  const text = await res.text();
  const sample = (metric: string, labels: string): number => {
    const line = text.split('\n').find((l) => l.startsWith(`${metric}{`) && labels.split(',').every((kv) => l.includes(kv)));
    assert.ok(line, `no ${metric} with ${labels}`);
    return Number(line.split(' ').pop());
  };
  assert.equal(sample('pairvol_nbd_requests_total', 'volume="metered",command="write",result="ok"'), 2);
  assert.equal(sample('pairvol_nbd_bytes_total', 'volume="metered",command="write"'), 128 * 1024);
  assert.equal(sample('pairvol_nbd_bytes_total', 'volume="metered",command="read"'), 128 * 1024);
  assert.ok(sample('pairvol_nbd_request_seconds_count', 'volume="metered",command="flush"') >= 1);
  assert.match(text, /^process_cpu_seconds_total/m);
});
