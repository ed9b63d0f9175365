// `pairvol pair ...` command lines (src/cli/pair.ts): each parsed into the control API request it
// makes, and every mistake a usage error that sends nothing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parsePace, parsePairCommand, renderPairAnswer, takeoverForceWarning } from '../../src/cli/pair.js';
import { UsageError } from '../../src/cli/output.js';
import type { PairInfo } from '../../src/protocol/control.js';
import { samplePair } from '../helpers/samplePair.js';

const request = (line: string) => {
  const [sub, ...args] = line.split(' ').filter((w) => w !== '');
  return parsePairCommand(sub, args);
};

describe('pair command lines', () => {
  it('create with every option', () => {
    assert.deepEqual(request('create db --pvol db-a --svol db-b --fence data --nocopy --group app --pace 50M --config a.yaml'), {
      method: 'POST',
      path: '/v1/pairs',
      body: { name: 'db', pvol: 'db-a', svol: 'db-b', fence: 'data', nocopy: true, group: 'app', pace: 50 * 1024 * 1024 },
      show: 'pairs',
      json: false,
      config: 'a.yaml',
    });
  });

  it('create with only what it needs sends only that', () => {
    assert.deepEqual(request('create db --pvol a --svol b --json'), {
      method: 'POST',
      path: '/v1/pairs',
      body: { name: 'db', pvol: 'a', svol: 'b' },
      show: 'pairs',
      json: true,
    });
  });

  it('split, resync, swap, delete and display of one pair', () => {
    const cases: [string, string, string, object | undefined][] = [
      ['split db', 'POST', '/v1/pairs/db/split', {}],
      ['split db --svol-writable', 'POST', '/v1/pairs/db/split', { svolWritable: true }],
      ['resync db', 'POST', '/v1/pairs/db/resync', {}],
      ['resync db --discard remote', 'POST', '/v1/pairs/db/resync', { discard: 'remote' }],
      ['swap db', 'POST', '/v1/pairs/db/swap', {}],
      ['takeover db', 'POST', '/v1/pairs/db/takeover', {}],
      ['delete db', 'DELETE', '/v1/pairs/db', undefined],
      ['display', 'GET', '/v1/pairs', undefined],
      ['display db', 'GET', '/v1/pairs/db', undefined],
    ];
    for (const [line, method, path, body] of cases) {
      const req = request(line);
      assert.deepEqual([req.method, req.path, req.body], [method, path, body], line);
      assert.equal(req.warning, undefined, line);
    }
    assert.equal(request('delete db').show, 'deleted');
  });

  it('group split and resync go to the group', () => {
    assert.deepEqual([request('split --group app --svol-writable').path, request('split --group app --svol-writable').body], ['/v1/groups/app/split', { svolWritable: true }]);
    assert.deepEqual([request('resync --group app').path, request('resync --group app').body], ['/v1/groups/app/resync', {}]);
  });

  it('takeover --force carries a data-loss warning', () => {
    const req = request('takeover db --force');
    assert.deepEqual(req.body, { force: true });
    assert.equal(req.warning, takeoverForceWarning('db'));
    assert.match(takeoverForceWarning('db'), /^WARNING: forced takeover of db\..*LOST.*pairvol pair swap db/s);
  });

  it('wait asks for the state with a bounded timeout and waits longer for the answer', () => {
    const req = request('wait db --state pair --timeout 30');
    assert.equal(req.path, '/v1/pairs/db/wait?state=PAIR&timeout=30');
    assert.equal(req.timeoutMs, 35_000);
    assert.equal(request('wait db --state SSUS').path, '/v1/pairs/db/wait?state=SSUS&timeout=10');
  });

  it('names are escaped in paths', () => {
    assert.equal(request('display a/b').path, '/v1/pairs/a%2Fb');
  });

  const mistakes: [string, RegExp][] = [
    ['', /missing subcommand/],
    ['frobnicate db', /unknown subcommand "frobnicate"/],
    ['create db --pvol a', /--pvol VOL and --svol VOL/],
    ['create --pvol a --svol b', /exactly one pair NAME/],
    ['create db --pvol a --svol b --fence sometimes', /--fence must be one of data, status, never/],
    ['create db --pvol a --svol b --pace fast', /--pace "fast"/],
    ['split', /exactly one pair NAME/],
    ['split a b', /exactly one pair NAME/],
    ['split db --group app', /either a pair NAME or --group G/],
    ['resync db --discard both', /--discard must be one of local, remote/],
    ['resync --group app --discard local', /pair by pair/],
    ['swap db --force', /Unknown option '--force'/],
    ['takeover db --svol-writable', /Unknown option '--svol-writable'/],
    ['display a b', /at most one/],
    ['wait db', /--state STATE/],
    ['wait db --state DONE', /--state must be one of/],
    ['wait db --state PAIR --timeout 301', /--timeout must be a number of seconds from 0 to 300/],
    ['wait db --state PAIR --timeout soon', /--timeout must be/],
    ['delete db --nocopy', /Unknown option '--nocopy'/],
  ];
  for (const [line, message] of mistakes) {
    it(`"pair ${line}" is a usage error`, () => {
      assert.throws(() => request(line), (err: unknown) => err instanceof UsageError && message.test(err.message));
    });
  }
});

describe('pair answers', () => {
  it('a deleted pair names both volumes, now SMPL', () => {
    const pair = { name: 'db', localVolume: 'db-a', localArray: 'site-a', remoteVolume: 'db-b', remoteArray: 'site-b' } as PairInfo;
    assert.equal(renderPairAnswer('deleted', { pair }), 'pair db deleted: db-a on site-a and db-b on site-b are SMPL (not paired)\n');
  });

  it('a group answer shows every pair of the group', () => {
    const pair = (name: string): PairInfo => samplePair(name, { group: 'app', state: 'PSUS' });
    const lines = renderPairAnswer('pairs', { pairs: [pair('a'), pair('b')] }).split('\n');
    assert.deepEqual(lines.map((l) => /^app +(\w+\([LR]\))/.exec(l)?.[1]).filter(Boolean), ['a(L)', 'a(R)', 'b(L)', 'b(R)']);
  });
});

describe('copy pace', () => {
  it('reads bytes per second with binary units', () => {
    assert.equal(parsePace('0'), 0);
    assert.equal(parsePace('1000'), 1000);
    assert.equal(parsePace('512K'), 512 * 1024);
    assert.equal(parsePace('50M'), 50 * 1024 ** 2);
    assert.equal(parsePace('50MiB/s'), 50 * 1024 ** 2);
    assert.equal(parsePace('1g'), 1024 ** 3);
  });

  it('refuses anything else', () => {
    for (const bad of ['', '-1', '1.5M', '5T', 'M', '99999999999999999G']) {
      assert.throws(() => parsePace(bad), UsageError, bad);
    }
  });
});
