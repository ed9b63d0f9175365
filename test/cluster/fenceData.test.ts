// SPEC §6.5 "remote copy link only" with fence `data` (§3.3): while the link is down the P-VOL's
// writes fail, so the application stops acknowledging — nothing is acknowledged that the S-VOL
// does not have. Its monitor fails and A hands over, but B cannot win without the link. When the
// link returns the pair resyncs and the application acknowledges again on exactly one host.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { RoleWatch, SafetySampler, lostRecords, startSteadyLab, type TestLab } from '../helpers/cluster.js';

describe('remote copy link lost with fence data (agents + demo application)', () => {
  let lab: TestLab;
  let sampler: SafetySampler;
  before(async () => {
    ({ lab, sampler } = await startSteadyLab({ fence: 'data' }));
  });
  after(async () => {
    const violations = await sampler?.stop();
    await lab?.dispose();
    assert.deepEqual(violations ?? [], [], 'safety invariant: db was read-write on both arrays at once');
  });

  it('writes stop being acknowledged while the link is down; B cannot win meanwhile; everything acknowledged is on both sides after the resync', async () => {
    const watch = new RoleWatch(lab);
    lab.cutLink();
    await lab.waitFor('db PSUE on A', async () => (await lab.pairs('a')).db?.state === 'PSUE', 10_000);
    await sleep(1000);
    const acked = lab.acks('a') + lab.acks('b');
    await sleep(3000);
    assert.equal(lab.acks('a') + lab.acks('b'), acked, 'fence data: no write is acknowledged while the S-VOL cannot be updated');
    const seen = await watch.stop();
    lab.restoreLink();
    assert.ok(!seen.b.has('ACTIVE') && !seen.b.has('PROMOTING'), `B cannot win while the link is down: saw ${[...seen.b]}`);
    await lab.waitFor('db PAIR on both arrays again', async () => (await lab.pairs('a')).db?.state === 'PAIR' && (await lab.pairs('b')).db?.state === 'PAIR', 30_000);
    await lab.waitFor('the application acknowledging again', () => lab.acks('a') + lab.acks('b') >= acked + 5, 30_000);
    await lab.waitFor('exactly one ACTIVE host', async () => (await lab.activeHosts()).length === 1, 10_000);
    const active = await lab.activeHosts();
    assert.equal((await lab.pairs(active[0])).db?.attribute, 'P-VOL', 'the ACTIVE host holds the P-VOL');
    assert.deepEqual(lostRecords(await lab.verify('a')), []);
    assert.deepEqual(lostRecords(await lab.verify('b')), []);
  });
});
