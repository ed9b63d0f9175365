// The failures the demo injects, in the order of SPEC §6.5's table, each narrated: what is
// broken, what the hosts decide and why, and how the lab comes back. Each scenario starts from
// a steady lab (one ACTIVE host writing, db PAIR) and leaves it steady again.
import { otherSite, type Lab, type Site } from '../lab/lab.js';
import type { DemoMonitor } from './monitor.js';

export interface ScenarioContext {
  lab: Lab;
  monitor: DemoMonitor;
  /** Throws once the demo is interrupted, so no new process is started after Ctrl-C. */
  checkpoint(): void;
}

export interface Scenario {
  name: string;
  title: string;
  run(ctx: ScenarioContext): Promise<void>;
}

/** Waits (bounded) for one ACTIVE host and one STANDBY host. */
export async function steadyRoles(lab: Lab, timeoutMs = 20_000): Promise<{ active: Site; standby: Site }> {
  let active: Site | null = null;
  await lab.waitFor('one ACTIVE and one STANDBY host', async () => {
    const [a, b] = await Promise.all([lab.hostStatus('a'), lab.hostStatus('b')]);
    active = a?.role === 'ACTIVE' && b?.role === 'STANDBY' ? 'a' : b?.role === 'ACTIVE' && a?.role === 'STANDBY' ? 'b' : null;
    return active !== null;
  }, timeoutMs);
  return { active: active!, standby: otherSite(active!) };
}

const hostCrash: Scenario = {
  name: 'host-crash',
  title: 'the ACTIVE host crashes (kill -9 of its agent and application)',
  async run({ lab, monitor, checkpoint }) {
    const { active, standby } = await steadyRoles(lab);
    monitor.say(`kill -9 host-${active}: its agent and application die at once; array site-${active} keeps running`);
    monitor.beginStory();
    checkpoint();
    await lab.killHost(active, 'SIGKILL');
    monitor.faults.add(`host-${active} crashed`);
    await lab.waitForRole(standby, 'ACTIVE', 20_000);
    await lab.waitForAcks(standby, 5);
    await monitor.refresh();
    monitor.say(`host-${standby} is ACTIVE and its application writes to site-${standby}, now the P-VOL of db`);
    await monitor.tellStory();
    monitor.say(`restart host-${active}: it hears host-${standby} ACTIVE and joins as STANDBY`);
    checkpoint();
    await lab.restartHost(active);
    monitor.faults.delete(`host-${active} crashed`);
    await lab.waitForRole(active, 'STANDBY', 20_000);
  },
};

const heartbeatCut: Scenario = {
  name: 'heartbeat',
  title: 'the heartbeat network is cut (the hosts cannot hear each other; the storage link is up)',
  async run({ lab, monitor, checkpoint }) {
    const { active, standby } = await steadyRoles(lab);
    monitor.say(`cut the heartbeat network: host-${standby} cannot tell a dead host-${active} from a silent one, so it asks the storage`);
    monitor.beginStory();
    checkpoint();
    lab.cutHeartbeat();
    monitor.faults.add('heartbeat cut');
    await lab.waitFor(`host-${standby} to report a heartbeat-network fault`, async () => (await lab.hostStatus(standby))?.heartbeatFault === true, 20_000);
    await lab.waitForAcks(active, 5);
    await monitor.refresh();
    monitor.say(`host-${active} renewed its reservation every renewInterval, so host-${standby}'s challenge failed: host-${active} stays ACTIVE, db keeps its direction`);
    await monitor.tellStory();
    monitor.say('restore the heartbeat network');
    lab.restoreHeartbeat();
    monitor.faults.delete('heartbeat cut');
    await lab.waitFor(`host-${standby} to hear host-${active} again`, async () => (await lab.hostStatus(standby))?.heartbeatFault === false, 20_000);
  },
};

const linkCut: Scenario = {
  name: 'link',
  title: 'the remote copy link is cut (the arrays cannot copy; the hosts hear each other)',
  async run({ lab, monitor, checkpoint }) {
    const { active } = await steadyRoles(lab);
    const standby = otherSite(active);
    monitor.say('cut the remote copy link between the arrays');
    monitor.beginStory();
    checkpoint();
    lab.cutLink();
    monitor.faults.add('remote copy link cut');
    await lab.waitFor(`db to go PSUE on site-${active}`, async () => (await lab.pairs(active)).db?.state === 'PSUE', 20_000);
    const before = lab.acks(active);
    await lab.waitForAcks(active, 20);
    const changed = (await lab.pairs(active)).db?.changedPercent ?? 0;
    monitor.say(
      `db is PSUE; with fence "never" host-${active}'s writes still succeed (${lab.acks(active) - before} more records acknowledged) and site-${active} marks them in its bitmap (${changed}% of regions changed); site-${standby} is behind`,
    );
    monitor.say('restore the link: the arrays reconnect and resync only the changed regions');
    lab.restoreLink();
    monitor.faults.delete('remote copy link cut');
    await lab.waitFor('db PAIR on both arrays', async () => {
      const [a, b] = await Promise.all([lab.pairs('a'), lab.pairs('b')]);
      return a.db?.state === 'PAIR' && b.db?.state === 'PAIR';
    }, 30_000);
    monitor.say('db is PAIR again on both arrays: no host decision was needed');
    await monitor.tellStory();
  },
};

const switchover: Scenario = {
  name: 'switchover',
  title: 'a planned switchover (pairvol host switchover)',
  async run({ lab, monitor, checkpoint }) {
    const { active, standby } = await steadyRoles(lab);
    monitor.say(`pairvol host switchover, asked on host-${standby}: no timeout to wait for, the hosts agree over the heartbeat`);
    monitor.beginStory();
    checkpoint();
    const r = await lab.switchover(standby);
    if (r.result === 'ABNORMAL') throw new Error(`switchover refused: ${r.reason}: ${r.message}`);
    await lab.waitForRole(standby, 'ACTIVE', 20_000);
    await lab.waitForAcks(standby, 5);
    await monitor.refresh();
    monitor.say(`host-${standby} is ACTIVE; host-${active} handed over without a challenge`);
    await monitor.tellStory();
  },
};

export const SCENARIOS: readonly Scenario[] = [hostCrash, heartbeatCut, linkCut, switchover];

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
