// The whole demo: build the two-site lab in a temporary directory, run the scenarios with the
// monitor narrating, check after each one that every acknowledged record is on the P-VOL, and
// end with the verdict. Interruptible: `interrupt()` stops it at the next step and tears down.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab, SITES, type Site } from '../lab/lab.js';
import { DemoMonitor } from './monitor.js';
import { steadyRoles, type Scenario } from './scenarios.js';
import type { Screen } from './screen.js';

class Interrupted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'Interrupted';
  }
}

export interface DemoOptions {
  scenarios: readonly Scenario[];
  screen: Screen;
  /** Leave the lab running after the scenarios, until interrupt(). */
  keep: boolean;
}

export interface DemoResult {
  ok: boolean;
  interrupted: boolean;
  acknowledged: number;
  lost: number;
  failedChecks: string[];
}

export class DemoRun {
  private interrupted = false;
  private wake: (() => void) | null = null;
  private tornDown: Promise<void> | null = null;
  private lab: Lab | null = null;
  private monitor: DemoMonitor | null = null;
  private readonly failed: string[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), 'pairvol-demo-'));

  constructor(private readonly opts: DemoOptions) {}

  /** Ctrl-C: no new step starts, the lab is torn down at once (so waits end), run() returns. */
  interrupt(): void {
    this.interrupted = true;
    this.wake?.();
    void this.teardown();
  }

  private checkpoint(): void {
    if (this.interrupted) throw new Interrupted();
  }

  async run(): Promise<DemoResult> {
    let result = { lost: -1, acknowledged: 0 };
    try {
      result = await this.scenarios();
      if (this.opts.keep && !this.interrupted) await this.keepRunning();
    } catch (err) {
      if (!this.interrupted) {
        this.failed.push(`demo stopped: ${(err as Error).message}`);
        this.say(`FAILED: ${(err as Error).message}`);
      }
    } finally {
      await this.teardown();
    }
    if (this.interrupted) this.say('interrupted: the lab is torn down');
    return { ...result, ok: result.lost === 0 && this.failed.length === 0 && !this.interrupted, interrupted: this.interrupted, failedChecks: this.failed };
  }

  private say(text: string): void {
    if (this.monitor) this.monitor.say(text);
    else this.opts.screen.say(text);
  }

  private async scenarios(): Promise<{ acknowledged: number; lost: number }> {
    this.say(`building a two-site lab in ${this.dir}: arrays site-a and site-b (remote copy link through a fault proxy),`);
    this.say('host agents host-a (preferred) and host-b (heartbeat through another proxy), determining pair "quorum" (free),');
    this.say('data pair "db" (P-VOL on site-a, fence never) and the demo application writing numbered records with FUA');
    const lab = await Lab.start({ dir: this.dir });
    this.lab = lab;
    if (this.interrupted) {
      // Interrupted while the lab was starting: the teardown already ran without it.
      await lab.stop();
      throw new Interrupted();
    }
    const monitor = new DemoMonitor(lab, this.opts.screen);
    this.monitor = monitor;
    monitor.start();
    await this.steady();
    this.say(`lab ready: ${await this.activeLine()}`);
    for (const scenario of this.opts.scenarios) {
      this.checkpoint();
      this.say('');
      this.say(`=== ${scenario.name}: ${scenario.title}`);
      await scenario.run({ lab, monitor, checkpoint: () => this.checkpoint() });
      await this.steady();
      await this.checkRecords(`after ${scenario.name}`);
    }
    this.say('');
    const final = await this.checkRecords('final check');
    if (monitor.safetyViolations.length > 0) this.failed.push(`safety invariant violated ${monitor.safetyViolations.length} times`);
    this.say(`safety: db was writable on at most one array in every one of ${monitor.samples} status samples${monitor.safetyViolations.length > 0 ? ` EXCEPT ${monitor.safetyViolations.length}` : ''}`);
    // The verdict lines carry no time stamp: scripts grep for them.
    this.opts.screen.say(`${final.acknowledged} acknowledged records checked on the P-VOL`);
    this.opts.screen.say(`${final.lost} acknowledged records lost`);
    return final;
  }

  /** One ACTIVE host writing, db PAIR on both arrays. */
  private async steady(): Promise<void> {
    const lab = this.lab!;
    const { active } = await steadyRoles(lab, 30_000);
    await lab.waitFor('db PAIR on both arrays', async () => {
      const [a, b] = await Promise.all([lab.pairs('a'), lab.pairs('b')]);
      return a.db?.state === 'PAIR' && b.db?.state === 'PAIR';
    }, 30_000);
    await lab.waitForAcks(active, 5);
    await this.monitor?.refresh();
  }

  private async activeLine(): Promise<string> {
    const { active, standby } = await steadyRoles(this.lab!);
    return `host-${active} ACTIVE (its application writes to site-${active}), host-${standby} STANDBY`;
  }

  /** Every record any host's application got acknowledged must be on the current P-VOL. */
  private async checkRecords(when: string): Promise<{ acknowledged: number; lost: number }> {
    const lab = this.lab!;
    const primary = await this.primarySite();
    const report = await lab.verify(primary);
    const lost = report.missing.length + report.corrupt.length;
    this.say(`check (${when}): ${report.acknowledged} acknowledged records, ${lost} missing or corrupt on site-${primary} (the P-VOL)`);
    for (const l of [...report.missing, ...report.corrupt].slice(0, 5)) this.say(`  lost: ${l.host} seq ${l.seq}: found ${l.found}`);
    if (lost > 0) this.failed.push(`${when}: ${lost} acknowledged records lost`);
    return { acknowledged: report.acknowledged, lost };
  }

  private async primarySite(): Promise<Site> {
    for (const site of SITES) if ((await this.lab!.pairs(site)).db?.attribute === 'P-VOL') return site;
    throw new Error('no array reports itself the P-VOL of db');
  }

  private async keepRunning(): Promise<void> {
    const lab = this.lab!;
    const env = (site: Site): string => `PAIRVOL_URL=${lab.arrays[site].url} PAIRVOL_TOKEN=${lab.arrays[site].token}`;
    this.say('');
    this.say('the lab keeps running (--keep); explore it from another terminal, Ctrl-C here tears it down:');
    for (const site of SITES) {
      this.say(`  pairvol host status --url ${lab.hosts[site].statusUrl}`);
      this.say(`  ${env(site)} pairvol pair display`);
      this.say(`  pairvol pair display --config ${join(this.dir, `site-${site}.yaml`)}`);
      this.say(`  nbdinfo ${lab.nbdUri(site)}`);
    }
    this.say(`  pairvol host switchover --url ${lab.hosts.b.statusUrl}`);
    this.say(`  tail -f ${join(this.dir, 'logs')}/*.log     (configs, ack logs and logs are in ${this.dir})`);
    await new Promise<void>((resolve) => {
      this.wake = resolve;
    });
  }

  private teardown(): Promise<void> {
    this.tornDown ??= this.tearDownOnce();
    return this.tornDown;
  }

  private async tearDownOnce(): Promise<void> {
    await this.monitor?.stop();
    this.opts.screen.release();
    await this.lab?.stop();
    // A failed run keeps its directory: the logs say why.
    if (this.failed.length === 0) rmSync(this.dir, { recursive: true, force: true });
    else this.say(`logs kept in ${join(this.dir, 'logs')}`);
  }
}
