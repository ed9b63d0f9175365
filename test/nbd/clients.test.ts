// The NBD server driven by real clients we did not write: nbdinfo, nbdsh (libnbd), qemu-io,
// qemu-img, nbdcopy and fio.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { runTool, startHarness, type Harness } from './harness.js';

const MiB = 1024 * 1024;

describe('NBD server with standard clients', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness(32 * MiB);
  });
  after(async () => {
    await h.stop();
  });

  it('nbdinfo --list shows the export with its description', async () => {
    const r = await runTool('nbdinfo', ['--list', '--json', `nbd://127.0.0.1:${h.port}`]);
    assert.equal(r.code, 0, r.stderr);
    const info = JSON.parse(r.stdout) as { exports: { 'export-name': string; description?: string; 'export-size': number }[] };
    assert.deepEqual(
      info.exports.map((e) => [e['export-name'], e.description, e['export-size']]),
      [['disk', 'test disk', 32 * MiB]],
    );
  });

  it('nbdinfo reports size, flags and block sizes', async () => {
    const r = await runTool('nbdinfo', ['--json', h.uri]);
    assert.equal(r.code, 0, r.stderr);
    const e = (JSON.parse(r.stdout) as { exports: Record<string, unknown>[] }).exports[0];
    assert.equal(e['export-name'], 'disk');
    assert.equal(e['export-size'], 32 * MiB);
    assert.equal(e['is_read_only'], false);
    assert.equal(e['can_flush'], true);
    assert.equal(e['can_fua'], true);
    assert.equal(e['can_multi_conn'], true);
    assert.equal(e['block_size_minimum'], 1);
    assert.equal(e['block_size_preferred'], 4096);
    assert.equal(e['block_size_maximum'], 32 * MiB);
  });

  it('nbdinfo --size fails cleanly for an unknown export', async () => {
    const r = await runTool('nbdinfo', ['--size', `nbd://127.0.0.1:${h.port}/nope`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /nope/);
  });

  it('nbdsh: pwrite/pread, FUA, flush, zero, trim and a refused fast zero', async () => {
    const script = [
      'assert h.get_size() == 32 * 1024 * 1024',
      'assert h.get_structured_replies_negotiated()',
      'h.pwrite(b"\\xab" * 65536, 1048576)',
      'assert h.pread(65536, 1048576) == b"\\xab" * 65536',
      'h.pwrite(b"fua!" * 1024, 0, nbd.CMD_FLAG_FUA)',
      'h.flush()',
      'assert h.pread(4096, 0) == b"fua!" * 1024',
      'h.zero(4096, 1048576)',
      'assert h.pread(8192, 1048576) == b"\\0" * 4096 + b"\\xab" * 4096',
      'h.zero(4096, 1048576 + 8192, nbd.CMD_FLAG_NO_HOLE)',
      'h.trim(4096, 1048576 + 12288)',
      'assert h.pread(4096, 1048576 + 12288) == b"\\0" * 4096',
      'try:\n  h.zero(4096, 0, nbd.CMD_FLAG_FAST_ZERO)\n  assert False\nexcept nbd.Error as e:\n  assert e.errnum == 95, e',
      'print("ok")',
    ].join('\n');
    const r = await runTool('nbdsh', ['-u', h.uri, '-c', script]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'ok');
  });

  it('nbdsh without structured replies gets simple replies that carry data', async () => {
    const script = [
      'h.set_request_structured_replies(False)',
      `h.connect_uri("${h.uri}")`,
      'assert not h.get_structured_replies_negotiated()',
      'h.pwrite(b"simple" * 100, 5000)',
      'assert h.pread(600, 5000) == b"simple" * 100',
      'print("ok")',
    ].join('\n');
    const r = await runTool('nbdsh', ['-c', script]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'ok');
  });

  it('qemu-io writes patterns (plain, FUA, then flush) and reads them back', async () => {
    const r = await runTool('qemu-io', [
      '-f', 'raw',
      '-c', 'write -P 0x5a 0 1M',
      '-c', 'write -f -P 0x33 1M 64k',
      '-c', 'flush',
      '-c', 'read -P 0x5a 0 1M',
      '-c', 'read -P 0x33 1M 64k',
      '-c', 'aio_write -P 0x44 2M 4k',
      '-c', 'aio_write -P 0x45 3M 4k',
      '-c', 'aio_flush',
      '-c', 'read -P 0x44 2M 4k',
      '-c', 'read -P 0x45 3M 4k',
      h.uri,
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /verification failed/i);
  });

  it('qemu-io notices a wrong pattern (the check can fail)', async () => {
    const r = await runTool('qemu-io', ['-f', 'raw', '-c', 'write -P 0x11 8M 4k', '-c', 'read -P 0x12 8M 4k', h.uri]);
    assert.match(r.stdout, /Pattern verification failed/);
  });

  it('qemu-img convert of a random image into the export compares equal', async () => {
    const src = path.join(h.dir, 'random.img');
    const data = crypto.randomBytes(8 * MiB);
    data.fill(0, 2 * MiB, 4 * MiB); // a zero run so the client uses write-zeroes
    fs.writeFileSync(src, Buffer.concat([data, Buffer.alloc(24 * MiB)]));
    const conv = await runTool('qemu-img', ['convert', '-n', '-f', 'raw', '-O', 'raw', src, h.uri]);
    assert.equal(conv.code, 0, conv.stderr);
    const cmp = await runTool('qemu-img', ['compare', '-f', 'raw', '-F', 'raw', src, h.uri]);
    assert.equal(cmp.code, 0, cmp.stdout + cmp.stderr);
    // And the bytes really landed in the backing file.
    const back = Buffer.alloc(8 * MiB);
    h.file.read(0, back);
    assert.ok(back.equals(data));
  });

  it('nbdcopy round trip: file -> export -> file', async () => {
    const src = path.join(h.dir, 'copy-src.img');
    const dst = path.join(h.dir, 'copy-dst.img');
    const data = crypto.randomBytes(32 * MiB);
    fs.writeFileSync(src, data);
    fs.writeFileSync(dst, '');
    const up = await runTool('nbdcopy', [src, h.uri]);
    assert.equal(up.code, 0, up.stderr);
    const down = await runTool('nbdcopy', [h.uri, dst]);
    assert.equal(down.code, 0, down.stderr);
    assert.ok(fs.readFileSync(dst).equals(data));
  });

  it('fio (nbd engine) random writes verify with crc32c', async () => {
    const r = await runTool('fio', [
      '--name=verify', '--ioengine=nbd', `--uri=${h.uri}`, '--rw=randwrite', '--bs=4k', '--iodepth=16',
      '--size=8M', '--verify=crc32c', '--do_verify=1', '--verify_fatal=1', '--verify_state_save=0', '--output-format=json',
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    // fio prints a "connected" line before the JSON document.
    const job = (JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as { jobs: { error: number; write: { io_bytes: number }; read: { io_bytes: number } }[] }).jobs[0];
    assert.equal(job.error, 0);
    assert.equal(job.write.io_bytes, 8 * MiB);
    assert.equal(job.read.io_bytes, 8 * MiB);
  });

  it('reports per-request stats', () => {
    const writes = h.stats.filter((s) => s.command === 'write' && s.errno === 0);
    assert.ok(writes.length > 0);
    assert.ok(writes.every((s) => s.exportName === 'disk' && s.bytes > 0 && s.seconds >= 0));
    assert.ok(h.stats.some((s) => s.command === 'flush'));
    assert.ok(h.stats.some((s) => s.command === 'write_zeroes' && s.errno === 0));
  });
});
