// Malformed, unknown and refused input, driven byte by byte with the raw test client. Every
// case checks the exact error or closure, then that the server still serves a new client.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BlockError, Errno, type BlockDevice } from '../../src/array/blockDevice.js';
import { ClientFlag, Cmd, CmdFlag, IHAVEOPT, Info, MAX_PAYLOAD, Opt, Rep, TransmissionFlag, encodeInfoRequest, encodeOption } from '../../src/protocol/nbd.js';
import { RawNbdClient } from '../helpers/nbdClient.js';
import { startHarness, type Harness } from './harness.js';

const SIZE = 1024 * 1024;

/** A device whose writes fail with EIO (a broken disk); reads return 0x77. */
class FailingWriteDevice implements BlockDevice {
  readonly size = SIZE;
  readonly readOnly = false;
  read(_offset: number, into: Buffer): void {
    into.fill(0x77);
  }
  write(): void {
    throw new BlockError(Errno.EIO, 'disk on fire');
  }
  flush(): Promise<void> {
    return Promise.reject(new BlockError(Errno.EIO, 'flush failed'));
  }
  trim(): void {}
  writeZeroes(): void {}
}

/** A device whose calls all complete asynchronously, out of order (later ones first). */
class SlowDevice implements BlockDevice {
  readonly size = SIZE;
  readonly readOnly = false;
  readonly data = Buffer.alloc(SIZE);
  read(offset: number, into: Buffer): Promise<void> {
    const delay = into.length === 4096 ? 100 : 1;
    return new Promise((resolve) => setTimeout(() => (this.data.copy(into, 0, offset, offset + into.length), resolve()), delay));
  }
  write(offset: number, data: Buffer): Promise<void> {
    return new Promise((resolve) => setTimeout(() => (data.copy(this.data, offset), resolve()), 5));
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
  trim(): void {}
  writeZeroes(): void {}
}

describe('NBD server: malformed and refused input', () => {
  let h: Harness;
  const open: RawNbdClient[] = [];
  const slow = new SlowDevice();
  const connect = async (): Promise<RawNbdClient> => {
    const c = await RawNbdClient.connect(h.port);
    open.push(c);
    return c;
  };
  /** The server still completes a handshake and a read for a fresh client. */
  const stillServes = async (): Promise<void> => {
    const c = await connect();
    const { size } = await c.open('disk');
    assert.equal(size, SIZE);
    assert.equal((await c.request(Cmd.READ, 0, 0, 512)).error, 0);
  };

  before(async () => {
    h = await startHarness(SIZE, [
      { name: 'broken', device: new FailingWriteDevice() },
      { name: 'slow', device: slow },
    ]);
  });
  afterEach(() => {
    for (const c of open.splice(0)) c.destroy();
  });
  after(async () => {
    await h.stop();
  });

  describe('handshake', () => {
    it('drops a client that sets unknown client flags', async () => {
      const c = await connect();
      const flags = await c.handshake(ClientFlag.C_FIXED_NEWSTYLE | 0x80);
      assert.equal(flags, 3); // FIXED_NEWSTYLE | NO_ZEROES were offered
      assert.ok(await c.closedByServer());
      await stillServes();
    });

    it('drops a client whose option has a bad magic', async () => {
      const c = await connect();
      await c.handshake();
      const bad = encodeOption(Opt.LIST);
      bad.write('XHAVEOPT', 0, 'latin1');
      c.send(bad);
      assert.ok(await c.closedByServer());
      await stillServes();
    });

    it('drops a client that announces an absurd option length', async () => {
      const c = await connect();
      await c.handshake();
      const header = Buffer.alloc(16);
      header.writeBigUInt64BE(IHAVEOPT, 0);
      header.writeUInt32BE(Opt.GO, 8);
      header.writeUInt32BE(0xfffffff0, 12);
      c.send(header);
      assert.ok(await c.closedByServer());
      await stillServes();
    });

    it('drops a client that sends garbage instead of client flags and options', async () => {
      const c = await connect();
      await c.readExactly(18);
      c.send(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
      assert.ok(await c.closedByServer());
      await stillServes();
    });

    it('answers an unknown option with ERR_UNSUP and keeps haggling', async () => {
      const c = await connect();
      await c.handshake();
      const [r] = await c.option(0x4242, Buffer.from('some option data'));
      assert.equal(r.option, 0x4242);
      assert.equal(r.type, Rep.ERR_UNSUP);
      const [tls] = await c.option(Opt.STARTTLS);
      assert.equal(tls.type, Rep.ERR_UNSUP);
      const list = await c.option(Opt.LIST);
      assert.deepEqual(
        list.map((x) => x.type),
        [Rep.SERVER, Rep.SERVER, Rep.SERVER, Rep.ACK],
      );
      assert.equal(list[0].data.toString('utf8', 4, 4 + list[0].data.readUInt32BE(0)), 'disk');
    });

    it('refuses malformed INFO and LIST data with ERR_INVALID, unknown exports with ERR_UNKNOWN', async () => {
      const c = await connect();
      await c.handshake();
      const bad = encodeInfoRequest('disk', [Info.NAME]).subarray(0, 9); // truncated
      assert.equal((await c.option(Opt.INFO, bad))[0].type, Rep.ERR_INVALID);
      assert.equal((await c.option(Opt.LIST, Buffer.from('x')))[0].type, Rep.ERR_INVALID);
      assert.equal((await c.option(Opt.GO, encodeInfoRequest('nope', [])))[0].type, Rep.ERR_UNKNOWN);
      const info = await c.option(Opt.INFO, encodeInfoRequest('disk', [Info.NAME, Info.DESCRIPTION, Info.BLOCK_SIZE]));
      assert.deepEqual(
        info.map((r) => (r.type === Rep.INFO ? r.data.readUInt16BE(0) : -1)),
        [Info.EXPORT, Info.NAME, Info.DESCRIPTION, Info.BLOCK_SIZE, -1],
      );
      assert.equal(info[2].data.toString('utf8', 2), 'test disk');
      // INFO leaves haggling open: GO still works afterwards.
      const go = await c.option(Opt.GO, encodeInfoRequest('disk', []));
      assert.equal(go[go.length - 1].type, Rep.ACK);
      assert.equal((await c.request(Cmd.READ, 0, 0, 4096)).error, 0);
    });

    it('ABORT gets an ACK and the connection closes', async () => {
      const c = await connect();
      await c.handshake();
      const [r] = await c.option(Opt.ABORT);
      assert.equal(r.type, Rep.ACK);
      assert.ok(await c.closedByServer());
    });

    it('EXPORT_NAME enters transmission (no zero padding with NO_ZEROES) or closes for an unknown name', async () => {
      const c = await connect();
      await c.handshake();
      c.send(encodeOption(Opt.EXPORT_NAME, Buffer.from('disk')));
      const reply = await c.readExactly(10);
      assert.equal(Number(reply.readBigUInt64BE(0)), SIZE);
      assert.ok(reply.readUInt16BE(8) & TransmissionFlag.HAS_FLAGS);
      assert.equal((await c.request(Cmd.READ, 0, 0, 16)).data?.length, 16);

      const d = await connect();
      await d.handshake(ClientFlag.C_FIXED_NEWSTYLE);
      d.send(encodeOption(Opt.EXPORT_NAME, Buffer.from('disk')));
      assert.equal((await d.readExactly(10 + 124)).subarray(10).every((b) => b === 0), true);

      const e = await connect();
      await e.handshake();
      e.send(encodeOption(Opt.EXPORT_NAME, Buffer.from('nope')));
      assert.ok(await e.closedByServer());
      await stillServes();
    });
  });

  describe('transmission', () => {
    it('unknown command and unknown or misplaced flags get EINVAL', async () => {
      const c = await connect();
      await c.open('disk');
      assert.equal((await c.request(42, 0, 0, 0)).error, Errno.EINVAL);
      assert.equal((await c.request(Cmd.BLOCK_STATUS, 0, 0, 4096)).error, Errno.EINVAL);
      assert.equal((await c.request(Cmd.READ, 0x8000, 0, 4096)).error, Errno.EINVAL);
      assert.equal((await c.request(Cmd.READ, CmdFlag.NO_HOLE, 0, 4096)).error, Errno.EINVAL);
      assert.equal((await c.request(Cmd.WRITE, CmdFlag.NO_HOLE, 0, 4, Buffer.from('abcd'))).error, Errno.EINVAL);
      assert.equal((await c.request(Cmd.TRIM, CmdFlag.FAST_ZERO, 0, 4096)).error, Errno.EINVAL);
      // The connection is still in sync after all of that.
      assert.equal((await c.request(Cmd.READ, 0, 0, 8)).error, 0);
    });

    it('out-of-range requests: read/trim EINVAL, write/write-zeroes ENOSPC, nothing written', async () => {
      const c = await connect();
      await c.open('disk');
      assert.equal((await c.request(Cmd.READ, 0, SIZE - 512, 1024)).error, Errno.EINVAL);
      assert.equal((await c.request(Cmd.READ, 0, 2 ** 62, 512)).error, Errno.EINVAL);
      assert.equal((await c.request(Cmd.TRIM, 0, SIZE, 1)).error, Errno.EINVAL);
      assert.equal((await c.request(Cmd.WRITE, 0, SIZE - 2, 4, Buffer.from('zzzz'))).error, Errno.ENOSPC);
      assert.equal((await c.request(Cmd.WRITE_ZEROES, 0, SIZE - 2, 4)).error, Errno.ENOSPC);
      const tail = Buffer.alloc(2);
      h.file.read(SIZE - 2, tail);
      assert.deepEqual([...tail], [0, 0]);
      assert.equal((await c.request(Cmd.READ, 0, SIZE - 512, 512)).error, 0);
    });

    it('oversize requests get EOVERFLOW; an oversize write payload is skipped and the stream stays in sync', async () => {
      const c = await connect();
      await c.open('disk');
      assert.equal((await c.request(Cmd.READ, 0, 0, MAX_PAYLOAD + 1)).error, Errno.EOVERFLOW);
      const big = Buffer.alloc(MAX_PAYLOAD + 4096, 0x66);
      assert.equal((await c.request(Cmd.WRITE, 0, 0, big.length, big)).error, Errno.EOVERFLOW);
      const r = await c.request(Cmd.READ, 0, 0, 4096);
      assert.equal(r.error, 0);
      assert.ok(r.data?.every((b) => b !== 0x66));
    });

    it('a request with a bad magic closes that connection only', async () => {
      const c = await connect();
      await c.open('disk');
      c.send(Buffer.alloc(28, 0xee));
      assert.ok(await c.closedByServer());
      await stillServes();
    });

    it('a client that vanishes mid-payload does not disturb the server', async () => {
      const c = await connect();
      await c.open('disk');
      const header = Buffer.alloc(28);
      header.writeUInt32BE(0x25609513, 0);
      header.writeUInt16BE(Cmd.WRITE, 6);
      header.writeUInt32BE(65536, 24);
      c.send(Buffer.concat([header, Buffer.alloc(1000)]));
      c.destroy();
      await stillServes();
    });

    it('write to a read-only device: EPERM and data unchanged; READ_ONLY advertised', async () => {
      const c = await connect();
      h.file.readOnly = true;
      try {
        const { flags } = await c.open('disk');
        assert.ok(flags & TransmissionFlag.READ_ONLY);
        assert.equal((await c.request(Cmd.WRITE, 0, 8192, 4, Buffer.from('nope'))).error, Errno.EPERM);
        assert.equal((await c.request(Cmd.WRITE_ZEROES, 0, 8192, 4)).error, Errno.EPERM);
        assert.equal((await c.request(Cmd.TRIM, 0, 8192, 4)).error, Errno.EPERM);
        const r = await c.request(Cmd.READ, 0, 8192, 4);
        assert.deepEqual([...(r.data ?? [])], [0, 0, 0, 0]);
      } finally {
        h.file.readOnly = false;
      }
    });

    it('a device that becomes read-only mid-connection makes the next write EPERM', async () => {
      const c = await connect();
      const { flags } = await c.open('disk');
      assert.equal(flags & TransmissionFlag.READ_ONLY, 0);
      assert.equal((await c.request(Cmd.WRITE, 0, 12288, 4, Buffer.from('one!'))).error, 0);
      h.file.readOnly = true;
      try {
        assert.equal((await c.request(Cmd.WRITE, CmdFlag.FUA, 12288, 4, Buffer.from('two!'))).error, Errno.EPERM);
        assert.equal((await c.request(Cmd.READ, 0, 12288, 4)).data?.toString(), 'one!');
      } finally {
        h.file.readOnly = false;
      }
      assert.equal((await c.request(Cmd.WRITE, 0, 12288, 4, Buffer.from('thr!'))).error, 0);
    });

    it('a device whose writes fail gives EIO for write and flush; reads still work', async () => {
      const c = await connect();
      await c.open('broken');
      assert.equal((await c.request(Cmd.WRITE, 0, 0, 4, Buffer.from('data'))).error, Errno.EIO);
      assert.equal((await c.request(Cmd.FLUSH, 0, 0, 0)).error, Errno.EIO);
      assert.deepEqual([...((await c.request(Cmd.READ, 0, 0, 2)).data ?? [])], [0x77, 0x77]);
      await stillServes();
    });

    it('structured replies: READ data chunk with offset, READ errors as ERROR chunks', async () => {
      const c = await connect();
      await c.open('disk', { structured: true });
      assert.equal((await c.request(Cmd.WRITE, 0, 20000, 5, Buffer.from('hello'))).error, 0);
      const ok = c.sendRequest(Cmd.READ, 0, 20000, 5);
      const chunk = await c.readStructuredChunk();
      assert.equal(chunk.cookie, ok);
      assert.equal(chunk.flags, 1);
      assert.equal(chunk.type, 1);
      assert.equal(Number(chunk.payload.readBigUInt64BE(0)), 20000);
      assert.equal(chunk.payload.subarray(8).toString(), 'hello');
      const bad = c.sendRequest(Cmd.READ, 0, SIZE, 5);
      const err = await c.readStructuredChunk();
      assert.equal(err.cookie, bad);
      assert.equal(err.type, 0x8001);
      assert.equal(err.payload.readUInt32BE(0), Errno.EINVAL);
    });

    it('many requests in flight: replies are matched by cookie even when they come back out of order', async () => {
      const c = await connect();
      await c.open('slow');
      const pattern = Buffer.alloc(4096, 0x5c);
      assert.equal((await c.request(Cmd.WRITE, 0, 0, 4096, pattern)).error, 0);
      const [big, small] = c.corked(() => [
        c.sendRequest(Cmd.READ, 0, 0, 4096), // slow to complete
        c.sendRequest(Cmd.READ, 0, 0, 16), // fast
      ]);
      const first = await c.readSimpleReply(16);
      assert.equal(first.cookie, small);
      const second = await c.readSimpleReply(4096);
      assert.equal(second.cookie, big);
      assert.ok(second.data?.equals(pattern));
      const cookies = new Set<bigint>();
      for (let i = 0; i < 64; i++) cookies.add(c.sendRequest(Cmd.WRITE, 0, i * 512, 512, Buffer.alloc(512, i)));
      for (let i = 0; i < 64; i++) {
        const r = await c.readSimpleReply();
        assert.equal(r.error, 0);
        assert.ok(cookies.delete(r.cookie));
      }
      assert.equal(slow.data[63 * 512], 63);
    });

    it('DISC: outstanding requests are answered, then the server closes', async () => {
      const c = await connect();
      await c.open('slow');
      const w = c.sendRequest(Cmd.WRITE, 0, 4096, 4, Buffer.from('disc'));
      c.sendRequest(Cmd.DISC, 0, 0, 0);
      const r = await c.readSimpleReply();
      assert.equal(r.cookie, w);
      assert.equal(r.error, 0);
      assert.ok(await c.closedByServer());
      assert.equal(slow.data.toString('utf8', 4096, 4100), 'disc');
    });
  });
});
