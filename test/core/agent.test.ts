// Drives the pure cluster-agent machine (src/core/agent.ts) with a simulated clock. Two hosts,
// a heartbeat network that can be cut, and an in-test model of the determining pair that follows
// SPEC §6.1/§6.2 (FIG.5/FIG.6) and §3.1 (FIG.4), so that whole failover sequences can be played.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_TIMING,
  initialAgentState,
  step,
  switchoverRefusal,
  timingProblems,
  type AgentAction,
  type AgentEvent,
  type AgentState,
  type OpResult,
} from '../../src/core/agent.js';

type Site = 'A' | 'B';
const HOST: Record<Site, string> = { A: 'host-a', B: 'host-b' };
const TICK = 50;

/** The determining pair across the two arrays; array A starts as the P side (FIG.7: PSUS). */
class DeterminingPair {
  pSide: Site = 'A';
  state: 'PSUS' | 'PAIR' = 'PSUS';
  holder: Record<Site, string | null> = { A: null, B: null };
  linkUp = true;

  reserve(site: Site, host: string): OpResult {
    const isP = this.pSide === site;
    if (isP && this.state === 'PAIR' && this.holder[site] === host) return { result: 'NORMAL' };
    if (this.holder[site] !== null && this.holder[site] !== host) return abn('held-by-other');
    if (this.state !== 'PSUS') return abn('invalid-state'); // FIG.4 refs. 130 / 131
    if (!isP) {
      if (!this.linkUp) return abn('peer-unreachable');
      this.pSide = site; // swap resync: the S side becomes the P side
    }
    this.state = 'PAIR';
    this.holder[site] = host;
    return { result: 'NORMAL' };
  }

  release(site: Site, host: string): OpResult {
    if (this.holder[site] !== host) return abn('not-holder');
    if (this.pSide !== site && !this.linkUp) return abn('peer-unreachable');
    this.state = 'PSUS';
    this.holder = { A: null, B: null };
    return { result: 'NORMAL' };
  }

  reset(site: Site): OpResult {
    if (this.pSide !== site && !this.linkUp) return abn('peer-unreachable');
    this.state = 'PSUS';
    this.holder = { A: null, B: null };
    return { result: 'NORMAL' };
  }
}

function abn(reason: string): OpResult {
  return { result: 'ABNORMAL', reason, message: reason };
}

interface Host {
  site: Site;
  state: AgentState;
  alive: boolean;
  arrayReachable: boolean;
  appRunning: boolean;
  monitorOk: boolean;
  log: Extract<AgentAction, { type: 'log-event' }>[];
  sent: AgentAction[];
}

/** Two hosts, a heartbeat network and the determining pair, advanced in TICK steps. */
class World {
  now = 0;
  heartbeatUp = true;
  pair = new DeterminingPair();
  hosts: Record<Site, Host>;
  private queue: { at: number; site: Site; event: AgentEvent }[] = [];
  /** Every tick: who runs the application. Two at once would break the safety invariant. */
  overlaps = 0;

  constructor(opts: { startB?: boolean; timing?: typeof DEFAULT_TIMING } = {}) {
    const timing = opts.timing ?? DEFAULT_TIMING;
    const mk = (site: Site, preferred: boolean, alive: boolean): Host => ({
      site,
      state: initialAgentState({ name: HOST[site], preferred }, timing, 0),
      alive,
      arrayReachable: true,
      appRunning: false,
      monitorOk: true,
      log: [],
      sent: [],
    });
    this.hosts = { A: mk('A', true, true), B: mk('B', false, opts.startB ?? true) };
  }

  feed(site: Site, event: AgentEvent): void {
    const h = this.hosts[site];
    if (!h.alive) return;
    const r = step(h.state, event, this.now);
    h.state = r.state;
    for (const a of r.actions) this.execute(h, a);
  }

  private later(site: Site, event: AgentEvent, delay = 10): void {
    this.queue.push({ at: this.now + delay, site, event });
  }

