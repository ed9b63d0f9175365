// `pair display` rendering (src/cli/pairTable.ts): pure functions, exact output.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PairInfo } from '../../src/protocol/control.js';
import { formatRate, oppositeAttribute, renderPairTable } from '../../src/cli/pairTable.js';
import { samplePair } from '../helpers/samplePair.js';

const db: PairInfo = samplePair('db', { group: 'app', fence: 'data' });

describe('pair display table', () => {
  it('shows one line per side, the peer with the opposite attribute', () => {
    assert.equal(
      renderPairTable([db]),
      [
        'Group  PairVol(L/R)  Array   Volume  P/S    Status  Fence  Copy%  Changed%  Holder  M',
        'app    db(L)         site-a  db-a    P-VOL  PAIR    data   100    0         -       -',
        'app    db(R)         site-b  db-b    S-VOL  PAIR    data   100    0         -       -',
        '',
      ].join('\n'),
    );
  });

  it('shows copy progress with the rate while copying', () => {
    const copying: PairInfo = { ...db, state: 'COPY', displayState: 'COPY', copyPercent: 42, changedPercent: 57.5, copyRate: 12.5 * 1024 * 1024 };
    const [, local, remote] = renderPairTable([copying]).split('\n');
    assert.match(local, /P-VOL {2}COPY {4}data {3}42 12\.5MiB\/s {2}57\.5 /);
    assert.match(remote, /S-VOL {2}COPY {4}data {3}42 12\.5MiB\/s {2}57\.5 /);
  });

  it('seen from the S side: SSUS locally, PSUS on the P-VOL line, holder and writable S-VOL marked', () => {
    const sSide: PairInfo = {
      ...db,
      group: null,
      attribute: 'S-VOL',
      state: 'PSUS',
      displayState: 'SSUS',
      localArray: 'site-b',
      remoteArray: 'site-a',
      localVolume: 'db-b',
      remoteVolume: 'db-a',
      holder: 'host-b',
      svolWritable: true,
      copyPercent: 97,
      changedPercent: 3,
    };
    assert.equal(
      renderPairTable([sSide]),
      [
        'Group  PairVol(L/R)  Array   Volume  P/S    Status  Fence  Copy%  Changed%  Holder  M',
        '-      db(L)         site-b  db-b    S-VOL  SSUS    data   97     3         host-b  W',
        '-      db(R)         site-a  db-a    P-VOL  PSUS    data   97     3         -       -',
        '',
      ].join('\n'),
    );
  });

  it('adds notes for an unreachable peer, a split brain and a forced takeover', () => {
    const out = renderPairTable([
      { ...db, peerConnected: false, state: 'PSUE', displayState: 'PSUE' },
      { ...db, name: 'logs', splitBrain: true, state: 'PSUS', displayState: 'PSUS' },
      { ...db, name: 'q', attribute: 'S-VOL', state: 'SSWS', displayState: 'SSWS' },
    ]);
    const notes = out.split('\n').filter((l) => l.startsWith('note: '));
    assert.deepEqual(notes, [
      'note: db: peer array site-b is not connected; the (R) line is the state last known by site-a',
      'note: logs: split brain, both sides were written; choose with "pairvol pair resync logs --discard local|remote"',
      'note: q: S-VOL taken over by force (SSWS); resolve with "pairvol pair swap q" once the P side is back',
    ]);
    assert.equal(out.split('\n').filter((l) => /^app +\w+\((L|R)\)/.test(l)).length, 6);
  });

  it('says so when there are no pairs', () => {
    assert.equal(renderPairTable([]), 'no pairs\n');
  });

  it('formats rates in binary units and names the opposite attribute', () => {
    assert.equal(formatRate(0), '0B/s');
    assert.equal(formatRate(1023), '1023B/s');
    assert.equal(formatRate(1536), '1.5KiB/s');
    assert.equal(formatRate(50 * 1024 ** 2), '50.0MiB/s');
    assert.equal(formatRate(3 * 1024 ** 3), '3.0GiB/s');
    assert.equal(oppositeAttribute('P-VOL'), 'S-VOL');
    assert.equal(oppositeAttribute('S-VOL'), 'P-VOL');
    assert.equal(oppositeAttribute('SMPL'), 'SMPL');
  });
});
