// Turns successive lab snapshots into what the demo says: every new decision a host agent
// logged (with the agent's own reason), every pair state change an array reports, and, per
// scenario, a one-line story of the decisions ("heartbeat silent 1.0 s -> RESET ...").
import type { AgentEventRecord } from '../host/agent.js';
import { SITES, type Site } from '../lab/lab.js';
import type { PairInfo } from '../protocol/control.js';
import type { LabSnapshot } from './snapshot.js';

export interface HostDecision {
  site: Site;
  host: string;
  record: AgentEventRecord;
}

const seconds = (ms: string): string => `${(Number(ms) / 1000).toFixed(1)} s`;

/** Compact phrases for the decisions that make up a failover; other events are not in the story. */
const STORY: { event: string; match: RegExp; say: (m: RegExpExecArray) => string }[] = [
  { event: 'claim', match: /^start-up: (.*)$/, say: (m) => `start-up (${m[1]}): RESERVE` },
  { event: 'claim', match: /^no host is ACTIVE .*: (.*)$/, say: (m) => `arbitration (${m[1]}): RESERVE` },
  { event: 'claim', match: /released the reservation for a switchover/, say: () => 'peer handed over: RESERVE' },
  { event: 'role', match: /-> CHALLENGING: heartbeat silent for (\d+) ms/, say: (m) => `heartbeat silent ${seconds(m[1])} -> RESET the determining pair` },
  { event: 'challenge-wait', match: /waiting (\d+) ms/, say: (m) => `wait ${seconds(m[1])}` },
  { event: 'role', match: /-> PROMOTING: challenge won/, say: () => 'RESERVE -> NORMAL END (the silent peer did not renew)' },
  { event: 'role', match: /-> PROMOTING: won the determining pair \((\w+)\)/, say: (m) => `NORMAL END (${m[1]})` },
  { event: 'role', match: /-> STANDBY: challenge lost/, say: () => 'RESERVE -> ABNORMAL END (the peer renewed, so it is alive) -> stay STANDBY, report a heartbeat-network fault' },
  { event: 'role', match: /-> STANDBY: (\w+) reserve answered ABNORMAL END/, say: (m) => `${m[1]} RESERVE -> ABNORMAL END -> STANDBY` },
  { event: 'pairs-taken-over', match: /^(.*)$/, say: (m) => `take over data pairs (${m[1]})` },
  { event: 'role', match: /-> ACTIVE:/, say: () => 'start app -> ACTIVE' },
  { event: 'role', match: /-> STOPPING: (.*)$/, say: (m) => `stop app (${m[1]})` },
  { event: 'role', match: /-> STANDBY: released the determining pair; handing over to (\S+)/, say: (m) => `RELEASE -> hand over to ${m[1]}` },
  { event: 'role', match: /-> STOPPING: renewal answered ABNORMAL END/, say: () => 'renewal ABNORMAL END -> stop app' },
];

export function storyPhrase(record: AgentEventRecord): string | null {
  for (const rule of STORY) {
    if (rule.event !== record.event) continue;
    const m = rule.match.exec(record.reason);
    if (m) return rule.say(m);
  }
  return null;
}

function pairWords(p: PairInfo | null): string {
  return p ? `${p.attribute} ${p.displayState}` : 'unreachable';
}

export class Narrator {
  private readonly seen = new Set<string>();
  private previous: LabSnapshot | null = null;

  /** Agent decisions not reported before, oldest first. */
  newDecisions(s: LabSnapshot): HostDecision[] {
    const out: HostDecision[] = [];
    for (const site of SITES) {
      const host = s.status.hosts[site];
      if (!host) continue;
      for (const record of host.events) {
        const key = `${host.name} ${record.time} ${record.event} ${record.reason}`;
        if (this.seen.has(key)) continue;
        this.seen.add(key);
        out.push({ site, host: host.name, record });
      }
    }
    return out.sort((x, y) => x.record.time.localeCompare(y.record.time));
  }

  /** Pair state or attribute changes since the previous snapshot, as arrays report them. */
  pairChanges(s: LabSnapshot): string[] {
    const prev = this.previous;
    this.previous = s;
    if (!prev) return [];
    const lines: string[] = [];
    for (const site of SITES) {
      for (const pair of ['db', 'quorum'] as const) {
        const before = pairWords(prev.status.arrays[site][pair]);
        const after = pairWords(s.status.arrays[site][pair]);
        if (before !== after) lines.push(`site-${site} ${pair}: ${before} -> ${after}`);
      }
    }
    return lines;
  }
}

export function describeDecision(d: HostDecision): string {
  const r = d.record;
  return r.event === 'role' ? `${d.host}: ${r.reason}` : `${d.host}: ${r.event}: ${r.reason}`;
}
