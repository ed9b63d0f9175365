// SPEC §3.1 (seed FIG.4) through the real control API of two arrays: every one of the 20
// cells, with a real pair placed in that state. ABNORMAL END must carry a reason and change
// nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { API, type PairCommandName } from '../../src/protocol/control.js';
import type { ArrayProcess } from '../helpers/arrayProcess.js';
import { normal, pairInfo, startTwoSites, waitLinked, waitState, type TwoSites } from '../helpers/twoSites.js';

type Cmd = Extract<PairCommandName, 'resync' | 'swap'>;

describe('FIG.4 through the real arrays', () => {
  let s: TwoSites;
  before(async () => {
    s = await startTwoSites();
    await waitLinked(s);
    for (const v of ['c', 'q']) {
      normal(await s.a.client().post(API.volumes, { name: `${v}-a`, size: '8M' }));
      normal(await s.b.client().post(API.volumes, { name: `${v}-b`, size: '8M' }));
    }
  });
  after(async () => s?.dispose());

  async function expectAbnormal(array: ArrayProcess, pair: string, cmd: Cmd): Promise<void> {
    const before = array === s.a || array === s.b ? await pairInfoOrNull(array, pair) : null;
    const r = await array.client().post(API.pairCommand(pair, cmd), {});
    assert.equal(r.result, 'ABNORMAL', `${cmd} on ${array.name} should be ABNORMAL END`);
    if (r.result === 'ABNORMAL') assert.ok(r.reason.length > 0 && r.message.length > 0);
    const afterInfo = await pairInfoOrNull(array, pair);
    assert.equal(afterInfo?.state, before?.state, 'ABNORMAL END changes nothing');
    assert.equal(afterInfo?.attribute, before?.attribute, 'ABNORMAL END changes nothing');
  }

  async function pairInfoOrNull(array: ArrayProcess, pair: string) {
    const r = await array.client().get<{ pair: { state: string; attribute: string } }>(API.pair(pair));
    return r.result === 'NORMAL' ? r.pair : null;
  }

  it('SMPL: resync and swap to either side are ABNORMAL END (4 cells)', async () => {
    for (const array of [s.a, s.b]) for (const cmd of ['resync', 'swap'] as const) await expectAbnormal(array, 'nopair', cmd);
  });

  it('COPY: resync and swap to either side are ABNORMAL END (4 cells)', async () => {
    // A slow initial copy (128 KiB/s over 8 MiB) keeps the pair in COPY for the whole test.
    normal(await s.a.client().post(API.pairs, { name: 'slow', pvol: 'c-a', svol: 'c-b', pace: 128 * 1024 }));
    await waitState(s.b, 'slow', 'COPY');
    for (const array of [s.a, s.b]) for (const cmd of ['resync', 'swap'] as const) await expectAbnormal(array, 'slow', cmd);
    assert.equal((await pairInfo(s.a, 'slow')).state, 'COPY');
    normal(await s.a.client().delete(API.pair('slow')));
  });

  it('PAIR: resync and swap to either side are ABNORMAL END, refs. 130 and 131 (4 cells)', async () => {
    normal(await s.a.client().post(API.pairs, { name: 'q', pvol: 'q-a', svol: 'q-b', nocopy: true }));
    await waitState(s.b, 'q', 'PAIR');
    for (const array of [s.a, s.b]) for (const cmd of ['resync', 'swap'] as const) await expectAbnormal(array, 'q', cmd);
  });

  it('PSUS: resync to P and swap to S are NORMAL END; the other two ABNORMAL (4 cells)', async () => {
    normal(await s.a.client().post(API.pairCommand('q', 'split'), {}));
    await waitState(s.b, 'q', 'SSUS');
    await expectAbnormal(s.b, 'q', 'resync'); // given to the S-VOL
    await expectAbnormal(s.a, 'q', 'swap'); // given to the P-VOL
    const resync = await s.a.client().post<{ pair: { state: string } }>(API.pairCommand('q', 'resync'), {});
    assert.equal(resync.result, 'NORMAL');
    await waitState(s.a, 'q', 'PAIR');
    normal(await s.a.client().post(API.pairCommand('q', 'split'), {}));
    await waitState(s.b, 'q', 'SSUS');
    const swap = normal(await s.b.client().post<{ pair: { attribute: string } }>(API.pairCommand('q', 'swap'), {}));
    assert.equal(swap.pair.attribute, 'P-VOL', 'swap makes the S side the P-VOL');
    await waitState(s.b, 'q', 'PAIR');
    assert.equal((await pairInfo(s.a, 'q')).attribute, 'S-VOL');
  });

  it('PSUE: resync to P is NORMAL END (stays PSUE, resumes with the link); the other three ABNORMAL (4 cells)', async () => {
    // After the swap above, array B holds the P-VOL.
    s.link.cut();
    await waitState(s.b, 'q', 'PSUE');
    await waitState(s.a, 'q', 'PSUE');
    await expectAbnormal(s.a, 'q', 'resync'); // given to the S-VOL
    await expectAbnormal(s.b, 'q', 'swap'); // given to the P-VOL
    await expectAbnormal(s.a, 'q', 'swap'); // given to the S-VOL: needs the P side
    const r = normal(await s.b.client().post<{ pair: { state: string } }>(API.pairCommand('q', 'resync'), {}));
    assert.equal(r.pair.state, 'PSUE', 'accepted while the link is down: stays PSUE');
    s.link.restore();
    await waitState(s.b, 'q', 'PAIR');
    await waitState(s.a, 'q', 'PAIR');
  });
});
