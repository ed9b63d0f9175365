// A real filesystem on a pairvol data volume (issue 5, item 2): site-a's P-VOL through nbdfuse
// and a loop device, mkfs.ext4, mounted, files written; the pair is swapped and site-b's volume,
// now the P-VOL, is e2fsck-clean with every file intact. Then a swap under a mounted filesystem
// (a crash as far as ext4 can tell): the new P-VOL replays its journal and is clean, and what the
// old side wrote after the swap never reaches it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab } from '../helpers/cluster.js';
import type { Site } from '../../src/lab/lab.js';
import { API } from '../../src/protocol/control.js';
import { LoopVolume, missingPrerequisites, sh } from './loopVolume.js';

type TestLab = Awaited<ReturnType<typeof startLab>>;

const missing = missingPrerequisites();

/** Writes a directory of files (one large, several small) and returns name -> sha256. */
function writeFiles(root: string, dir: string): Map<string, string> {
  const sums = new Map<string, string>();
  mkdirSync(join(root, dir));
  const sizes = [4 << 20, ...Array.from({ length: 20 }, (_, i) => 1024 * (i * 3 + 1))];
  sizes.forEach((size, i) => {
    const data = randomBytes(size);
    const name = join(dir, `file-${i}.bin`);
    writeFileSync(join(root, name), data);
    sums.set(name, createHash('sha256').update(data).digest('hex'));
  });
  return sums;
}

function assertFiles(root: string, expected: Map<string, string>): void {
  for (const [name, sum] of expected) {
    assert.equal(createHash('sha256').update(readFileSync(join(root, name))).digest('hex'), sum, `${name} is intact`);
  }
}

/** e2fsck -f -n: exit 0 means the filesystem is clean (nothing to fix, nothing changed). */
function assertClean(device: string): void {
  const r = sh('e2fsck', ['-f', '-n', device], [0, 1, 2, 4, 8]);
  assert.equal(r.code, 0, `e2fsck -fn ${device} must find nothing to fix:\n${r.stdout}`);
}

describe('ext4 on a pairvol volume across a swap', { skip: missing.length > 0 ? `needs ${missing.join(', ')}` : false, timeout: 240_000 }, () => {
  let lab: TestLab;
  let work: string;
  const attached: LoopVolume[] = [];
  let first: Map<string, string>;

  async function attach(site: Site, name: string): Promise<LoopVolume> {
    const v = await LoopVolume.attach(lab.nbdUri(site), work, name);
    attached.push(v);
    return v;
  }

  /** A planned swap (`pair takeover` given to the S side with the P side reachable, accepted in PAIR): `site` becomes the P-VOL. */
  async function swapTo(site: Site): Promise<void> {
    await lab.waitFor('db PAIR on both arrays, link connected', async () => {
      const [a, b] = await Promise.all([lab.pairs('a'), lab.pairs('b')]);
      return a.db?.state === 'PAIR' && b.db?.state === 'PAIR' && a.db.peerConnected && b.db.peerConnected;
    }, 20_000);
    const r = await lab.client(site, 10_000).post(API.pairCommand('db', 'takeover'), {});
    assert.equal(r.result, 'NORMAL', `swap to site-${site}: ${JSON.stringify(r)}`);
    await lab.waitFor(`site-${site} to be the writable P-VOL of db`, async () => {
      const db = (await lab.pairs(site)).db;
      return db?.attribute === 'P-VOL' && db.access === 'read-write';
    }, 20_000);
    const old = site === 'a' ? 'b' : 'a';
    assert.equal((await lab.pairs(old)).db?.access, 'read-only', `site-${old} refuses writes after the swap`);
  }

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'pairvol-ext4-'));
    lab = await startLab({ hosts: false, dataSize: '64M' });
  });

  after(async () => {
    for (const v of attached.reverse()) await v.detach();
    await lab?.dispose();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('mkfs.ext4 on site-a, files written and unmounted; after the swap site-b is e2fsck-clean with every file intact', async () => {
    const a = await attach('a', 'a1');
    sh('mkfs.ext4', ['-q', '-F', a.device!]);
    const mntA = join(work, 'mnt-a1');
    a.mount(mntA);
    first = writeFiles(mntA, 'first');
    a.unmount();
    await a.detach();

    await swapTo('b');
    const b = await attach('b', 'b1');
    assertClean(b.device!);
    const mntB = join(work, 'mnt-b1');
    b.mount(mntB);
    assertFiles(mntB, first);
    assert.deepEqual(readdirSync(join(mntB, 'first')).length, first.size);
  });

  it('a swap under the mounted filesystem: site-a replays the journal, is clean, has every synced file, and none written after the swap', async () => {
    const mntB = attached.at(-1)?.mountedAt;
    assert.ok(mntB, 'the first test left site-b mounted');
    const second = writeFiles(mntB, 'second');
    sh('sync', ['-f', join(mntB, 'second')]);

    await swapTo('a');
    // The old P-VOL refuses writes from the swap on: what site-b writes now must not appear on site-a.
    writeFileSync(join(mntB, 'after-swap.txt'), 'written after the swap\n');
    sh('sync', ['-f', mntB], [0, 1]);

    const a = await attach('a', 'a2');
    const mntA = join(work, 'mnt-a2');
    a.mount(mntA); // replays the journal of the filesystem site-b had mounted
    assertFiles(mntA, first);
    assertFiles(mntA, second);
    assert.equal(existsSync(join(mntA, 'after-swap.txt')), false, 'a write after the swap never reached the new P-VOL');
    a.unmount();
    assertClean(a.device!);
  });
});
