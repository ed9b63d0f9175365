// Counts failovers while the chaos runner works: every time a host becomes ACTIVE that is not
// the host last seen ACTIVE. Sampled every ~100 ms from the agents' status APIs.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Lab, Site } from '../../src/lab/lab.js';

export class FailoverWatch {
  failovers = 0;
  private lastActive: Site | null = null;
  private running = true;
  private readonly loop: Promise<void>;

  constructor(private readonly lab: Lab) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (this.running) {
      const active = await this.lab.activeHosts();
      if (active.length === 1 && active[0] !== this.lastActive) {
        if (this.lastActive !== null) this.failovers++;
        this.lastActive = active[0];
      }
      await sleep(100);
    }
  }

  async stop(): Promise<number> {
    this.running = false;
    await this.loop;
    return this.failovers;
  }
}