  private execute(h: Host, a: AgentAction): void {
    h.sent.push(a);
    const other: Site = h.site === 'A' ? 'B' : 'A';
    switch (a.type) {
      case 'log-event':
        h.log.push(a);
        return;
      case 'send-heartbeat':
        if (this.heartbeatUp) this.later(other, { type: 'heartbeat', peer: HOST[h.site], path: 'udp', ...a.message }, 1);
        return;
      case 'reserve':
      case 'release':
      case 'reset': {
        let result: OpResult;
        if (!h.arrayReachable) result = abn('array-unreachable');
        else if (a.type === 'reserve') result = this.pair.reserve(h.site, HOST[h.site]);
        else if (a.type === 'release') result = this.pair.release(h.site, HOST[h.site]);
        else result = this.pair.reset(h.site);
        this.later(h.site, { type: 'reservation-result', id: a.id, ...result });
        return;
      }
      case 'take-over-pairs':
        this.later(h.site, { type: 'resource-result', id: a.id, ok: true, detail: 'pairs taken over' });
        return;
      case 'start-app':
        h.appRunning = true;
        this.later(h.site, { type: 'resource-result', id: a.id, ok: true, detail: 'started' }, 100);
        return;
      case 'stop-app':
        h.appRunning = false;
        this.later(h.site, { type: 'resource-result', id: a.id, ok: true, detail: 'stopped' }, 100);
        return;
      case 'monitor-app':
        this.later(h.site, { type: 'resource-result', id: a.id, ok: h.monitorOk, detail: h.monitorOk ? 'running' : 'exit 7 not running' });
        return;
      case 'exit':
        h.alive = false;
        return;
    }
  }

  run(ms: number): void {
    const end = this.now + ms;
    while (this.now < end) {
      this.now += TICK;
      const due = this.queue.filter((q) => q.at <= this.now);
      this.queue = this.queue.filter((q) => q.at > this.now);
      for (const q of due) this.feed(q.site, q.event);
      this.feed('A', { type: 'tick' });
      this.feed('B', { type: 'tick' });
      if (this.hosts.A.appRunning && this.hosts.A.alive && this.hosts.B.appRunning && this.hosts.B.alive) this.overlaps++;
    }
  }

  /** Run until the predicate holds; returns the elapsed simulated time. Bounded. */
  until(pred: () => boolean, limitMs = 20_000): number {
    const start = this.now;
    while (!pred()) {
      assert.ok(this.now - start < limitMs, `condition not reached within ${limitMs} ms`);
      this.run(TICK);
    }
    return this.now - start;
  }

  crash(site: Site): void {
    this.hosts[site].alive = false;
    this.hosts[site].appRunning = false;
  }

  role(site: Site): string {
    return this.hosts[site].state.role;
  }

  events(site: Site, name: string): string[] {
    return this.hosts[site].log.filter((l) => l.event === name).map((l) => l.reason);
  }

  count(site: Site, type: AgentAction['type']): number {
    return this.hosts[site].sent.filter((a) => a.type === type).length;
  }
}

function activeWorld(): World {
  const w = new World();
  w.until(() => w.role('A') === 'ACTIVE' && w.role('B') === 'STANDBY');
  w.run(DEFAULT_TIMING.heartbeatIntervalMs * 2); // B has heard that A is ACTIVE
  return w;
}

test('start-up arbitration: the preferred host reserves first and becomes ACTIVE (FIG.7 -> FIG.8)', () => {
  const w = new World();
  assert.equal(w.pair.state, 'PSUS');
  w.run(3000);
  assert.equal(w.role('A'), 'ACTIVE');
  assert.equal(w.role('B'), 'STANDBY');
  assert.equal(w.pair.state, 'PAIR');
  assert.deepEqual(w.pair.holder, { A: 'host-a', B: null });
  assert.equal(w.hosts.A.appRunning, true);
  assert.equal(w.count('B', 'reserve'), 0, 'the non-preferred host saw the ACTIVE peer and never reserved');
  assert.equal(w.count('B', 'reset'), 0);
  assert.match(w.events('A', 'role').at(-1)!, /-> ACTIVE: holds the determining pair/);
  assert.equal(w.overlaps, 0);
});

test('start-up alone: the non-preferred host waits startupDelay, then reserves (swap resync from the S side)', () => {
  const w = new World();
  w.crash('A');
  w.run(DEFAULT_TIMING.startupDelayMs - 2 * TICK);
  assert.equal(w.count('B', 'reserve'), 0, 'waits for the preferred host first');
  w.until(() => w.role('B') === 'ACTIVE');
  assert.equal(w.pair.pSide, 'B');
  assert.deepEqual(w.pair.holder, { A: null, B: 'host-b' });
});

test('the ACTIVE host renews every renewInterval and the STANDBY stays quiet while the heartbeat is alive', () => {
  const w = activeWorld();
  const before = w.count('A', 'reserve');
  w.run(3000);
  const renewals = w.count('A', 'reserve') - before;
  assert.ok(renewals >= 3000 / DEFAULT_TIMING.renewIntervalMs - 1 && renewals <= 3000 / DEFAULT_TIMING.renewIntervalMs + 1, `renewals: ${renewals}`);
  assert.equal(w.count('B', 'reserve') + w.count('B', 'reset'), 0);
  assert.ok(w.count('A', 'monitor-app') >= 1, 'the application is monitored');
});

