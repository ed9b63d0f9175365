import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, parseHostPort, validateArrayConfig } from '../../src/array/config.js';
import { runPairvol } from '../helpers/arrayProcess.js';
import { makeTempDir } from '../helpers/tmp.js';

const GOOD = {
  name: 'site-a',
  dataDir: './data/site-a',
  nbd: { listen: '127.0.0.1:10809' },
  control: { listen: '127.0.0.1:7001', token: 'change-me' },
  peer: { listen: '127.0.0.1:7101', connect: '127.0.0.1:7102', secret: 'change-me-too' },
};

function problemsOf(doc: unknown): string[] {
  try {
    validateArrayConfig(doc, '/etc/pairvol/a.yaml');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  assert.fail('config was accepted');
}

test('the SPEC §7 example is accepted, with defaults and dataDir relative to the file', () => {
  const c = validateArrayConfig(GOOD, '/etc/pairvol/a.yaml');
  assert.equal(c.dataDir, '/etc/pairvol/data/site-a');
  assert.deepEqual(c.nbd.listen, { host: '127.0.0.1', port: 10809 });
  assert.equal(c.regionSize, 64 * 1024);
  assert.equal(c.logLevel, 'info');
  assert.equal(c.peer.heartbeatMs, 500);
  assert.equal(c.peer.deadAfterMs, 2000);
  assert.equal(c.copy.pace, 0);
});

test('every problem is reported with its key path', () => {
  const problems = problemsOf({
    ...GOOD,
    nbd: { listen: 'localhost' },
    control: { listen: '127.0.0.1:7001' },
    peer: { ...GOOD.peer, extra: true },
    foo: 1,
  });
  assert.deepEqual(problems.sort(), [
    'control.token: required',
    'foo: unknown key',
    'nbd.listen: expected "host:port", got "localhost"',
    'peer.extra: unknown key',
  ]);
});

test('bad optional values are named too', () => {
  const problems = problemsOf({ ...GOOD, regionSize: '3K', logLevel: 'loud', peer: { ...GOOD.peer, heartbeatMs: 3000 } });
  assert.equal(problems.length, 3);
  assert.match(problems.join('\n'), /^regionSize: must be a power of two/m);
  assert.match(problems.join('\n'), /^logLevel: /m);
  assert.match(problems.join('\n'), /^peer.deadAfterMs: deadAfterMs must be greater than heartbeatMs/m);
});

test('host:port parsing', () => {
  assert.deepEqual(parseHostPort('[::1]:80'), { host: '::1', port: 80 });
  assert.deepEqual(parseHostPort('example.org:0'), { host: 'example.org', port: 0 });
  assert.equal(parseHostPort('127.0.0.1:65536'), undefined);
  assert.equal(parseHostPort('127.0.0.1'), undefined);
  assert.equal(parseHostPort(':80'), undefined);
});

for (const [what, doc, expected] of [
  ['unknown key', { ...GOOD, colour: 'blue' }, /colour: unknown key/],
  ['missing key', { ...GOOD, control: { listen: '127.0.0.1:7001' } }, /control\.token: required/],
  ['bad value', { ...GOOD, nbd: { listen: '127.0.0.1:99999' } }, /nbd\.listen: expected "host:port"/],
] as const) {
  test(`pairvol array with a config that has a ${what} exits 2, names the key, creates nothing`, async () => {
    const dir = makeTempDir('config');
    try {
      const file = join(dir.path, 'bad.yaml');
      writeFileSync(file, JSON.stringify(doc));
      const r = await runPairvol(['array', '--config', file]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, expected);
      assert.equal(r.stdout, '');
      assert.equal(existsSync(join(dir.path, 'data')), false);
    } finally {
      dir.remove();
    }
  });
}

test('pairvol array with unreadable YAML exits 2', async () => {
  const dir = makeTempDir('config');
  try {
    const file = join(dir.path, 'bad.yaml');
    writeFileSync(file, 'name: [unclosed\n');
    const r = await runPairvol(['array', '--config', file]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /not valid YAML/);
  } finally {
    dir.remove();
  }
});
