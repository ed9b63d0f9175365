// Remote copy between two real arrays: data written with qemu-io to the P-VOL is read back
// from the S-VOL's export; split / resync / link loss move the pair as SPEC §3 says.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { API, type PairInfo } from '../../src/protocol/control.js';
import { normal, pairInfo, qemuIo, qemuIoRead, startTwoSites, waitLinked, waitState, type TwoSites } from '../helpers/twoSites.js';

describe('remote copy pair between two arrays', () => {
  let s: TwoSites;
  before(async () => {
    s = await startTwoSites();
    await waitLinked(s);
    for (const [array, vol] of [
      [s.a, 'db-p'],
      [s.b, 'db-s'],
    ] as const) {
      normal(await array.client().post(API.volumes, { name: vol, size: '8M' }));
    }
  });
  after(async () => s?.dispose());

  it('initial copy brings existing P-VOL data to the S-VOL', async () => {
    assert.equal((await qemuIo(s.a.nbdUri('db-p'), 'write -P 0x11 0 1M', 'write -P 0x12 7M 1M')).code, 0);
    const created = normal(await s.a.client().post<{ pair: PairInfo }>(API.pairs, { name: 'db', pvol: 'db-p', svol: 'db-s', fence: 'never' }));
    assert.ok(['COPY', 'PAIR'].includes(created.pair.state));
    await waitState(s.a, 'db', 'PAIR');
    const b = await waitState(s.b, 'db', 'PAIR');
    assert.equal(b.attribute, 'S-VOL');
    const r = await qemuIoRead(s.b.nbdUri('db-s'), 'read -P 0x11 0 1M', 'read -P 0x12 7M 1M', 'read -P 0 1M 6M');
    assert.equal(r.code, 0, r.out);
    assert.doesNotMatch(r.out, /Pattern verification failed/);
  });

  it('/metrics shows the state of each pair and the peer link, for alerting', async () => {
    const res = await fetch(`${s.a.url}${API.metrics}`, { headers: { authorization: `Bearer ${s.a.token}` } });
    const text = await res.text();
    assert.match(text, /^pairvol_pair_state\{[^}]*pair="db"[^}]*attribute="P-VOL"[^}]*state="PAIR"[^}]*\} 1$/m);
    assert.match(text, /^pairvol_pair_copy_ratio\{[^}]*pair="db"[^}]*\} 1$/m);
    assert.match(text, /^pairvol_peer_connected\{[^}]*\} 1$/m);
  });

  it('writes in PAIR reach the S-VOL before they are acknowledged', async () => {
    assert.equal((await qemuIo(s.a.nbdUri('db-p'), 'write -P 0x21 2M 512K', 'flush')).code, 0);
    const r = await qemuIoRead(s.b.nbdUri('db-s'), 'read -P 0x21 2M 512K');
    assert.equal(r.code, 0, r.out);
    assert.doesNotMatch(r.out, /Pattern verification failed/);
  });

  it('the S-VOL refuses host writes in PAIR (read-only export)', async () => {
    const r = await qemuIo(s.b.nbdUri('db-s'), 'write -P 0x66 0 4K');
    assert.notEqual(r.code, 0);
    const back = await qemuIoRead(s.b.nbdUri('db-s'), 'read -P 0x11 0 4K');
    assert.doesNotMatch(back.out, /Pattern verification failed/);
  });

  it('split stops the copy; resync copies only what changed', async () => {
    const split = normal(await s.a.client().post<{ pair: PairInfo }>(API.pairCommand('db', 'split'), {}));
    assert.equal(split.pair.state, 'PSUS');
    await waitState(s.b, 'db', 'SSUS');
    assert.equal((await qemuIo(s.a.nbdUri('db-p'), 'write -P 0x31 4M 64K')).code, 0);
    const a = await pairInfo(s.a, 'db');
    assert.ok(a.changedPercent > 0 && a.changedPercent < 5, `changed ${a.changedPercent}%`);
    let r = await qemuIoRead(s.b.nbdUri('db-s'), 'read -P 0 4M 64K');
    assert.doesNotMatch(r.out, /Pattern verification failed/, 'S-VOL must not see writes made after the split');
    normal(await s.a.client().post(API.pairCommand('db', 'resync'), {}));
    await waitState(s.a, 'db', 'PAIR');
    await waitState(s.b, 'db', 'PAIR');
    r = await qemuIoRead(s.b.nbdUri('db-s'), 'read -P 0x31 4M 64K');
    assert.doesNotMatch(r.out, /Pattern verification failed/);
  });

  it('resync given to the S-VOL is ABNORMAL END (FIG.4) and changes nothing', async () => {
    const r = await s.b.client().post(API.pairCommand('db', 'resync'), {});
    assert.equal(r.result, 'ABNORMAL');
    assert.equal((await pairInfo(s.a, 'db')).state, 'PAIR');
  });

  it('losing the link suspends the pair (PSUE); it resyncs by itself when the link returns', async () => {
    s.link.cut();
    await waitState(s.a, 'db', 'PSUE');
    assert.equal((await qemuIo(s.a.nbdUri('db-p'), 'write -P 0x41 6M 128K', 'flush')).code, 0, 'fence never: writes go on');
    s.link.restore();
    await waitLinked(s);
    await waitState(s.a, 'db', 'PAIR');
    await waitState(s.b, 'db', 'PAIR');
    const r = await qemuIoRead(s.b.nbdUri('db-s'), 'read -P 0x41 6M 128K');
    assert.doesNotMatch(r.out, /Pattern verification failed/);
  });

  it('swap from the S side makes it the P-VOL; the old P-VOL refuses writes', async () => {
    normal(await s.a.client().post(API.pairCommand('db', 'split'), {}));
    const swapped = normal(await s.b.client().post<{ pair: PairInfo }>(API.pairCommand('db', 'swap'), {}));
    assert.equal(swapped.pair.attribute, 'P-VOL');
    await waitState(s.b, 'db', 'PAIR');
    assert.equal((await pairInfo(s.a, 'db')).attribute, 'S-VOL');
    assert.notEqual((await qemuIo(s.a.nbdUri('db-p'), 'write -P 0x51 0 4K')).code, 0);
    assert.equal((await qemuIo(s.b.nbdUri('db-s'), 'write -P 0x52 0 4K', 'flush')).code, 0);
    const r = await qemuIoRead(s.a.nbdUri('db-p'), 'read -P 0x52 0 4K');
    assert.doesNotMatch(r.out, /Pattern verification failed/);
  });
});