test('ACTIVE host crash: the STANDBY challenges (RESET, wait, RESERVE), wins and starts within 3 s (FIG.9 -> FIG.12)', () => {
  const w = activeWorld();
  w.crash('A');
  const elapsed = w.until(() => w.role('B') === 'ACTIVE');
  assert.ok(elapsed <= 3000, `failover took ${elapsed} ms`);
  const sent = w.hosts.B.sent.filter((a) => a.type === 'reset' || a.type === 'reserve' || a.type === 'take-over-pairs' || a.type === 'start-app').map((a) => a.type);
  assert.deepEqual(sent, ['reset', 'reserve', 'take-over-pairs', 'start-app']);
  assert.equal(w.pair.pSide, 'B', 'the S side won by swap resync');
  assert.equal(w.pair.state, 'PAIR');
  assert.match(w.events('B', 'role').join('\n'), /STANDBY -> CHALLENGING: heartbeat silent/);
});

test('heartbeat-only failure: the challenge is lost, the STANDBY reports a heartbeat-network fault and backs off', () => {
  const w = activeWorld();
  w.heartbeatUp = false;
  w.until(() => w.events('B', 'heartbeat-network-fault').length === 1);
  assert.equal(w.role('A'), 'ACTIVE', 'the live ACTIVE renewed within challengeWait');
  assert.equal(w.role('B'), 'STANDBY');
  assert.equal(w.pair.pSide, 'A', 'no data pair or determining pair changed direction');
  const resets = w.count('B', 'reset');
  w.run(DEFAULT_TIMING.challengeBackoffMs - 500);
  assert.equal(w.count('B', 'reset'), resets, 'no new challenge during the back-off');
  w.heartbeatUp = true;
  w.until(() => w.events('B', 'heartbeat-restored').length === 1);
  assert.equal(w.hosts.B.state.heartbeatFault, false);
  w.run(DEFAULT_TIMING.challengeBackoffMs * 2);
  assert.equal(w.count('B', 'reset'), resets, 'with the heartbeat back there is nothing to challenge');
  assert.equal(w.role('A'), 'ACTIVE');
  assert.equal(w.overlaps, 0);
});

