// Fence levels (SPEC §3.3) with a real link failure: what a P-VOL write does when its copy
// to the S-VOL cannot be made, and how the pair comes back.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { API } from '../../src/protocol/control.js';
import { normal, pairInfo, qemuIo, qemuIoRead, startTwoSites, waitLinked, waitState, type TwoSites } from '../helpers/twoSites.js';

describe('fence levels when the remote copy link fails', () => {
  let s: TwoSites;
  before(async () => {
    s = await startTwoSites();
    await waitLinked(s);
    for (const f of ['data', 'status', 'never']) {
      normal(await s.a.client().post(API.volumes, { name: `${f}-a`, size: '4M' }));
      normal(await s.b.client().post(API.volumes, { name: `${f}-b`, size: '4M' }));
      normal(await s.a.client().post(API.pairs, { name: f, pvol: `${f}-a`, svol: `${f}-b`, fence: f, nocopy: true }));
      await waitState(s.b, f, 'PAIR');
    }
    s.link.cut();
    await waitState(s.a, 'never', 'PSUE');
  });
  after(async () => s?.dispose());

  it('fence data: P-VOL writes fail with EIO and keep failing until the pair resyncs', async () => {
    const first = await qemuIo(s.a.nbdUri('data-a'), 'write -P 0x11 0 4k');
    assert.notEqual(first.code, 0, first.out);
    assert.match(first.out, /Input\/output error/);
    assert.equal((await pairInfo(s.a, 'data')).state, 'PSUE');
  });

  it('fence status: writes fail while the S side cannot be marked suspended', async () => {
    const r = await qemuIo(s.a.nbdUri('status-a'), 'write -P 0x22 0 4k');
    assert.notEqual(r.code, 0, r.out);
    assert.match(r.out, /Input\/output error/);
  });

  it('fence never: writes succeed and the region is marked for the resync', async () => {
    const r = await qemuIo(s.a.nbdUri('never-a'), 'write -P 0x33 0 64k', 'flush');
    assert.equal(r.code, 0, r.out);
    assert.ok((await pairInfo(s.a, 'never')).changedPercent > 0);
  });

  it('P-VOL takeover by the operator lifts fence data while the link is still down', async () => {
    const t = normal(await s.a.client().post<{ pair: { access: string } }>(API.pairCommand('data', 'takeover'), {}));
    assert.equal(t.pair.access, 'read-write');
    const r = await qemuIo(s.a.nbdUri('data-a'), 'write -P 0x44 64k 4k');
    assert.equal(r.code, 0, r.out);
  });

  it('when the link returns every pair resyncs by itself and the S-VOLs catch up', async () => {
    s.link.restore();
    await waitLinked(s);
    for (const f of ['data', 'status', 'never']) {
      await waitState(s.a, f, 'PAIR');
      await waitState(s.b, f, 'PAIR');
    }
    const never = await qemuIoRead(s.b.nbdUri('never-b'), 'read -P 0x33 0 64k');
    assert.doesNotMatch(never.out, /Pattern verification failed/);
    const data = await qemuIoRead(s.b.nbdUri('data-b'), 'read -P 0x44 64k 4k');
    assert.doesNotMatch(data.out, /Pattern verification failed/);
    const ok = await qemuIo(s.a.nbdUri('status-a'), 'write -P 0x55 0 4k', 'flush');
    assert.equal(ok.code, 0, 'fence status writes work again in PAIR');
  });
});
