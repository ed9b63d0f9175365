// Two hosts racing for a free determining pair at the same instant through the real arrays (no
// agents), round after round: exactly one NORMAL END each time (SPEC §6.1, FIG.4 refs. 130/131).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { API, type ReservationResponse } from '../../src/protocol/control.js';
import type { Site } from '../../src/lab/lab.js';
import { startLab, reserveQuorum, quorumInfo, waitQuorumBoth, type TestLab } from '../helpers/cluster.js';
import { seededRandom } from '../helpers/seededRandom.js';

describe('determining pair: two hosts racing from a free pair', () => {
  let lab: TestLab;
  before(async () => (lab = await startLab({ hosts: false })));
  after(async () => lab?.dispose());

  it('exactly one NORMAL END per round over 200 rounds with random jitter (seed 7)', async () => {
    const random = seededRandom(7);
    const wins = { a: 0, b: 0 };
    for (let round = 0; round < 200; round++) {
      // Up to 10 ms apart: enough for the side whose command is forwarded to the P side to be first sometimes.
      const jitter = { a: Math.floor(random() * 10), b: Math.floor(random() * 10) };
      const [ra, rb] = await Promise.all((['a', 'b'] as const).map(async (site) => {
        await sleep(jitter[site]);
        return reserveQuorum(lab, site);
      }));
      const winners = [ra, rb].filter((r) => r.result === 'NORMAL');
      assert.equal(winners.length, 1, `round ${round} (jitter ${JSON.stringify(jitter)}): ${JSON.stringify([ra, rb])}`);
      const loser = ra.result === 'NORMAL' ? rb : ra;
      assert.equal(loser.result, 'ABNORMAL');
      assert.ok(loser.reason && loser.message, `round ${round}: the loser's ABNORMAL END must carry a reason`);
      const winner: Site = ra.result === 'NORMAL' ? 'a' : 'b';
      wins[winner]++;
      assert.equal((await quorumInfo(lab, winner)).holder, `host-${winner}`, `round ${round}`);
      assert.equal((await quorumInfo(lab, winner)).attribute, 'P-VOL', `round ${round}: the winner's volume is the P-VOL`);
      const reset = await lab.client(winner).post<ReservationResponse>(API.pairCommand('quorum', 'reset'), {});
      assert.equal(reset.result, 'NORMAL', `round ${round}: reset ${JSON.stringify(reset)}`);
      await waitQuorumBoth(lab, 'PSUS');
    }
    assert.ok(wins.a > 0 && wins.b > 0, `both sides should win some rounds: ${JSON.stringify(wins)}`);
  });
});
