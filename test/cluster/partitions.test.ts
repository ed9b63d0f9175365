// SPEC §6.5 with the agents and the demo application running: the remote copy link alone, and
// the link together with the heartbeat (a full partition). The ACTIVE (the P side of the
// determining pair) keeps running; the other host cannot win; the pairs resync by themselves.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { RoleWatch, SafetySampler, lostRecords, startSteadyLab, waitResynced, type TestLab } from '../helpers/cluster.js';

describe('link failures (agents + demo application, fence never)', () => {
  let lab: TestLab;
  let sampler: SafetySampler;
  before(async () => {
    ({ lab, sampler } = await startSteadyLab());
  });
  after(async () => {
    const violations = await sampler?.stop();
    await lab?.dispose();
    assert.deepEqual(violations ?? [], [], 'safety invariant: db was read-write on both arrays at once');
  });

  it('remote copy link only: A keeps running, db goes PSUE, and resyncs by itself when the link returns', async () => {
    const watch = new RoleWatch(lab);
    lab.cutLink();
    await lab.waitFor('db PSUE on A', async () => (await lab.pairs('a')).db?.state === 'PSUE', 10_000);
    await lab.waitForAcks('a', 10); // fence never: writes go on while suspended
    await sleep(2000);
    const seen = await watch.stop();
    assert.deepEqual([...seen.a], ['ACTIVE'], 'A stays ACTIVE');
    assert.deepEqual([...seen.b], ['STANDBY'], 'B stays STANDBY: the heartbeat is fine');
    lab.restoreLink();
    await waitResynced(lab);
    assert.equal((await lab.pairs('a')).db?.attribute, 'P-VOL');
    assert.deepEqual(lostRecords(await lab.verify('a')), [], 'the P-VOL has every acknowledged record');
    // After the resync the S-VOL has caught up with what was written while suspended.
    assert.deepEqual(lostRecords(await lab.verify('b')), [], 'the resynced S-VOL has every acknowledged record');
  });

  it('link + heartbeat (full partition): only the P side of the determining pair is ACTIVE; B cannot win', async () => {
    const watch = new RoleWatch(lab);
    lab.cutLink();
    lab.cutHeartbeat();
    // B's heartbeat times out; its RESET cannot reach the P side, and it backs off.
    await sleep(5000);
    await lab.waitForAcks('a', 5);
    const seen = await watch.stop();
    const b = await lab.pairs('b');
    lab.restoreHeartbeat();
    lab.restoreLink();
    assert.deepEqual([...seen.a], ['ACTIVE'], 'A stays ACTIVE');
    assert.ok(!seen.b.has('ACTIVE') && !seen.b.has('PROMOTING'), `B must not win: saw ${[...seen.b]}`);
    assert.equal(b.quorum?.attribute, 'S-VOL', 'B never got the determining pair');
    assert.equal(b.db?.access, 'read-only');
    await waitResynced(lab);
    assert.deepEqual(lostRecords(await lab.verify('a')), []);
  });
});
