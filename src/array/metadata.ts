// The array's durable metadata: SQLite in dataDir/meta.db. WAL with synchronous=FULL so a
// committed transaction survives kill -9 and power loss. The schema only moves forward through
// the ordered MIGRATIONS list; later layers (pairs, reservations) append to it.
import Database from 'better-sqlite3';
import { join } from 'node:path';

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

/** Append only: never edit a migration that has shipped, add a new one. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'volumes and key/value settings',
    sql: `
      CREATE TABLE volumes (
        name TEXT PRIMARY KEY,
        size INTEGER NOT NULL CHECK (size > 0),
        path TEXT NOT NULL UNIQUE,
        owned INTEGER NOT NULL CHECK (owned IN (0, 1)),
        created_at TEXT NOT NULL
      );
      CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `,
  },
  {
    version: 2,
    description: 'pairs (one JSON record per pair, see src/array/pairs/pairRecord.ts)',
    sql: `CREATE TABLE pairs (name TEXT PRIMARY KEY, record TEXT NOT NULL);`,
  },
];

export interface VolumeRow {
  name: string;
  size: number;
  /** Relative to dataDir when `owned`, else the absolute path the operator gave. */
  path: string;
  /** True when the array created the file and so removes it on delete. */
  owned: boolean;
  createdAt: string;
}

interface RawVolumeRow {
  name: string;
  size: number;
  path: string;
  owned: number;
  created_at: string;
}

export class MetadataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetadataError';
  }
}

export class MetadataStore {
  private constructor(readonly db: Database.Database) {}

  static open(dataDir: string, migrations: readonly Migration[] = MIGRATIONS): MetadataStore {
    const db = new Database(join(dataDir, 'meta.db'));
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      const store = new MetadataStore(db);
      store.migrate(migrations);
      return store;
    } catch (err) {
      db.close();
      throw err;
    }
  }

  private migrate(migrations: readonly Migration[]): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const latest = migrations.reduce((v, m) => Math.max(v, m.version), 0);
    this.transaction(() => {
      const current = this.schemaVersion();
      if (current > latest) {
        throw new MetadataError(`meta.db has schema version ${current}, newer than this program (${latest}); refusing to open it`);
      }
      for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
        if (m.version <= current) continue;
        this.db.exec(m.sql);
        this.db.prepare('DELETE FROM schema_version').run();
        this.db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(m.version);
      }
    });
  }

  schemaVersion(): number {
    const row = this.db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
    return row?.version ?? 0;
  }

  /** Run fn in one transaction (nested calls become savepoints); a throw rolls everything back. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  insertVolume(v: VolumeRow): void {
    this.db
      .prepare('INSERT INTO volumes (name, size, path, owned, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(v.name, v.size, v.path, v.owned ? 1 : 0, v.createdAt);
  }

  deleteVolume(name: string): boolean {
    return this.db.prepare('DELETE FROM volumes WHERE name = ?').run(name).changes > 0;
  }

  listVolumes(): VolumeRow[] {
    const rows = this.db.prepare('SELECT * FROM volumes ORDER BY name').all() as RawVolumeRow[];
    return rows.map((r) => ({ name: r.name, size: r.size, path: r.path, owned: r.owned === 1, createdAt: r.created_at }));
  }

  getKv(key: string): string | undefined {
    const row = this.db.prepare('SELECT value FROM kv WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value;
  }

  setKv(key: string, value: string): void {
    this.db.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  close(): void {
    this.db.close();
  }
}
