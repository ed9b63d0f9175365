// `pairvol demo` as a user runs it: a real process building a real lab, checked by its exit code
// and its verdict line. One short scenario, then the whole demo (it fits in two minutes).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { PAIRVOL_BIN } from '../../src/lab/managedProcess.js';

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `pairvol demo ...args`; SIGINT (the demo tears down on it) after `limitMs` or as soon as
 * stdout matches `interruptWhen`; SIGKILL 15 s after the limit.
 */
function runDemo(args: string[], limitMs: number, interruptWhen?: RegExp): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [PAIRVOL_BIN, 'demo', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    // One Ctrl-C only: a second one, after the demo has removed its handler while exiting,
    // would kill it by signal instead of letting it finish its teardown.
    let interrupted = false;
    const interruptOnce = (): void => {
      if (interrupted) return;
      interrupted = true;
      child.kill('SIGINT');
    };
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (interruptWhen?.test(stdout)) interruptOnce();
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const interrupt = setTimeout(interruptOnce, limitMs);
    const kill = setTimeout(() => child.kill('SIGKILL'), limitMs + 15_000);
    child.once('exit', (code, signal) => {
      clearTimeout(interrupt);
      clearTimeout(kill);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Processes whose command line mentions `text` (the lab's children name their config files). */
function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(text)) found.push(`${pid}: ${cmdline}`);
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

function explain(r: Run): string {
  return `exit ${r.code} (signal ${r.signal})\n--- stdout (end)\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-2000)}`;
}

describe('pairvol demo', { timeout: 200_000 }, () => {
  it('--scenario host-crash: B takes over, exits 0 and reports no lost record', async () => {
    const r = await runDemo(['--scenario', 'host-crash'], 90_000);
    assert.equal(r.code, 0, explain(r));
    assert.match(r.stdout, /^0 acknowledged records lost$/m, explain(r));
    assert.match(r.stdout, /why: host-b: heartbeat silent [\d.]+ s -> RESET the determining pair -> wait [\d.]+ s -> RESERVE -> NORMAL END/, explain(r));
    assert.match(r.stdout, /site-b db: S-VOL PAIR -> P-VOL PAIR/, 'the arrays report the swap');
    const checked = /(\d+) acknowledged records checked on the P-VOL/.exec(r.stdout);
    assert.ok(checked && Number(checked[1]) > 0, 'the check covered acknowledged records');
  });

  it('the whole demo (four scenarios) exits 0 within two minutes and reports no lost record', async () => {
    const r = await runDemo([], 120_000);
    assert.equal(r.code, 0, explain(r));
    for (const name of ['host-crash', 'heartbeat', 'link', 'switchover']) assert.match(r.stdout, new RegExp(`=== ${name}:`), `scenario ${name} ran`);
    assert.match(r.stdout, /^0 acknowledged records lost$/m, explain(r));
  });

  it('--keep leaves the lab running and prints how to explore it; Ctrl-C tears everything down', async () => {
    const r = await runDemo(['--scenario', 'heartbeat', '--keep'], 90_000, /Ctrl-C here tears it down[^]*tail -f/);
    assert.equal(r.code, 130, explain(r));
    assert.match(r.stdout, /^0 acknowledged records lost$/m);
    assert.match(r.stdout, /pairvol host status --url http:\/\/127\.0\.0\.1:\d+/);
    assert.match(r.stdout, /PAIRVOL_URL=http:\/\/127\.0\.0\.1:\d+ PAIRVOL_TOKEN=\S+ pairvol pair display/);
    assert.match(r.stdout, /interrupted: the lab is torn down/);
    const dir = /building a two-site lab in (\S+):/.exec(r.stdout)?.[1];
    assert.ok(dir, 'the demo names its lab directory');
    assert.equal(existsSync(dir), false, 'the lab directory is removed');
    assert.deepEqual(processesMentioning(dir), [], 'no array, host or application of the lab is left running');
  });

  it('rejects an unknown scenario with a usage error and starts nothing', async () => {
    const r = await runDemo(['--scenario', 'meteor'], 10_000);
    assert.equal(r.code, 2, explain(r));
    assert.match(r.stderr, /unknown scenario "meteor"; choose one of host-crash, heartbeat, link, switchover/);
    assert.doesNotMatch(r.stdout, /building a two-site lab/);
  });
});
