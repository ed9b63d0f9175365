// Start/stop/monitor with real shell scripts: OCF exit codes, the resource name in the
// environment, timeouts that kill the script's whole process group, per-resource serialisation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ResourceSet, actionSucceeded, describeOutcome, runScript } from '../../src/host/resources.js';
import type { ResourceConfig } from '../../src/host/config.js';

const dir = mkdtempSync(join(tmpdir(), 'pairvol-res-'));

function script(name: string, body: string): string {
  const p = join(dir, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}

test('exit codes: 0 success, 7 not running, others errors; the action and instance are passed', async () => {
  const log = join(dir, 'calls');
  const s = script('agent.sh', `echo "$1 $OCF_RESOURCE_INSTANCE" >> ${log}\n[ "$1" = monitor ] && exit 7\nexit 0`);
  const monitor = await runScript(s, 'monitor', 'db-app', 5000);
  assert.equal(monitor.code, 7);
  assert.equal(actionSucceeded('monitor', monitor), false);
  assert.match(describeOutcome(monitor), /exit 7 \(not running\)/);
  assert.equal(actionSucceeded('stop', monitor), true, 'stop of a stopped application succeeds');
  const start = await runScript(s, 'start', 'db-app', 5000);
  assert.equal(actionSucceeded('start', start), true);
  const failing = await runScript(script('fail.sh', 'echo boom >&2; exit 1'), 'start', 'x', 5000);
  assert.equal(actionSucceeded('start', failing), false);
  assert.equal(describeOutcome(failing), 'exit 1: boom');
  assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), ['monitor db-app', 'start db-app']);
  const missing = await runScript(join(dir, 'nope.sh'), 'start', 'x', 5000);
  assert.equal(actionSucceeded('start', missing), false);
  assert.match(missing.output, /cannot run/);
});

test('a script that outlives its timeout is killed with everything it started', async () => {
  const pidFile = join(dir, 'child.pid');
  const s = script('hang.sh', `sleep 30 & echo $! > ${pidFile}\nwait`);
  const outcome = await runScript(s, 'start', 'x', 300);
  assert.equal(outcome.timedOut, true);
  assert.equal(actionSucceeded('start', outcome), false);
  assert.match(describeOutcome(outcome), /timed out and was killed/);
  const child = Number(readFileSync(pidFile, 'utf8'));
  let alive = true;
  for (let i = 0; i < 100 && alive; i++) {
    alive = running(child);
    if (alive) await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(alive, false, 'the background child of the script was killed too');
});

test('resource sets start in order, stop in reverse, and serialise the actions of one resource', async () => {
  const trace = join(dir, 'trace');
  const mk = (name: string, startCode = 0): ResourceConfig => ({
    name,
    pairs: [],
    start: script(`${name}-start.sh`, `echo "start $OCF_RESOURCE_INSTANCE begin" >> ${trace}; sleep 0.1; echo "start $OCF_RESOURCE_INSTANCE end" >> ${trace}; exit ${startCode}`),
    stop: script(`${name}-stop.sh`, `echo "stop $OCF_RESOURCE_INSTANCE" >> ${trace}`),
    monitor: script(`${name}-monitor.sh`, `echo "monitor $OCF_RESOURCE_INSTANCE" >> ${trace}`),
    timeouts: { startMs: 5000, stopMs: 5000, monitorMs: 5000 },
  });
  const set = new ResourceSet([mk('one'), mk('two')]);
  const [started, monitored] = await Promise.all([set.startAll(), set.monitorAll()]);
  assert.deepEqual(started, { ok: true, detail: 'started one, two' });
  assert.equal(monitored.ok, true);
  assert.deepEqual((await set.stopAll()).ok, true);
  const lines = readFileSync(trace, 'utf8').trim().split('\n');
  assert.ok(lines.indexOf('monitor one') > lines.indexOf('start one end'), 'monitor of one waited for its start');
  assert.deepEqual(lines.slice(-2), ['stop two', 'stop one']);

  const broken = new ResourceSet([mk('bad', 1), mk('never')]);
  const r = await broken.startAll();
  assert.equal(r.ok, false);
  assert.match(r.detail, /^bad start exit 1/);
  assert.equal(existsSync(trace) && readFileSync(trace, 'utf8').includes('start never'), false, 'stops at the first failure');
});

/** A killed process whose parent died stays a zombie until pid 1 reaps it (some containers never do). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
