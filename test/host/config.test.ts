// Host config validation: defaults, errors that name the key, timing rules, and the CLI
// answering a bad config with exit code 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ConfigError, loadHostConfig, validateHostConfig } from '../../src/host/config.js';
import { DEFAULT_TIMING } from '../../src/core/agent.js';

const GOOD = {
  name: 'host-a',
  array: { control: 'http://127.0.0.1:7001', token: 'change-me' },
  status: { listen: '127.0.0.1:7301' },
  heartbeat: { listen: '127.0.0.1:7201', peers: ['127.0.0.1:7202'], udp: { listen: '127.0.0.1:7211', peers: ['127.0.0.1:7212'] } },
  determining: 'quorum',
  preferred: true,
  resources: [{ name: 'app', pairs: ['db'], start: './start.sh', stop: './stop.sh', monitor: './monitor.sh' }],
};

function problems(doc: unknown): string[] {
  try {
    validateHostConfig(doc, '/etc/pairvol/host.yaml');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

test('the SPEC §7 example is valid; defaults fill timing; scripts resolve from the config directory', () => {
  const c = validateHostConfig(GOOD, '/etc/pairvol/host.yaml');
  assert.deepEqual(c.timing, DEFAULT_TIMING);
  assert.deepEqual(c.heartbeat.udp?.peers, [{ host: '127.0.0.1', port: 7212 }]);
  assert.equal(c.resources[0].start, '/etc/pairvol/start.sh');
  assert.equal(c.array.timeoutMs, 500);
});

test('errors name the key: unknown, missing, bad value, unsafe timing', () => {
  assert.deepEqual(problems({ ...GOOD, colour: 'red' }), ['colour: unknown key']);
  assert.deepEqual(problems({ ...GOOD, determining: undefined }), ['determining: required']);
  assert.deepEqual(problems({ ...GOOD, heartbeat: { ...GOOD.heartbeat, peers: ['nowhere'] } }), ['heartbeat.peers.0: expected "host:port", got "nowhere"']);
  assert.deepEqual(problems({ ...GOOD, resources: [{ ...GOOD.resources[0], timeouts: { startMs: -1 } }] }).length, 1);
  assert.match(problems({ ...GOOD, resources: [{ ...GOOD.resources[0], timeouts: { startMs: -1 } }] })[0], /^resources\.0\.timeouts\.startMs:/);
  const timing = problems({ ...GOOD, timing: { challengeWaitMs: 600 } });
  assert.equal(timing.length, 1);
  assert.match(timing[0], /^timing: challengeWaitMs \(600\) must be at least renewDeadlineMs \+ renewIntervalMs/);
  assert.match(problems({ ...GOOD, array: { ...GOOD.array, timeoutMs: 900 } })[0], /^array\.timeoutMs: must be less than timing\.renewDeadlineMs/);
  assert.match(problems({ ...GOOD, resources: [GOOD.resources[0], GOOD.resources[0]] })[0], /^resources\.1\.name: duplicate/);
});

test('an unreadable or non-YAML file is a ConfigError too', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pairvol-hostcfg-'));
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'name: [unclosed');
  assert.throws(() => loadHostConfig(bad), (e: unknown) => e instanceof ConfigError && /not valid YAML/.test(e.problems[0]));
  assert.throws(() => loadHostConfig(join(dir, 'missing.yaml')), (e: unknown) => e instanceof ConfigError && /cannot read/.test(e.problems[0]));
});

test('`host --config bad` exits 2 with the key named on stderr', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pairvol-hostcfg-'));
  const bad = join(dir, 'host.yaml');
  writeFileSync(bad, 'name: host-a\nbogus: 1\n');
  const program = `import { command } from './src/cli/host.ts'; import { UsageError } from './src/cli/output.ts';
    try { process.exitCode = await command.run(['--config', ${JSON.stringify(bad)}]); }
    catch (e) { if (e instanceof UsageError) { process.stderr.write(e.message); process.exitCode = 2; } else throw e; }`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', program], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /bogus: unknown key/);
  assert.match(r.stderr, /array: required/);
});
