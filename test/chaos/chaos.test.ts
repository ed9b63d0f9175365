// The chaos runner: its schedule is a pure function of the seed, and a one-minute run against
// real processes (seed 7) ends with no violation, no lost acknowledged record and every fault
// recovered from.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { planFor } from './schedule.js';

const ROOT = resolve(import.meta.dirname, '../..');
const RUNNER = resolve(import.meta.dirname, 'run.ts');

function runChaos(args: string[], limitMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', RUNNER, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const interrupt = setTimeout(() => child.kill('SIGINT'), limitMs);
    const kill = setTimeout(() => child.kill('SIGKILL'), limitMs + 20_000);
    child.once('exit', (code) => {
      clearTimeout(interrupt);
      clearTimeout(kill);
      done({ code, stdout, stderr });
    });
  });
}

function summaryValue(stdout: string, label: string): number {
  const m = new RegExp(`^${label}\\s+(\\d+)$`, 'm').exec(stdout);
  assert.ok(m, `the summary has a "${label}" row:\n${stdout.slice(-3000)}`);
  return Number(m[1]);
}

describe('chaos schedule', () => {
  it('is the same for the same seed and differs for another seed', () => {
    assert.deepEqual(planFor(42, 100), planFor(42, 100));
    assert.notDeepEqual(planFor(42, 100), planFor(43, 100));
  });

  it('covers every kind of fault, with targets where needed and bounded holds', () => {
    const plan = planFor(1, 300);
    assert.deepEqual(
      new Set(plan.map((s) => s.kind)),
      new Set(['kill-host', 'stop-host', 'kill-app', 'kill-array', 'heartbeat-partition', 'link-partition', 'full-partition', 'switchover']),
    );
    for (const s of plan) {
      assert.ok(s.holdMs >= 500 && s.holdMs <= 4000, `hold of #${s.index} in range`);
      assert.equal(s.target !== null, ['kill-host', 'stop-host', 'kill-app', 'kill-array'].includes(s.kind), `#${s.index} ${s.kind} target`);
      assert.equal(s.mode !== null, s.kind.endsWith('-partition'), `#${s.index} ${s.kind} mode`);
    }
  });

  it('--plan prints the schedule without running anything; a bad option is a usage error', async () => {
    const plan = await runChaos(['--seed', '7', '--plan', '3'], 30_000);
    assert.equal(plan.code, 0, plan.stderr);
    assert.deepEqual(plan.stdout.trim().split('\n').map((l) => l.split(' ')[0]), ['#1', '#2', '#3']);
    const bad = await runChaos(['--seed', 'abc'], 30_000);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--seed must be a non-negative integer, got "abc"/);
  });
});

describe('chaos run against real processes', { timeout: 240_000 }, () => {
  it('seed 7 for one minute: faults injected, failovers, no violation, no lost record, every fault recovered', async () => {
    const r = await runChaos(['--seed', '7', '--minutes', '1'], 200_000);
    const explain = `exit ${r.code}\n${r.stdout.slice(-5000)}\n${r.stderr.slice(-2000)}`;
    assert.equal(r.code, 0, explain);
    assert.ok(summaryValue(r.stdout, 'steps run') >= 5, explain);
    assert.ok(summaryValue(r.stdout, 'failovers \\(ACTIVE host changed\\)') >= 1, explain);
    assert.ok(summaryValue(r.stdout, 'safety samples') > 0, explain);
    assert.equal(summaryValue(r.stdout, 'violations'), 0, explain);
    assert.equal(summaryValue(r.stdout, 'not recovered'), 0, explain);
    assert.ok(summaryValue(r.stdout, 'acknowledged records') > 0, explain);
    assert.equal(summaryValue(r.stdout, 'lost records'), 0, explain);
  });
});
