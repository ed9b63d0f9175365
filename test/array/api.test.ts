import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync, writeFileSync } from 'node:fs';
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

async function raw(method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(new URL(path, array.url), { method, headers, body, signal: AbortSignal.timeout(5000) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function volumeNames(): Promise<string[]> {
  const res: VolumeListResponse = await array.client().get(API.volumes);
  assert.equal(res.result, 'NORMAL');
  return res.volumes.map((v) => v.name);
}

test('a missing or wrong token gets 401 unauthorized and changes nothing', async () => {
  const before = await volumeNames();
  const body = JSON.stringify({ name: 'intruder', size: '1M' });
  for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: array.token }] as Record<string, string>[]) {
    const r = await raw('POST', API.volumes, { ...headers, 'content-type': 'application/json' }, body);
    assert.equal(r.status, 401);
    assert.equal(r.json.result, 'ABNORMAL');
    assert.equal(r.json.reason, 'unauthorized');
  }
  const metrics = await raw('GET', '/v1/nothing-here', {});
  assert.equal(metrics.status, 401);
  assert.deepEqual(await volumeNames(), before);
  assert.equal(existsSync(join(array.dataDir, 'volumes', 'intruder.img')), false);
});

test('malformed JSON and schema errors are 400 bad-request with a message', async () => {
  const auth = { authorization: `Bearer ${array.token}`, 'content-type': 'application/json' };
  const broken = await raw('POST', API.volumes, auth, '{"name": "x", ');
  assert.equal(broken.status, 400);
  assert.equal(broken.json.reason, 'bad-request');
  assert.match(String(broken.json.message), /JSON/i);

  const wrongShape = await raw('POST', API.volumes, auth, JSON.stringify({ name: 7, size: '1M', colour: 'red' }));
  assert.equal(wrongShape.status, 400);
  assert.match(String(wrongShape.json.message), /name/);
  assert.match(String(wrongShape.json.message), /colour/);

  const noSize = await raw('POST', API.volumes, auth, JSON.stringify({ name: 'nosize' }));
  assert.equal(noSize.status, 400);
  assert.match(String(noSize.json.message), /size/);
  assert.ok(!(await volumeNames()).includes('nosize'));
});

test('unknown routes are 404 not-found', async () => {
  const r = await raw('GET', '/v1/nothing-here', { authorization: `Bearer ${array.token}` });
  assert.equal(r.status, 404);
  assert.equal(r.json.reason, 'not-found');
});

test('volume create, inspect, list, delete', async () => {
  const client = array.client();
  const created: VolumeResponse = await client.post(API.volumes, { name: 'vol-a', size: '4M' });
  assert.equal(created.result, 'NORMAL');
  assert.equal(created.volume.size, 4 * 1024 * 1024);
  assert.equal(statSync(created.volume.path).size, 4 * 1024 * 1024);
  // Sparse: no data blocks were written.
  assert.ok(statSync(created.volume.path).blocks * 512 < 1024 * 1024);

  const inspected: VolumeResponse = await client.get(API.volume('vol-a'));
  assert.deepEqual(inspected, created);
  assert.ok((await volumeNames()).includes('vol-a'));

  const deleted: VolumeResponse = await client.delete(API.volume('vol-a'));
  assert.equal(deleted.result, 'NORMAL');
  assert.equal(existsSync(created.volume.path), false);
  assert.ok(!(await volumeNames()).includes('vol-a'));

  const again: VolumeResponse = await client.delete(API.volume('vol-a'));
  assert.equal(again.result === 'ABNORMAL' && again.reason, 'not-found');
  const gone: VolumeResponse = await client.get(API.volume('vol-a'));
  assert.equal(gone.result === 'ABNORMAL' && gone.reason, 'not-found');
});

test('a duplicate name is refused with exists; bad names and sizes with bad-request', async () => {
  const client = array.client();
  assert.equal((await client.post(API.volumes, { name: 'dup', size: 1024 * 1024 })).result, 'NORMAL');
  const dup: VolumeResponse = await client.post(API.volumes, { name: 'dup', size: '2M' });
  assert.equal(dup.result === 'ABNORMAL' && dup.reason, 'exists');
  const still: VolumeResponse = await client.get(API.volume('dup'));
  assert.equal(still.result === 'NORMAL' && still.volume.size, 1024 * 1024);

  for (const body of [
    { name: 'odd', size: 1000 },
    { name: 'zero', size: '0' },
    { name: 'words', size: 'big' },
    { name: 'has/slash', size: '1M' },
    { name: 'x'.repeat(65), size: '1M' },
  ]) {
    const r: VolumeResponse = await client.post(API.volumes, body);
    assert.equal(r.result === 'ABNORMAL' && r.reason, 'bad-request', JSON.stringify(body));
  }
  const names = await volumeNames();
  for (const name of ['odd', 'zero', 'words']) assert.ok(!names.includes(name));
});

test('an existing file can be adopted as a volume and is not removed on delete', async () => {
  const file = join(array.dir.path, 'external.img');
  writeFileSync(file, Buffer.alloc(8192, 1));
  const client = array.client();
  const wrongSize: VolumeResponse = await client.post(API.volumes, { name: 'ext', size: '1M', path: file });
  assert.equal(wrongSize.result === 'ABNORMAL' && wrongSize.reason, 'bad-request');
  const adopted: VolumeResponse = await client.post(API.volumes, { name: 'ext', path: file });
  assert.equal(adopted.result === 'NORMAL' && adopted.volume.size, 8192);
  const twice: VolumeResponse = await client.post(API.volumes, { name: 'ext2', path: file });
  assert.equal(twice.result === 'ABNORMAL' && twice.reason, 'exists');
  assert.equal((await client.delete(API.volume('ext'))).result, 'NORMAL');
  assert.equal(statSync(file).size, 8192);
});

test('health names the array', async () => {
  const r = await array.client().get<{ name: string; uptimeSeconds: number }>(API.health);
  assert.equal(r.result === 'NORMAL' && r.name, 'site-a');
});
