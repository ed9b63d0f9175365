// The remote copy link failing in the ways networks fail (SPEC §3, issue: pairs): a blackhole
// is detected by silence, a slow link keeps the pair in PAIR, and an access change reaches
// NBD connections that were already open.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { API, type PairInfo } from '../../src/protocol/control.js';
import { NbdClient } from '../../src/protocol/nbdClient.js';
import { normal, pairInfo, qemuIoRead, startTwoSites, waitLinked, waitState, type TwoSites } from '../helpers/twoSites.js';

describe('remote copy link faults', () => {
  let s: TwoSites;
  before(async () => {
    s = await startTwoSites();
    await waitLinked(s);
    normal(await s.a.client().post(API.volumes, { name: 'v-a', size: '4M' }));
    normal(await s.b.client().post(API.volumes, { name: 'v-b', size: '4M' }));
    normal(await s.a.client().post(API.pairs, { name: 'v', pvol: 'v-a', svol: 'v-b', nocopy: true }));
    await waitState(s.b, 'v', 'PAIR');
  });
  after(async () => s?.dispose());

  it('a slow link (80 ms each way) keeps the pair in PAIR and every write replicated', async () => {
    s.link.slow(80);
    const c = await NbdClient.connect(s.a.nbdUri('v-a'));
    for (let i = 0; i < 5; i++) await c.write(i * 65536, Buffer.alloc(4096, 0x40 + i), { fua: true });
    c.close();
    assert.equal((await pairInfo(s.a, 'v')).state, 'PAIR');
    s.link.restore();
    const r = await qemuIoRead(s.b.nbdUri('v-b'), 'read -P 0x40 0 4k', 'read -P 0x44 256k 4k');
    assert.doesNotMatch(r.out, /Pattern verification failed/);
  });

  it('a blackholed link is detected by silence: the pair goes PSUE and writes go on (fence never)', async () => {
    s.link.blackhole();
    const c = await NbdClient.connect(s.a.nbdUri('v-a'));
    await c.write(1024 * 1024, Buffer.alloc(4096, 0x5a), { fua: true }); // held until the link is declared dead
    c.close();
    assert.equal((await pairInfo(s.a, 'v')).state, 'PSUE');
    s.link.restore();
    await waitLinked(s);
    await waitState(s.a, 'v', 'PAIR');
    await waitState(s.b, 'v', 'PAIR');
    const r = await qemuIoRead(s.b.nbdUri('v-b'), 'read -P 0x5a 1M 4k');
    assert.doesNotMatch(r.out, /Pattern verification failed/);
  });

  it('a swap takes effect on NBD connections already open: the old P-VOL refuses the next write', async () => {
    const old = await NbdClient.connect(s.a.nbdUri('v-a'));
    await old.write(0, Buffer.alloc(4096, 0x61), { fua: true });
    normal(await s.a.client().post(API.pairCommand('v', 'split'), {}));
    const swapped = normal(await s.b.client().post<{ pair: PairInfo }>(API.pairCommand('v', 'swap'), {}));
    assert.equal(swapped.pair.attribute, 'P-VOL');
    await assert.rejects(old.write(0, Buffer.alloc(4096, 0x62), { fua: true }), /NBD error 1$/);
    old.close();
    await waitState(s.b, 'v', 'PAIR');
    const r = await qemuIoRead(s.a.nbdUri('v-a'), 'read -P 0x61 0 4k');
    assert.doesNotMatch(r.out, /Pattern verification failed/, 'the refused write changed nothing');
  });
});
