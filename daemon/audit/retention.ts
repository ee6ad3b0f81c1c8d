/**
 * One retention step of the audit store (store.ts prune()): at most `batch` rows per table,
 * by age first (events, traffic counters, relay events), then by the events row cap.
 */
import type { SqliteDb } from './sqlite';

const MINUTE_MS = 60_000;

export interface RetentionLimits {
  /** 0 = no age limit. */
  readonly maxAgeMs: number;
  /** 0 = no row cap. */
  readonly maxRows: number;
  readonly batch: number;
}

/** Deletes what is over the limits, at most `batch` rows per statement. Returns how many rows went. */
export function pruneStep(db: SqliteDb, l: RetentionLimits, now: number): number {
  let deleted = 0;
  if (l.maxAgeMs > 0) {
    const cutoff = now - l.maxAgeMs;
    deleted += db.prepare('DELETE FROM events WHERE id IN (SELECT id FROM events WHERE ts < ? ORDER BY ts LIMIT ?)').run(cutoff, l.batch).changes;
    deleted += db
      .prepare(`DELETE FROM traffic_counts WHERE (minute, conduit, proto, client, server, service, verdict) IN
                (SELECT minute, conduit, proto, client, server, service, verdict FROM traffic_counts WHERE minute < ? LIMIT ?)`)
      .run(Math.floor(cutoff / MINUTE_MS), l.batch).changes;
    deleted += db.prepare('DELETE FROM relay_events WHERE id IN (SELECT id FROM relay_events WHERE ts < ? ORDER BY ts LIMIT ?)').run(cutoff, l.batch).changes;
  }
  if (l.maxRows > 0) {
    // max(id) and min(id) are rowid lookups; the span bounds the count (ids only grow), so
    // keeping ids above max - maxRows keeps at most maxRows rows without a COUNT(*) scan.
    const r = db.prepare('SELECT max(id) AS hi, min(id) AS lo FROM events').get() as { hi: number | null; lo: number | null };
    if (r.hi !== null && r.lo !== null && r.hi - r.lo + 1 > l.maxRows) {
      deleted += db.prepare('DELETE FROM events WHERE id IN (SELECT id FROM events WHERE id <= ? ORDER BY id LIMIT ?)').run(r.hi - l.maxRows, l.batch).changes;
    }
  }
  return deleted;
}
