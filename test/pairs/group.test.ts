// Consistency group (SPEC §4, reference §1.10): a group split freezes all S-VOLs at one
// instant, so dependent writes (A then B) are never seen on the S side as B without A.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { API } from '../../src/protocol/control.js';
import { NbdClient } from '../../src/protocol/nbdClient.js';
import { normal, startTwoSites, waitLinked, waitState, type TwoSites } from '../helpers/twoSites.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function block(seq: number): Buffer {
  const b = Buffer.alloc(4096);
  b.writeUInt32BE(seq, 0);
  return b;
}

describe('consistency group split', () => {
  let s: TwoSites;
  before(async () => {
    s = await startTwoSites();
    await waitLinked(s);
    for (const v of ['log', 'data']) {
      normal(await s.a.client().post(API.volumes, { name: `${v}-a`, size: '1M' }));
      normal(await s.b.client().post(API.volumes, { name: `${v}-b`, size: '1M' }));
      normal(await s.a.client().post(API.pairs, { name: v, pvol: `${v}-a`, svol: `${v}-b`, nocopy: true, group: 'app' }));
      await waitState(s.b, v, 'PAIR');
    }
  });
  after(async () => s?.dispose());

  it('keeps the S-VOLs mutually consistent while dependent writes go on', async () => {
    const log = await NbdClient.connect(s.a.nbdUri('log-a'));
    const data = await NbdClient.connect(s.a.nbdUri('data-a'));
    let seq = 0;
    let stop = false;
    // The application's rule: record n goes to the log first, then (only once acknowledged) to data.
    const writer = (async () => {
      while (!stop) {
        seq++;
        await log.write(0, block(seq), { fua: true });
        await data.write(0, block(seq), { fua: true });
      }
    })();
    await sleep(300);
    const split = normal(await s.a.client().post<{ pairs: { state: string }[] }>(API.groupCommand('app', 'split'), {}));
    assert.deepEqual(
      split.pairs.map((p) => p.state),
      ['PSUS', 'PSUS'],
    );
    await sleep(200);
    stop = true;
    await writer;
    log.close();
    data.close();
    await waitState(s.b, 'log', 'SSUS');
    await waitState(s.b, 'data', 'SSUS');
    const slog = await NbdClient.connect(s.b.nbdUri('log-b'));
    const sdata = await NbdClient.connect(s.b.nbdUri('data-b'));
    const sLog = (await slog.read(0, 4096)).readUInt32BE(0);
    const sData = (await sdata.read(0, 4096)).readUInt32BE(0);
    slog.close();
    sdata.close();
    assert.ok(sData > 0, 'writes were replicated before the split');
    assert.ok(sLog >= sData, `S-VOLs inconsistent: data has record ${sData} but the log only ${sLog}`);
    assert.ok(seq > sLog, 'writes went on after the split and did not reach the S-VOLs');
  });
});
