// SPEC §6.5 with the agents and the demo application running: heartbeat loss only, crash of
// the ACTIVE host, crash of the STANDBY host. Each checks who is ACTIVE, the safety invariant
// sampled all along, and that every acknowledged record is on the surviving P-VOL.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { RoleWatch, SafetySampler, lostRecords, roles, startSteadyLab, type TestLab } from '../helpers/cluster.js';

describe('host failures (agents + demo application, fence never)', () => {
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

  it('heartbeat only: A stays ACTIVE, B stays STANDBY and reports a heartbeat-network fault; db keeps its direction', async () => {
    lab.cutHeartbeat();
    const watch = new RoleWatch(lab);
    // Long enough for B to challenge (1 s silence + 1 s challengeWait) and lose, more than once.
    await sleep(4000);
    const ackedBefore = lab.acks('a');
    await lab.waitForAcks('a', 5);
    const seen = await watch.stop();
    const faultSeen = (await lab.hostStatus('b'))?.heartbeatFault;
    lab.restoreHeartbeat();
    assert.ok(!seen.b.has('ACTIVE') && !seen.b.has('PROMOTING'), `B must not become ACTIVE: saw ${[...seen.b]}`);
    assert.deepEqual([...seen.a], ['ACTIVE'], 'A stays ACTIVE the whole time');
    assert.equal(faultSeen, true, 'B reports a heartbeat-network fault');
    assert.ok(lab.acks('a') > ackedBefore);
    const db = await lab.pairs('a');
    assert.equal(db.db?.attribute, 'P-VOL', 'db did not change direction');
    assert.equal(db.quorum?.holder, 'host-a');
    const report = await lab.verify('a');
    assert.deepEqual(lostRecords(report), []);
    assert.ok(report.acknowledged > 0);
  });

  it('ACTIVE host crash (kill -9): B wins, swaps db, starts the application; no acknowledged record lost', async () => {
    await lab.waitFor('B to hear A again', async () => (await lab.hostStatus('b'))?.peers.some((p) => p.alive) ?? false, 10_000);
    await lab.killHost('a', 'SIGKILL');
    await lab.waitForRole('b', 'ACTIVE', 15_000);
    await lab.waitForAcks('b', 5);
    const b = await lab.pairs('b');
    assert.equal(b.db?.attribute, 'P-VOL', 'db was swapped: B holds the P-VOL');
    assert.equal(b.db?.access, 'read-write');
    assert.equal((await lab.pairs('a')).db?.access, 'read-only', 'the old P-VOL refuses writes');
    assert.equal(b.quorum?.holder, 'host-b');
    const report = await lab.verify('b');
    assert.deepEqual(lostRecords(report), [], 'every record A or B acknowledged is on the new P-VOL');
    assert.ok(report.acknowledged > 0);
  });

  it('the crashed host comes back as STANDBY; nothing moves', async () => {
    await lab.restartHost('a');
    await lab.waitForRole('a', 'STANDBY');
    await sleep(1500);
    assert.equal(await roles(lab), 'a:STANDBY b:ACTIVE');
  });

  it('STANDBY host crash: nothing changes', async () => {
    const watch = new RoleWatch(lab);
    await lab.killHost('a', 'SIGKILL');
    await sleep(3000);
    await lab.waitForAcks('b', 5);
    const seen = await watch.stop();
    assert.deepEqual([...seen.b], ['ACTIVE'], 'B stays ACTIVE');
    const b = await lab.pairs('b');
    assert.equal(b.db?.attribute, 'P-VOL');
    assert.equal(b.db?.state, 'PAIR', 'the data pair is untouched');
    assert.deepEqual(lostRecords(await lab.verify('b')), []);
    await lab.restartHost('a');
    await lab.waitForRole('a', 'STANDBY');
  });

  it('planned switchover: the application moves back to A without timeouts; no acknowledged record lost', async () => {
    await lab.waitFor('B to hear A as STANDBY', async () => (await lab.hostStatus('b'))?.peers.some((p) => p.alive && p.role === 'STANDBY') ?? false, 10_000);
    const r = await lab.switchover('b');
    assert.equal(r.result, 'NORMAL', JSON.stringify(r));
    await lab.waitForRole('a', 'ACTIVE', 15_000);
    await lab.waitForAcks('a', 5);
    assert.equal(await roles(lab), 'a:ACTIVE b:STANDBY');
    assert.equal((await lab.pairs('a')).db?.attribute, 'P-VOL');
    assert.deepEqual(lostRecords(await lab.verify('a')), []);
  });
});
