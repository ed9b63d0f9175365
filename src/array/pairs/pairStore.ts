// Pair records in the array's SQLite metadata, one JSON document per pair. Every state change
// is written here (synchronous=FULL) before it is acted upon or answered.
import type { MetadataStore } from '../metadata.js';
import type { PairRecord } from './pairRecord.js';

/** The `pairs` table comes from migration 2 in ../metadata.ts. */
export class PairStore {
  constructor(private readonly meta: MetadataStore) {}

  load(): PairRecord[] {
    const rows = this.meta.db.prepare('SELECT record FROM pairs ORDER BY name').all() as { record: string }[];
    return rows.map((r) => JSON.parse(r.record) as PairRecord);
  }

  save(rec: PairRecord): void {
    this.meta.db
      .prepare('INSERT INTO pairs (name, record) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET record = excluded.record')
      .run(rec.name, JSON.stringify(rec));
  }

  remove(name: string): void {
    this.meta.db.prepare('DELETE FROM pairs WHERE name = ?').run(name);
  }

  transaction<T>(fn: () => T): T {
    return this.meta.transaction(fn);
  }
}
