// The determining pair through the real arrays (no agents): the FIG.7 -> FIG.12 sequence of
// reserve, renewal, refusal, reset and the other host's reserve (SPEC §6.1, §6.2).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { API, type ReservationResponse } from '../../src/protocol/control.js';
import { startLab, reserveQuorum, quorumInfo, waitQuorumBoth, type TestLab } from '../helpers/cluster.js';

describe('determining pair: FIG.7 to FIG.12 through the real arrays', () => {
  let lab: TestLab;
  before(async () => (lab = await startLab({ hosts: false })));
  after(async () => lab?.dispose());

  it('FIG.7: initially suspended (normal) on both sides, nobody holds it', async () => {
    for (const site of ['a', 'b'] as const) {
      const q = await quorumInfo(lab, site);
      assert.equal(q.state, 'PSUS');
      assert.equal(q.holder, null);
    }
    assert.equal((await quorumInfo(lab, 'a')).attribute, 'P-VOL');
    assert.equal((await quorumInfo(lab, 'b')).displayState, 'SSUS');
  });

  it('FIG.8: host A reserves on its P-VOL: NORMAL END, the pair goes to copy/paired, held by A', async () => {
    const r = await reserveQuorum(lab, 'a');
    assert.equal(r.result, 'NORMAL', JSON.stringify(r));
    assert.equal(r.action, 'reserved');
    assert.ok(['COPY', 'PAIR'].includes(r.pair.state));
    assert.equal((await quorumInfo(lab, 'a')).holder, 'host-a');
    await waitQuorumBoth(lab, 'PAIR');
  });

  it('FIG.9: A renews (NORMAL, nothing issued); B is refused while A holds it', async () => {
    const renewal = await reserveQuorum(lab, 'a');
    assert.equal(renewal.result, 'NORMAL');
    assert.equal(renewal.action, 'renewed');
    const b = await reserveQuorum(lab, 'b');
    assert.equal(b.result, 'ABNORMAL');
    assert.ok(b.reason === 'invalid-state' || b.reason === 'held-by-other', b.reason);
    assert.equal((await quorumInfo(lab, 'a')).holder, 'host-a');
    assert.equal((await quorumInfo(lab, 'a')).attribute, 'P-VOL');
  });

  it('FIG.10/FIG.11: B resets (challenge): NORMAL END, the pair is suspended (normal) again and free', async () => {
    const r = await lab.client('b').post<ReservationResponse>(API.pairCommand('quorum', 'reset'), {});
    assert.equal(r.result, 'NORMAL', JSON.stringify(r));
    await waitQuorumBoth(lab, 'PSUS');
    assert.equal((await quorumInfo(lab, 'a')).holder, null);
  });

  it('FIG.12: B reserves: swap resync makes its volume the P-VOL; A can no longer renew', async () => {
    const r = await reserveQuorum(lab, 'b');
    assert.equal(r.result, 'NORMAL', JSON.stringify(r));
    assert.equal(r.pair.attribute, 'P-VOL');
    assert.equal((await quorumInfo(lab, 'b')).holder, 'host-b');
    assert.equal((await quorumInfo(lab, 'a')).attribute, 'S-VOL');
    await waitQuorumBoth(lab, 'PAIR');
    const a = await reserveQuorum(lab, 'a');
    assert.equal(a.result, 'ABNORMAL', 'the old holder\'s renewal must fail once B holds the pair');
  });
});
