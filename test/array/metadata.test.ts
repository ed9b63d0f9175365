import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetadataError, MetadataStore, MIGRATIONS } from '../../src/array/metadata.js';
import { makeTempDir } from '../helpers/tmp.js';

const LATEST = MIGRATIONS[MIGRATIONS.length - 1].version;
const row = { name: 'v1', size: 4096, path: 'volumes/v1.img', owned: true, createdAt: '2026-01-01T00:00:00.000Z' };

test('a new database gets every migration and keeps rows across reopen', () => {
  const dir = makeTempDir('meta');
  try {
    const meta = MetadataStore.open(dir.path);
    assert.equal(meta.schemaVersion(), LATEST);
    assert.equal(meta.db.pragma('journal_mode', { simple: true }), 'wal');
    meta.insertVolume(row);
    meta.setKv('k', 'one');
    meta.setKv('k', 'two');
    meta.close();
    const again = MetadataStore.open(dir.path);
    assert.deepEqual(again.listVolumes(), [row]);
    assert.equal(again.getKv('k'), 'two');
    again.close();
  } finally {
    dir.remove();
  }
});

test('a transaction that throws changes nothing', () => {
  const dir = makeTempDir('meta');
  try {
    const meta = MetadataStore.open(dir.path);
    assert.throws(() =>
      meta.transaction(() => {
        meta.insertVolume(row);
        meta.setKv('k', 'v');
        throw new Error('abort');
      }),
    );
    assert.deepEqual(meta.listVolumes(), []);
    assert.equal(meta.getKv('k'), undefined);
    meta.close();
  } finally {
    dir.remove();
  }
});

test('later migrations are applied to an existing database in order', () => {
  const dir = makeTempDir('meta');
  try {
    MetadataStore.open(dir.path).close();
    const extra = [
      ...MIGRATIONS,
      { version: LATEST + 2, description: 'b', sql: 'ALTER TABLE t ADD COLUMN b TEXT' },
      { version: LATEST + 1, description: 'a', sql: 'CREATE TABLE t (a TEXT)' },
    ];
    const meta = MetadataStore.open(dir.path, extra);
    assert.equal(meta.schemaVersion(), LATEST + 2);
    meta.db.prepare('INSERT INTO t (a, b) VALUES (?, ?)').run('x', 'y');
    meta.close();
  } finally {
    dir.remove();
  }
});

test('a failing migration leaves the database at its old version', () => {
  const dir = makeTempDir('meta');
  try {
    MetadataStore.open(dir.path).close();
    const broken = [...MIGRATIONS, { version: LATEST + 1, description: 'half', sql: 'CREATE TABLE t (a TEXT); SELECT * FROM missing_table' }];
    assert.throws(() => MetadataStore.open(dir.path, broken));
    const meta = MetadataStore.open(dir.path);
    assert.equal(meta.schemaVersion(), LATEST);
    assert.deepEqual(meta.db.prepare("SELECT name FROM sqlite_master WHERE name = 't'").all(), []);
    meta.close();
  } finally {
    dir.remove();
  }
});

test('a database newer than the program is refused', () => {
  const dir = makeTempDir('meta');
  try {
    MetadataStore.open(dir.path, [...MIGRATIONS, { version: LATEST + 1, description: 'future', sql: 'CREATE TABLE f (x)' }]).close();
    assert.throws(() => MetadataStore.open(dir.path), MetadataError);
  } finally {
    dir.remove();
  }
});
