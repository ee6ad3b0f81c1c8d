/**
 * Worker thread (checkpointer.ts): checkpoints the audit store's WAL through its own connection
 * once every `intervalMs`. A checkpoint copies WAL frames into the database file and, every few
 * thousand rows, waits on fsync — milliseconds the forwarding thread must not spend: its own
 * connection runs with wal_autocheckpoint = 0 and only appends to the WAL. PASSIVE never blocks
 * the writer (SQLite WAL: checkpoints and one writer run concurrently).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openSqlite, type SqliteBindingName } from './sqlite';

export interface CheckpointWorkerData {
  readonly file: string;
  readonly binding: SqliteBindingName;
  readonly intervalMs: number;
}

const d = workerData as CheckpointWorkerData;
const db = openSqlite(d.file, { binding: d.binding });
const timer = setInterval(() => {
  try {
    // [busy, WAL frames, frames checkpointed]; busy (a reader or the writer's commit) just means next time.
    const row = db.pragma('wal_checkpoint(PASSIVE)')[0] as Record<string, number> | undefined;
    parentPort?.postMessage({ checkpoint: row === undefined ? null : Object.values(row) });
  } catch (err) {
    parentPort?.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
}, d.intervalMs);

parentPort?.on('message', (m: unknown) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort?.close();
});
