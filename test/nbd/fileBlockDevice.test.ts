// FileBlockDevice: reads/writes, read-only refusal, zeroing that keeps a sparse file sparse,
// and flush/FUA requests sharing fdatasync calls.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BlockError, Errno } from '../../src/array/blockDevice.js';
import { FileBlockDevice } from '../../src/array/fileBlockDevice.js';

const MiB = 1024 * 1024;

describe('FileBlockDevice', () => {
  let dir: string;
  let file: string;
  let dev: FileBlockDevice;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pairvol-fbd-'));
    file = path.join(dir, 'vol.img');
    fs.writeFileSync(file, '');
    fs.truncateSync(file, 8 * MiB);
    dev = FileBlockDevice.open(file);
  });
  after(() => {
    dev.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('has the size of the file and reads back what it wrote', async () => {
    assert.equal(dev.size, 8 * MiB);
    assert.equal(dev.path, file);
    await dev.write(4096, Buffer.from('hello'), true);
    const out = Buffer.alloc(5);
    dev.read(4096, out);
    assert.equal(out.toString(), 'hello');
    assert.equal(fs.readFileSync(file).toString('utf8', 4096, 4101), 'hello');
  });

  it('refuses writes, zeroes and trims with EPERM while read-only, changing nothing', () => {
    dev.readOnly = true;
    try {
      for (const attempt of [() => dev.write(4096, Buffer.from('xxxxx'), false), () => dev.writeZeroes(4096, 5, false, true), () => dev.trim(4096, 5, false)]) {
        assert.throws(attempt, (e: unknown) => e instanceof BlockError && e.errno === Errno.EPERM);
      }
    } finally {
      dev.readOnly = false;
    }
    assert.equal(fs.readFileSync(file).toString('utf8', 4096, 4101), 'hello');
  });

  it('opens read-only when asked', () => {
    const ro = FileBlockDevice.open(file, { readOnly: true });
    try {
      assert.equal(ro.readOnly, true);
      assert.throws(() => ro.write(0, Buffer.from('x'), false), (e: unknown) => e instanceof BlockError && e.errno === Errno.EPERM);
    } finally {
      ro.close();
    }
  });

  it('zeroes written data but leaves holes unallocated', async () => {
    const blocksBefore = fs.statSync(file).blocks;
    await dev.writeZeroes(2 * MiB, 4 * MiB, false, true); // a hole: nothing to write
    assert.equal(fs.statSync(file).blocks, blocksBefore);
    await dev.write(3 * MiB, Buffer.alloc(8192, 0xff), false);
    await dev.writeZeroes(2 * MiB, 4 * MiB, true, false);
    const out = Buffer.alloc(8192, 1);
    dev.read(3 * MiB, out);
    assert.ok(out.every((b) => b === 0));
  });

  it('concurrent flushes share fdatasync calls', async () => {
    const real = fs.fdatasync;
    let calls = 0;
    fs.fdatasync = ((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
      calls++;
      real(fd, cb);
    }) as typeof fs.fdatasync;
    try {
      // The first starts a sync; the rest arrive while it runs and share the next one.
      await Promise.all([dev.flush(), ...Array.from({ length: 9 }, () => dev.write(0, Buffer.from('f'), true)), dev.flush()]);
    } finally {
      fs.fdatasync = real;
    }
    assert.equal(calls, 2);
  });

  it('reports a closed device as EIO', () => {
    const other = FileBlockDevice.open(file);
    other.close();
    assert.throws(() => other.read(0, Buffer.alloc(1)), (e: unknown) => e instanceof BlockError && e.errno === Errno.EIO);
  });
});
