// `pairvol app` against the real arrays of the lab (no agents): records go to the P-VOL with FUA
// and reach the S-VOL in PAIR; a second run continues after the last record; the S-VOL's
// read-only export is refused before anything is logged; bad command lines exit 2.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readAckLog } from '../../src/demo/ackLog.js';
import { runPairvol } from '../helpers/arrayProcess.js';
import { lostRecords, startLab } from '../helpers/cluster.js';

type TestLab = Awaited<ReturnType<typeof startLab>>;

describe('pairvol app (the demo application) against the lab arrays', () => {
  let lab: TestLab;
  before(async () => (lab = await startLab({ hosts: false })));
  after(async () => lab?.dispose());

  it('writes numbered records on the P-VOL, logs each acknowledged one, and they are on the S-VOL', async () => {
    const r = await runPairvol(['app', '--nbd', lab.nbdUri('a'), '--log', lab.hosts.a.ackLog, '--host', 'host-a', '--count', '8', '--interval', '0']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /writing from seq 1\b/);
    assert.deepEqual(readAckLog(lab.hosts.a.ackLog).map((e) => e.seq), [1, 2, 3, 4, 5, 6, 7, 8]);
    const report = await lab.verify('b');
    assert.equal(report.acknowledged, 8);
    assert.deepEqual(lostRecords(report), []);
    assert.equal(report.highestSeq, 8);
  });

  it('a second run continues after the highest record on the volume', async () => {
    const r = await runPairvol(['app', '--nbd', lab.nbdUri('a'), '--log', lab.hosts.a.ackLog, '--host', 'host-a', '--count', '3', '--interval', '0']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /writing from seq 9\b/);
    assert.deepEqual(lostRecords(await lab.verify('a')), []);
    assert.equal((await lab.verify('a')).highestSeq, 11);
  });

  it('refuses the S-VOL (read-only export) with a clear error and logs nothing', async () => {
    const r = await runPairvol(['app', '--nbd', lab.nbdUri('b'), '--log', lab.hosts.b.ackLog, '--host', 'host-b', '--count', '3']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /read-only/);
    assert.deepEqual(readAckLog(lab.hosts.b.ackLog), []);
    assert.equal((await lab.verify('a')).highestSeq, 11, 'nothing was written');
  });

  it('bad command lines are usage errors (exit 2)', async () => {
    for (const args of [['app'], ['app', '--nbd', 'http://x/y', '--log', '/tmp/x', '--host', 'h', '--count', '0'], ['app', '--bogus']]) {
      const r = await runPairvol(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    }
    const r = await runPairvol(['app', '--nbd', 'http://x/y', '--log', '/tmp/pairvol-never.log', '--host', 'h']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not an NBD URI/);
  });
});
