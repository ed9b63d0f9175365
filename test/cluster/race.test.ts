// Two hosts racing for a free determining pair at the same instant through the real arrays (no
// agents), round after round: exactly one NORMAL END each time (SPEC §6.1, FIG.4 refs. 130/131).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { API, type PairInfo, type ReservationResponse } from '../../src/protocol/control.js';
import type { Lab, Site } from '../../src/lab/lab.js';
import { seededRandom, startLab } from '../helpers/cluster.js';

type TestLab = Awaited<ReturnType<typeof startLab>>;

function reserve(lab: Lab, site: Site): Promise<ReservationResponse> {
  return lab.client(site).post(API.pairCommand('quorum', 'reserve'), { host: `host-${site}` });
}

async function quorum(lab: Lab, site: Site): Promise<PairInfo> {
  const r = await lab.client(site).get<{ pair: PairInfo }>(API.pair('quorum'));
  assert.equal(r.result, 'NORMAL');
  return r.pair;
}

/** Both arrays report the pair in `state` (PSUS reads SSUS on the S side). */
async function waitBoth(lab: Lab, state: string): Promise<void> {
  await lab.waitFor(`quorum ${state} on both arrays`, async () => (await quorum(lab, 'a')).state === state && (await quorum(lab, 'b')).state === state, 5000);
}

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
        return reserve(lab, site);
      }));
      const winners = [ra, rb].filter((r) => r.result === 'NORMAL');
      assert.equal(winners.length, 1, `round ${round} (jitter ${JSON.stringify(jitter)}): ${JSON.stringify([ra, rb])}`);
      const loser = ra.result === 'NORMAL' ? rb : ra;
      assert.equal(loser.result, 'ABNORMAL');
      assert.ok(loser.reason && loser.message, `round ${round}: the loser's ABNORMAL END must carry a reason`);
      const winner: Site = ra.result === 'NORMAL' ? 'a' : 'b';
      wins[winner]++;
      assert.equal((await quorum(lab, winner)).holder, `host-${winner}`, `round ${round}`);
      assert.equal((await quorum(lab, winner)).attribute, 'P-VOL', `round ${round}: the winner's volume is the P-VOL`);
      const reset = await lab.client(winner).post<ReservationResponse>(API.pairCommand('quorum', 'reset'), {});
      assert.equal(reset.result, 'NORMAL', `round ${round}: reset ${JSON.stringify(reset)}`);
      await waitBoth(lab, 'PSUS');
    }
    assert.ok(wins.a > 0 && wins.b > 0, `both sides should win some rounds: ${JSON.stringify(wins)}`);
  });
});
