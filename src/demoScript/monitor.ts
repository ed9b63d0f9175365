// The demo's eyes: every ~500 ms it takes a snapshot of the lab, narrates what the agents
// decided and how the pairs changed, redraws the status table, and checks the safety invariant
// (SPEC §6.5: the data pair is never writable on both arrays at once).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Lab, Site } from '../lab/lab.js';
import { describeDecision, Narrator, storyPhrase } from './narration.js';
import type { Screen } from './screen.js';
import { takeSnapshot, type LabSnapshot } from './snapshot.js';
import { renderStatusTable, summaryLine } from './statusTable.js';

const SAMPLE_MS = 500;

export class DemoMonitor {
  /** Faults injected and not healed, shown under the table. */
  readonly faults = new Set<string>();
  readonly safetyViolations: string[] = [];
  samples = 0;
  latest: LabSnapshot | null = null;
  private readonly narrator = new Narrator();
  private story: { host: string; phrase: string }[] = [];
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  private sampling: Promise<void> = Promise.resolve();
  private readonly startedAt = Date.now();

  constructor(
    private readonly lab: Lab,
    private readonly screen: Screen,
  ) {}

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        await this.refresh();
        await sleep(SAMPLE_MS);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** A narration line, stamped with the time since the demo started (or since `atMs`, a wall-clock time). */
  say(text: string, atMs = Date.now()): void {
    const t = ((atMs - this.startedAt) / 1000).toFixed(1).padStart(5);
    this.screen.say(`[${t}s] ${text}`);
  }

  /** Takes a snapshot now (after any sample in progress) so the narration is up to date. */
  refresh(): Promise<void> {
    this.sampling = this.sampling.then(() => this.sample());
    return this.sampling;
  }

  /** Forget the decisions collected so far: a new scenario starts. */
  beginStory(): void {
    this.story = [];
  }

  /** The decisions since beginStory, one line per host: "host-b: heartbeat silent 1.0 s -> RESET ...". */
  async tellStory(): Promise<void> {
    await this.refresh();
    const hosts = [...new Set(this.story.map((s) => s.host))];
    for (const host of hosts) {
      this.say(`  why: ${host}: ${this.story.filter((s) => s.host === host).map((s) => s.phrase).join(' -> ')}`);
    }
  }

  private async sample(): Promise<void> {
    const snapshot = await takeSnapshot(this.lab, [...this.faults]);
    this.samples++;
    for (const d of this.narrator.newDecisions(snapshot)) {
      this.say(`  ${describeDecision(d)}`, Date.parse(d.record.time));
      const phrase = storyPhrase(d.record);
      if (phrase) this.story.push({ host: d.host, phrase });
    }
    for (const change of this.narrator.pairChanges(snapshot)) this.say(`  ${change}`);
    await this.checkSafety(snapshot);
    this.latest = snapshot;
    this.screen.show(renderStatusTable(snapshot), summaryLine(snapshot));
  }

  /**
   * Both arrays were asked at about the same time; if both said read-write, ask again one after
   * the other (a, b, a) so that a swap between the two answers is not mistaken for a violation.
   */
  private async checkSafety(s: LabSnapshot): Promise<void> {
    if (s.status.arrays.a.db?.access !== 'read-write' || s.status.arrays.b.db?.access !== 'read-write') return;
    const order: Site[] = ['a', 'b', 'a'];
    for (const site of order) if ((await this.lab.pairs(site)).db?.access !== 'read-write') return;
    const violation = 'db was read-write on both arrays at once';
    this.safetyViolations.push(violation);
    this.say(`  SAFETY VIOLATION: ${violation}`);
  }
}
