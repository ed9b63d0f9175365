// Forced S-VOL takeover and split brain (SPEC §3.4, §6.4): generations tell, at reconnect,
// whether both sides were written; if so nothing resyncs until the operator chooses.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { API } from '../../src/protocol/control.js';
import { normal, pairInfo, qemuIo, qemuIoRead, run, startTwoSites, waitLinked, waitState, type TwoSites } from '../helpers/twoSites.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('forced takeover and split brain', () => {
  let s: TwoSites;
  before(async () => {
    s = await startTwoSites();
    await waitLinked(s);
    for (const p of ['sb', 'ok']) {
      normal(await s.a.client().post(API.volumes, { name: `${p}-a`, size: '4M' }));
      normal(await s.b.client().post(API.volumes, { name: `${p}-b`, size: '4M' }));
      normal(await s.a.client().post(API.pairs, { name: p, pvol: `${p}-a`, svol: `${p}-b`, nocopy: true }));
      await waitState(s.b, p, 'PAIR');
    }
    s.link.cut();
    await waitState(s.b, 'sb', 'PSUE');
    await waitState(s.b, 'ok', 'PSUE');
  });
  after(async () => s?.dispose());

  it('takeover on the S side without --force is refused while the P side is unreachable', async () => {
    const r = await s.b.client().post(API.pairCommand('sb', 'takeover'), { force: false });
    assert.equal(r.result, 'ABNORMAL');
    if (r.result === 'ABNORMAL') assert.equal(r.reason, 'force-required');
    assert.equal((await pairInfo(s.b, 'sb')).access, 'read-only');
  });

  it('takeover --force makes the S-VOL writable (SSWS)', async () => {
    for (const p of ['sb', 'ok']) {
      const t = normal(await s.b.client().post<{ pair: { state: string; access: string } }>(API.pairCommand(p, 'takeover'), { force: true }));
      assert.equal(t.pair.state, 'SSWS');
      assert.equal(t.pair.access, 'read-write');
    }
    assert.equal((await qemuIo(s.b.nbdUri('sb-b'), 'write -P 0x0b 0 64k', 'flush')).code, 0);
    assert.equal((await qemuIo(s.b.nbdUri('ok-b'), 'write -P 0x0c 0 64k', 'flush')).code, 0);
  });

  it('both sides written independently: split brain is detected and nothing resyncs', async () => {
    assert.equal((await qemuIo(s.a.nbdUri('sb-a'), 'write -P 0x0a 1M 64k', 'flush')).code, 0);
    s.link.restore();
    await waitLinked(s);
    let info = await pairInfo(s.a, 'sb');
    for (let i = 0; i < 50 && !info.splitBrain; i++) {
      await sleep(100);
      info = await pairInfo(s.a, 'sb');
    }
    assert.equal(info.splitBrain, true);
    await sleep(500);
    assert.notEqual((await pairInfo(s.a, 'sb')).state, 'COPY', 'no automatic resync after split brain');
    const a = await qemuIoRead(s.a.nbdUri('sb-a'), 'read -P 0x0a 1M 64k', 'read -P 0 0 64k');
    assert.doesNotMatch(a.out, /Pattern verification failed/, 'the P-VOL keeps its own data');
    const plain = await s.b.client().post(API.pairCommand('sb', 'swap'), {});
    assert.equal(plain.result, 'ABNORMAL');
    if (plain.result === 'ABNORMAL') assert.equal(plain.reason, 'split-brain');
  });

  it('the operator chooses: resync --discard remote on the SSWS side keeps its data everywhere', async () => {
    normal(await s.b.client().post(API.pairCommand('sb', 'resync'), { discard: 'remote' }));
    await waitState(s.b, 'sb', 'PAIR');
    await waitState(s.a, 'sb', 'PAIR');
    assert.equal((await pairInfo(s.b, 'sb')).attribute, 'P-VOL');
    const cmp = await run('qemu-img', ['compare', '-f', 'raw', '-F', 'raw', s.a.nbdUri('sb-a'), s.b.nbdUri('sb-b')]);
    assert.equal(cmp.code, 0, cmp.out);
    const b = await qemuIoRead(s.a.nbdUri('sb-a'), 'read -P 0x0b 0 64k', 'read -P 0 1M 64k');
    assert.doesNotMatch(b.out, /Pattern verification failed/);
  });

  it('taken over while the P side was not written: no split brain, swap resync from the S side', async () => {
    const info = await pairInfo(s.a, 'ok');
    assert.equal(info.splitBrain, false);
    assert.equal(info.state, 'SSWS');
    normal(await s.b.client().post(API.pairCommand('ok', 'swap'), {}));
    await waitState(s.b, 'ok', 'PAIR');
    await waitState(s.a, 'ok', 'PAIR');
    const r = await qemuIoRead(s.a.nbdUri('ok-a'), 'read -P 0x0c 0 64k');
    assert.doesNotMatch(r.out, /Pattern verification failed/);
  });
});