test('full partition (remote copy link and heartbeat): the S side cannot win, the P side stays ACTIVE', () => {
  const w = activeWorld();
  w.heartbeatUp = false;
  w.pair.linkUp = false;
  w.run(8000);
  assert.equal(w.role('A'), 'ACTIVE');
  assert.notEqual(w.role('B'), 'ACTIVE');
  assert.ok(w.count('B', 'reset') >= 1);
  assert.match(w.events('B', 'role').join('\n'), /challenge reset failed \(peer-unreachable/);
  assert.equal(w.overlaps, 0);
});

test('a renewal answered ABNORMAL END stops the application at once and the host becomes STANDBY', () => {
  const w = activeWorld();
  const a = w.hosts.A;
  // Let the next renewal go out, then answer it ourselves.
  w.until(() => a.state.reservationOp?.kind === 'reserve');
  const id = a.state.reservationOp!.id;
  const r = step(a.state, { type: 'reservation-result', id, result: 'ABNORMAL', reason: 'held-by-other', message: 'held by host-b' }, w.now);
  assert.equal(r.state.role, 'STOPPING');
  assert.equal(r.state.holding, false);
  assert.ok(r.actions.some((x) => x.type === 'stop-app'));
  const stopId = r.state.resourceOp!.id;
  const r2 = step(r.state, { type: 'resource-result', id: stopId, ok: true, detail: 'stopped' }, w.now + 100);
  assert.equal(r2.state.role, 'STANDBY');
  assert.ok(!r2.actions.some((x) => x.type === 'release'), 'a host that lost does not release');
});

test('own array unreachable: the ACTIVE stops after renewDeadline; the peer arbitrates, breaks the stale reservation and takes over', () => {
  const w = activeWorld();
  w.hosts.A.arrayReachable = false;
  const stopAt = w.until(() => !w.hosts.A.appRunning);
  assert.ok(stopAt <= DEFAULT_TIMING.renewDeadlineMs + DEFAULT_TIMING.renewIntervalMs, `stopped after ${stopAt} ms`);
  assert.match(w.events('A', 'role').join('\n'), /ACTIVE -> STOPPING: no successful renewal/);
  w.until(() => w.role('B') === 'ACTIVE');
  assert.equal(w.role('A'), 'STANDBY');
  assert.equal(w.pair.pSide, 'B');
  assert.match(w.events('B', 'role').join('\n'), /stale/);
  assert.equal(w.overlaps, 0);
});

test('planned switchover from the ACTIVE: stop, release, the peer reserves, takes over and starts', () => {
  const w = activeWorld();
  assert.equal(switchoverRefusal(w.hosts.A.state, w.now), null);
  w.feed('A', { type: 'switchover-requested' });
  assert.equal(w.role('A'), 'STOPPING');
  w.until(() => w.role('B') === 'ACTIVE');
  assert.equal(w.role('A'), 'STANDBY');
  assert.equal(w.pair.pSide, 'B');
  w.run(DEFAULT_TIMING.handoverTimeoutMs * 2);
  assert.equal(w.role('B'), 'ACTIVE', 'the preferred host does not take it back by arbitration');
  assert.equal(w.overlaps, 0);
});

test('planned switchover asked on the STANDBY: the ACTIVE hands over through the heartbeat', () => {
  const w = activeWorld();
  w.feed('B', { type: 'switchover-requested' });
  w.until(() => w.role('B') === 'ACTIVE');
  assert.equal(w.role('A'), 'STANDBY');
  assert.equal(w.hosts.B.appRunning, true);
  assert.equal(w.hosts.A.appRunning, false);
});

test('switchover is refused without a healthy peer, and nothing changes', () => {
  const w = activeWorld();
  w.crash('B');
  w.run(DEFAULT_TIMING.heartbeatTimeoutMs + 100);
  assert.match(switchoverRefusal(w.hosts.A.state, w.now)!, /no healthy STANDBY/);
  w.feed('A', { type: 'switchover-requested' });
  assert.equal(w.role('A'), 'ACTIVE');
  assert.equal(w.events('A', 'switchover-refused').length, 1);
});

test('a failing monitor switches over to a healthy peer', () => {
  const w = activeWorld();
  w.hosts.A.monitorOk = false;
  w.until(() => w.role('B') === 'ACTIVE');
  assert.equal(w.role('A'), 'STANDBY');
  assert.match(w.events('A', 'role').join('\n'), /monitor failed .* switching over to healthy peer host-b/);
  assert.equal(w.overlaps, 0);
});

test('a failing monitor without a healthy peer restarts the application locally', () => {
  const w = activeWorld();
  w.crash('B');
  w.run(DEFAULT_TIMING.heartbeatTimeoutMs + 100);
  w.hosts.A.monitorOk = false;
  const starts = w.count('A', 'start-app');
  w.until(() => w.count('A', 'start-app') > starts);
  w.hosts.A.monitorOk = true;
  w.until(() => w.role('A') === 'ACTIVE');
  assert.equal(w.count('A', 'release'), 0);
  assert.equal(w.pair.holder.A, 'host-a');
});

test('shutdown of the ACTIVE stops the application, releases the pair and exits; the peer then takes over', () => {
  const w = activeWorld();
  w.feed('A', { type: 'shutdown-requested' });
  w.until(() => !w.hosts.A.alive);
  const order = w.hosts.A.sent.filter((a) => ['stop-app', 'release', 'exit'].includes(a.type)).map((a) => a.type);
  assert.deepEqual(order, ['stop-app', 'release', 'exit']);
  assert.equal(w.pair.state, 'PSUS');
  w.until(() => w.role('B') === 'ACTIVE');
});

test('STANDBY host crash changes nothing', () => {
  const w = activeWorld();
  const renewalsBefore = w.count('A', 'reserve');
  w.crash('B');
  w.run(5000);
  assert.equal(w.role('A'), 'ACTIVE');
  assert.ok(w.count('A', 'reserve') > renewalsBefore);
  assert.equal(w.pair.pSide, 'A');
});

test('answers to commands that are no longer awaited are ignored', () => {
  const w = activeWorld();
  const a = w.hosts.A.state;
  const r = step(a, { type: 'reservation-result', id: 99999, result: 'ABNORMAL', reason: 'held-by-other', message: 'stale' }, w.now);
  assert.equal(r.state.role, 'ACTIVE');
  assert.equal(r.state.holding, true);
});

test('timing validation names the keys and explains the rule', () => {
  assert.deepEqual(timingProblems(DEFAULT_TIMING), []);
  const bad = timingProblems({ ...DEFAULT_TIMING, challengeWaitMs: 800 });
  assert.equal(bad.length, 1);
  assert.match(bad[0], /challengeWaitMs \(800\) must be at least renewDeadlineMs \+ renewIntervalMs \(1000\)/);
  assert.match(timingProblems({ ...DEFAULT_TIMING, renewDeadlineMs: 300 }).join('\n'), /renewDeadlineMs \(300\) must be greater than renewIntervalMs/);
  assert.match(timingProblems({ ...DEFAULT_TIMING, heartbeatTimeoutMs: 300 }).join('\n'), /heartbeatTimeoutMs/);
});
