/**
 * Versioned schema of the audit store. A migration is applied once, in its own immediate
 * transaction together with its row in `schema_migrations`, so a crash mid-migration leaves
 * the previous version intact and two processes opening the same file cannot both apply it.
 * Append new migrations; never edit an applied one.
 */
import type { SqliteDb } from './sqlite';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'events',
    sql: `
      CREATE TABLE events (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        ts           INTEGER NOT NULL,          -- ms since the epoch (capture time for pcap)
        flow         TEXT    NOT NULL,
        conduit      TEXT,
        proto        TEXT    NOT NULL,          -- modbus | opcua | mqtt
        src          TEXT    NOT NULL,          -- "ip:port" of the PDU's sender
        dst          TEXT    NOT NULL,
        client_asset TEXT,
        server_asset TEXT,
        dir          TEXT    NOT NULL,          -- request | response
        verdict      TEXT,                      -- allow | deny | NULL (not evaluated)
        action       TEXT    NOT NULL,          -- forwarded | refused | dropped | closed | alerted | observed
        rule         TEXT,
        reason       TEXT,                      -- rules/reasons.ts code
        anomaly      TEXT,                      -- protocols/<p>/anomalies.ts code
        technique    TEXT,                      -- ATT&CK for ICS id
        summary      TEXT    NOT NULL,
        fields       TEXT    NOT NULL,          -- JSON object
        policy_hash  TEXT                       -- sha256 of the policy in force
      );
      CREATE INDEX events_ts ON events (ts);
      CREATE INDEX events_verdict_ts ON events (verdict, ts);
      CREATE INDEX events_conduit_ts ON events (conduit, ts);
      CREATE INDEX events_anomaly_ts ON events (ts) WHERE anomaly IS NOT NULL;
    `,
  },
  {
    version: 2,
    name: 'traffic_counts',
    sql: `
      -- Always-on per-minute counters, so allowed traffic is evidenced without a row per PDU.
      CREATE TABLE traffic_counts (
        minute  INTEGER NOT NULL,               -- floor(ms / 60000)
        conduit TEXT    NOT NULL,               -- '' for none
        proto   TEXT    NOT NULL,
        client  TEXT    NOT NULL,               -- asset name, else the client IP
        server  TEXT    NOT NULL,               -- asset name, else "ip:port"
        service TEXT    NOT NULL,               -- e.g. fc3, ReadRequest, publish
        verdict TEXT    NOT NULL,               -- allow | deny
        frames  INTEGER NOT NULL,
        PRIMARY KEY (minute, conduit, proto, client, server, service, verdict)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 3,
    name: 'relay_events',
    sql: `
      CREATE TABLE relay_events (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        ts           INTEGER NOT NULL,          -- ms since the epoch
        kind         TEXT    NOT NULL,          -- e.g. trip | reset | fault | selftest
        cause        TEXT,
        actor        TEXT,
        reason       TEXT,
        trigger_ts   REAL,                      -- ms since the epoch, fractional allowed
        command_ts   REAL,
        confirmed_ts REAL,
        state        TEXT,
        detail       TEXT                       -- JSON object or NULL
      );
      CREATE INDEX relay_events_ts ON relay_events (ts);
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export function schemaVersion(db: SqliteDb): number {
  const has = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (has === undefined) return 0;
  const row = db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null };
  return row.v ?? 0;
}

/** Brings the file to SCHEMA_VERSION; returns the versions applied now (empty when current). */
export function migrate(db: SqliteDb, now: () => number = Date.now): number[] {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const applied: number[] = [];
  // BEGIN IMMEDIATE takes the write lock first, so the check below cannot race another process.
  const step = (m: Migration) => db.transaction(() => {
    // Re-checked inside the write lock: another process may have just applied it.
    if (db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(m.version) !== undefined) return false;
    db.exec(m.sql);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, now());
    return true;
  }, 'immediate');
  const current = schemaVersion(db);
  if (current > SCHEMA_VERSION) {
    throw new Error(`audit store schema v${current} is newer than this otgate (v${SCHEMA_VERSION}); upgrade otgate`);
  }
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    if (step(m)) applied.push(m.version);
  }
  return applied;
}
