// SPEC §6.5 with the agents and the demo application running: whole S site lost, an array
// killed (-9) and restarted on either side, and the whole P site lost followed by the operator's
// forced takeover on the S side (the one case where both volumes may be writable).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { API, type PairInfo } from '../../src/protocol/control.js';
import { runRecordApp } from '../../src/demo/recordApp.js';
import { RoleWatch, SafetySampler, lostRecords, roles, startSteadyLab, waitResynced, type TestLab } from '../helpers/cluster.js';

describe('site and array failures (agents + demo application, fence never)', () => {
  let lab: TestLab;
  let sampler: SafetySampler;
  before(async () => {
    ({ lab, sampler } = await startSteadyLab());
  });
  after(async () => {
    await sampler?.stop();
    await lab?.dispose();
  });

  it('whole S site lost: A stays ACTIVE and keeps writing; the site comes back as STANDBY and resyncs', async () => {
    const watch = new RoleWatch(lab);
    await Promise.all([lab.killHost('b', 'SIGKILL'), lab.killArray('b', 'SIGKILL')]);
    await sleep(3000);
    await lab.waitForAcks('a', 10);
    const seen = await watch.stop();
    assert.deepEqual([...seen.a], ['ACTIVE']);
    assert.equal((await lab.pairs('a')).db?.state, 'PSUE');
    await lab.restartArray('b');
    await lab.restartHost('b');
    await lab.waitForRole('b', 'STANDBY');
    await waitResynced(lab);
    assert.deepEqual(lostRecords(await lab.verify('a')), []);
    assert.deepEqual(lostRecords(await lab.verify('b')), []);
  });

  it('S array kill -9 and restart: pair state comes back, the copy resumes, nothing acknowledged is lost', async () => {
    const before = (await lab.pairs('b')).db;
    await lab.killArray('b', 'SIGKILL');
    await lab.waitForAcks('a', 10);
    await lab.restartArray('b');
    const after = (await lab.pairs('b')).db;
    assert.equal(after?.attribute, before?.attribute);
    await waitResynced(lab);
    assert.equal(await roles(lab), 'a:ACTIVE b:STANDBY');
    assert.deepEqual(lostRecords(await lab.verify('b')), []);
  });

  it('P array kill -9 and restart: A stops (cannot renew), nobody wins meanwhile; after the restart the reservation and pairs come back and A runs again', async () => {
    const quorumBefore = (await lab.pairs('a')).quorum;
    assert.equal(quorumBefore?.holder, 'host-a');
    const watch = new RoleWatch(lab);
    await lab.killArray('a', 'SIGKILL');
    await lab.waitForRole('a', 'STANDBY', 10_000);
    await sleep(3000);
    await lab.restartArray('a');
    const quorumAfter = (await lab.pairs('a')).quorum;
    assert.equal(quorumAfter?.attribute, 'P-VOL', 'the determining pair comes back with its attribute');
    assert.equal(quorumAfter?.holder, 'host-a', 'and with its reservation');
    await lab.waitFor('one ACTIVE host again', async () => (await lab.activeHosts()).length === 1, 20_000);
    const seen = await watch.stop();
    assert.ok(!seen.b.has('ACTIVE'), `B cannot win while the P-side array is down or holds the pair: saw ${[...seen.b]}`);
    await lab.waitForRole('a', 'ACTIVE');
    await lab.waitForAcks('a', 5);
    await waitResynced(lab);
    assert.deepEqual(lostRecords(await lab.verify('a')), []);
    assert.deepEqual(lostRecords(await lab.verify('b')), []);
  });

  it('whole P site lost: no automatic takeover; the operator forces the S-VOL (SSWS) and no acknowledged record is lost', async () => {
    const watch = new RoleWatch(lab);
    await Promise.all([lab.killHost('a', 'SIGKILL'), lab.killArray('a', 'SIGKILL')]);
    await sleep(5000);
    const seen = await watch.stop();
    assert.ok(!seen.b.has('ACTIVE') && !seen.b.has('PROMOTING'), `B must not take over by itself: saw ${[...seen.b]}`);
    assert.equal((await lab.pairs('b')).db?.access, 'read-only');
    // The invariant holds up to the explicit --force; after it, both volumes may be writable.
    assert.deepEqual(await sampler.stop(), [], 'safety invariant: db was read-write on both arrays at once');
    await lab.waitFor('B to see the P side gone', async () => (await lab.pairs('b')).db?.state === 'PSUE', 10_000);
    const forced = await lab.client('b').post<{ pair: PairInfo }>(API.pairCommand('db', 'takeover'), { force: true });
    assert.equal(forced.result, 'NORMAL', JSON.stringify(forced));
    const db = (await lab.pairs('b')).db;
    assert.equal(db?.state, 'SSWS');
    assert.equal(db?.access, 'read-write');
    assert.deepEqual(lostRecords(await lab.verify('b')), [], 'in PAIR every acknowledged record reached the S-VOL');
    // The application continues on the taken-over volume after the last record.
    const run = await runRecordApp({ nbdUri: lab.nbdUri('b'), ackLog: lab.hosts.b.ackLog, host: 'host-b', count: 5, intervalMs: 0 });
    assert.equal(run.written, 5);
    assert.deepEqual(lostRecords(await lab.verify('b')), []);
  });
});
