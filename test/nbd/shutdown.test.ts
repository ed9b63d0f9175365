// Server shutdown: requests in flight are answered, new ones get ESHUTDOWN, connections close.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { Errno, type BlockDevice } from '../../src/array/blockDevice.js';
import { Cmd } from '../../src/protocol/nbd.js';
import { RawNbdClient } from '../helpers/nbdClient.js';
import { startHarness } from './harness.js';

/** Reads wait until released, so a request is reliably in flight when the server closes. */
class GatedDevice implements BlockDevice {
  readonly size = 65536;
  readonly readOnly = false;
  private release: (() => void)[] = [];
  read(_offset: number, into: Buffer): Promise<void> {
    return new Promise((resolve) => this.release.push(() => (into.fill(0x42), resolve())));
  }
  get waiting(): number {
    return this.release.length;
  }
  open(): void {
    for (const r of this.release.splice(0)) r();
  }
  write(): void {}
  flush(): void {}
  trim(): void {}
  writeZeroes(): void {}
}

it('close() answers requests in flight, refuses new ones with ESHUTDOWN, then closes', async () => {
  const gated = new GatedDevice();
  const h = await startHarness(65536, [{ name: 'gated', device: gated }]);
  const c = await RawNbdClient.connect(h.port);
  const idle = await RawNbdClient.connect(h.port);
  try {
    await c.open('gated');
    await idle.handshake();
    const inFlight = c.sendRequest(Cmd.READ, 0, 0, 8);
    for (let i = 0; i < 100 && gated.waiting === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(gated.waiting, 1);
    const closing = h.stop();
    const refused = c.sendRequest(Cmd.WRITE, 0, 0, 4, Buffer.from('late'));
    const first = await c.readSimpleReply();
    assert.equal(first.cookie, refused);
    assert.equal(first.error, Errno.ESHUTDOWN);
    gated.open();
    const second = await c.readSimpleReply(8);
    assert.equal(second.cookie, inFlight);
    assert.equal(second.error, 0);
    assert.deepEqual([...(second.data ?? [])], Array(8).fill(0x42));
    assert.ok(await c.closedByServer());
    assert.ok(await idle.closedByServer());
    await closing;
    await assert.rejects(RawNbdClient.connect(h.port));
  } finally {
    c.destroy();
    idle.destroy();
  }
});
