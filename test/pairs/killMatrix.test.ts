// kill -9 of either array in every phase of a pair's life (initial copy, resync, PAIR under
// writes, swap). After the restart the pair must come back by itself (or by one operator
// resync where the state says so) and the S-VOL must end byte-identical to the P-VOL.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { API } from '../../src/protocol/control.js';
import type { PairInfo } from '../../src/protocol/control.js';
import type { ArrayProcess } from '../helpers/arrayProcess.js';
import { normal, qemuIo, run, startTwoSites, waitLinked, waitState, type TwoSites } from '../helpers/twoSites.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('kill -9 matrix: every phase x either array', () => {
  let s: TwoSites;
  let n = 0;
  before(async () => {
    s = await startTwoSites();
    await waitLinked(s);
  });
  after(async () => s?.dispose());

  async function volumes(): Promise<{ name: string; pa: string; sb: string }> {
    n++;
    const v = { name: `k${n}`, pa: `k${n}-a`, sb: `k${n}-b` };
    normal(await s.a.client().post(API.volumes, { name: v.pa, size: '8M' }));
    normal(await s.b.client().post(API.volumes, { name: v.sb, size: '8M' }));
    return v;
  }

  async function crash(victim: ArrayProcess): Promise<void> {
    const st = await victim.kill('SIGKILL');
    assert.equal(st.signal, 'SIGKILL');
    await victim.restart();
    await waitLinked(s);
  }

  async function info(array: ArrayProcess, name: string): Promise<PairInfo | null> {
    const r = await array.client().get<{ pair: PairInfo }>(API.pair(name));
    return r.result === 'NORMAL' ? r.pair : null;
  }

  /** Bring the pair to PAIR (resync where an operator would), then compare both volumes. */
  async function convergesIdentical(name: string, pa: string, sb: string): Promise<void> {
    const deadline = Date.now() + 40_000;
    for (;;) {
      assert.ok(Date.now() < deadline, `pair ${name} did not converge`);
      const [ia, ib] = await Promise.all([info(s.a, name), info(s.b, name)]);
      assert.ok(ia && ib, 'both arrays still know the pair after the crash');
      assert.ok(!(ia.access === 'read-write' && ib.access === 'read-write'), 'never both volumes writable');
      const p = ia.attribute === 'P-VOL' ? s.a : s.b;
      const ip = p === s.a ? ia : ib;
      if (ia.state === 'PAIR' && ib.state === 'PAIR') break;
      if (ip.state === 'PSUS') normal(await p.client().post(API.pairCommand(name, 'resync'), {}));
      await sleep(200);
    }
    const cmp = await run('qemu-img', ['compare', '-f', 'raw', '-F', 'raw', s.a.nbdUri(pa), s.b.nbdUri(sb)]);
    assert.equal(cmp.code, 0, `P-VOL and S-VOL differ after recovery: ${cmp.out}`);
  }

  for (const victimName of ['a', 'b'] as const) {
    it(`initial copy, kill -9 of array ${victimName.toUpperCase()}: the copy resumes and completes`, async () => {
      const v = await volumes();
      assert.equal((await qemuIo(s.a.nbdUri(v.pa), 'write -P 0x5c 0 8M')).code, 0);
      normal(await s.a.client().post(API.pairs, { name: v.name, pvol: v.pa, svol: v.sb, pace: 4 * 1024 * 1024 }));
      await sleep(700);
      assert.equal((await info(s.a, v.name))?.state, 'COPY');
      await crash(victimName === 'a' ? s.a : s.b);
      await convergesIdentical(v.name, v.pa, v.sb);
    });

    it(`resync, kill -9 of array ${victimName.toUpperCase()}: the resync resumes and completes`, async () => {
      const v = await volumes();
      normal(await s.a.client().post(API.pairs, { name: v.name, pvol: v.pa, svol: v.sb, nocopy: true, pace: 2 * 1024 * 1024 }));
      await waitState(s.b, v.name, 'PAIR');
      normal(await s.a.client().post(API.pairCommand(v.name, 'split'), {}));
      assert.equal((await qemuIo(s.a.nbdUri(v.pa), 'write -P 0x3d 1M 6M')).code, 0);
      normal(await s.a.client().post(API.pairCommand(v.name, 'resync'), {}));
      await sleep(500);
      assert.equal((await info(s.a, v.name))?.state, 'COPY');
      await crash(victimName === 'a' ? s.a : s.b);
      await convergesIdentical(v.name, v.pa, v.sb);
    });

    it(`PAIR under FUA writes, kill -9 of array ${victimName.toUpperCase()}: regions in flight are resynced`, async () => {
      const v = await volumes();
      normal(await s.a.client().post(API.pairs, { name: v.name, pvol: v.pa, svol: v.sb, nocopy: true }));
      await waitState(s.b, v.name, 'PAIR');
      const writes = Array.from({ length: 400 }, (_, i) => `write -F -P ${(i % 250) + 1} ${(i * 20480) % (8 * 1024 * 1024 - 4096)} 4k`);
      const writer = qemuIo(s.a.nbdUri(v.pa), ...writes);
      await sleep(300);
      await crash(victimName === 'a' ? s.a : s.b);
      await writer; // it may have failed when A died: convergence is what is checked here
      await convergesIdentical(v.name, v.pa, v.sb);
    });

    it(`swap, kill -9 of array ${victimName.toUpperCase()} right after: one P-VOL, then identical`, async () => {
      const v = await volumes();
      normal(await s.a.client().post(API.pairs, { name: v.name, pvol: v.pa, svol: v.sb, nocopy: true }));
      await waitState(s.b, v.name, 'PAIR');
      normal(await s.a.client().post(API.pairCommand(v.name, 'split'), {}));
      assert.equal((await qemuIo(s.a.nbdUri(v.pa), 'write -P 0x7e 0 2M')).code, 0);
      await waitState(s.b, v.name, 'SSUS');
      const swap = s.b.client().post(API.pairCommand(v.name, 'swap'), {});
      await sleep(victimName === 'a' ? 5 : 15);
      await crash(victimName === 'a' ? s.a : s.b);
      await swap; // NORMAL or ABNORMAL: the crash decides; the outcome must still be one P-VOL
      const [ia, ib] = await Promise.all([info(s.a, v.name), info(s.b, v.name)]);
      assert.ok(ia && ib);
      await convergesIdentical(v.name, v.pa, v.sb);
      const [fa, fb] = await Promise.all([info(s.a, v.name), info(s.b, v.name)]);
      assert.notEqual(fa?.attribute, fb?.attribute, 'exactly one P-VOL after recovery');
    });
  }
});
