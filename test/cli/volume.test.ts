import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ArrayProcess, runPairvol } from '../helpers/arrayProcess.js';

let array: ArrayProcess;
before(async () => {
  array = await ArrayProcess.start();
});
after(async () => {
  await array.dispose();
});

test('volume create and list print aligned tables and exit 0', async () => {
  const created = await runPairvol(['volume', 'create', 'cli-a', '--size', '64M', '--config', array.configPath]);
  assert.equal(created.code, 0, created.stderr);
  const [header, row] = created.stdout.trimEnd().split('\n');
  assert.match(header, /^NAME\s+SIZE\s+BYTES\s+PAIR\s+PATH$/);
  assert.match(row, /^cli-a\s+64M\s+67108864\s+-\s+\/.*cli-a\.img$/);
  // Columns line up: each header starts where its values start.
  assert.equal(header.indexOf('SIZE'), row.indexOf('64M'));

  assert.equal((await runPairvol(['volume', 'create', 'cli-bb', '--size', '512K', '--config', array.configPath])).code, 0);
  const list = await runPairvol(['volume', 'list', '--config', array.configPath]);
  assert.equal(list.code, 0);
  const lines = list.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 3);
  assert.equal(lines[1].indexOf('64M'), lines[2].indexOf('512K'));
});

test('--json prints the raw result; PAIRVOL_URL and PAIRVOL_TOKEN choose the array', async () => {
  const env = { PAIRVOL_URL: array.url, PAIRVOL_TOKEN: array.token };
  const r = await runPairvol(['volume', 'create', 'cli-json', '--size', '1M', '--json'], env);
  assert.equal(r.code, 0, r.stderr);
  const created = JSON.parse(r.stdout);
  assert.equal(created.result, 'NORMAL');
  assert.equal(created.volume.size, 1024 * 1024);
  const list = JSON.parse((await runPairvol(['volume', 'list', '--json'], env)).stdout);
  assert.ok(list.volumes.some((v: { name: string }) => v.name === 'cli-json'));
});

test('ABNORMAL END exits 1 with "pairvol: <reason>: <message>" on stderr', async () => {
  assert.equal((await runPairvol(['volume', 'create', 'cli-dup', '--size', '1M', '--config', array.configPath])).code, 0);
  const dup = await runPairvol(['volume', 'create', 'cli-dup', '--size', '1M', '--config', array.configPath]);
  assert.equal(dup.code, 1);
  assert.match(dup.stderr, /^pairvol: exists: volume cli-dup already exists$/m);

  const missing = await runPairvol(['volume', 'delete', 'nope', '--config', array.configPath, '--json']);
  assert.equal(missing.code, 1);
  assert.equal(JSON.parse(missing.stdout).reason, 'not-found');

  const badSize = await runPairvol(['volume', 'create', 'cli-odd', '--size', '1000', '--config', array.configPath]);
  assert.equal(badSize.code, 1);
  assert.match(badSize.stderr, /^pairvol: bad-request: .*multiple of 512/m);

  const wrongToken = await runPairvol(['volume', 'list'], { PAIRVOL_URL: array.url, PAIRVOL_TOKEN: 'wrong' });
  assert.equal(wrongToken.code, 1);
  assert.match(wrongToken.stderr, /^pairvol: unauthorized: /m);

  const unreachable = await runPairvol(['volume', 'list'], { PAIRVOL_URL: 'http://127.0.0.1:1', PAIRVOL_TOKEN: 't' });
  assert.equal(unreachable.code, 1);
  assert.match(unreachable.stderr, /^pairvol: array-unreachable: /m);
});

test('volume delete removes it', async () => {
  assert.equal((await runPairvol(['volume', 'create', 'cli-del', '--size', '1M', '--config', array.configPath])).code, 0);
  const r = await runPairvol(['volume', 'delete', 'cli-del', '--config', array.configPath]);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, 'volume cli-del deleted\n');
  const list = await runPairvol(['volume', 'list', '--config', array.configPath]);
  assert.doesNotMatch(list.stdout, /cli-del/);
});

for (const [args, expected] of [
  [[], /usage: pairvol <command>/],
  [['frobnicate'], /unknown command "frobnicate"/],
  [['volume'], /missing subcommand/],
  [['volume', 'create', 'x', '--size'], /--size/],
  [['volume', 'create', 'x', '--bogus', '--config', 'c.yaml'], /Unknown option '--bogus'/],
  [['volume', 'create', '--size', '1M', '--config', 'c.yaml'], /exactly one NAME/],
  [['volume', 'list'], /no array given/],
  [['array'], /--config FILE is required/],
] as [string[], RegExp][]) {
  test(`usage error exits 2: pairvol ${args.join(' ')}`, async () => {
    const r = await runPairvol(args);
    assert.equal(r.code, 2);
    assert.match(r.stderr + r.stdout, expected);
    assert.match(r.stderr + r.stdout, /usage/);
  });
}
