/**
 * Moves the audit store's WAL checkpoints off the forwarding thread (checkpoint-worker.ts).
 * Measured here (BENCHMARKS.md, fourth round): a 37-row audit commit takes ~0.4 ms, but one in
 * ~65 also ran an automatic checkpoint and took ~7 ms — a stall of every open connection. With the worker, the store's
 * connection only appends. If the worker fails or exits, automatic checkpoints come back on the
 * store's own connection (SQLite's default, 1000 pages), so the WAL never grows without bound.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { CheckpointWorkerData } from './checkpoint-worker';
import type { SqliteBindingName, SqliteDb } from './sqlite';
import type { AuditLog } from './types';

const INTERVAL_MS = 1000;
const SQLITE_DEFAULT_AUTOCHECKPOINT = 1000;

export interface Checkpointer {
  readonly worker: Worker;
  /** Checkpoints the worker has run (PASSIVE; some may have found the WAL busy). */
  readonly runs: number;
  /** True once the store's connection checkpoints for itself again. */
  readonly fellBack: boolean;
  stop(): void;
}

/**
 * The compiled worker next to this file; under ts-jest (this file is .ts) the build's copy,
 * which the test setup builds first.
 */
function workerScript(): string {
  return __filename.endsWith('.ts')
    ? path.resolve(__dirname, '..', '..', 'dist', 'daemon', 'audit', 'checkpoint-worker.js')
    : path.join(__dirname, 'checkpoint-worker.js');
}

export function startCheckpointer(file: string, binding: SqliteBindingName, db: SqliteDb, log?: AuditLog): Checkpointer {
  db.pragma('wal_autocheckpoint = 0');
  const data: CheckpointWorkerData = { file, binding, intervalMs: INTERVAL_MS };
  // A small heap: the worker runs one PRAGMA a second (RSS is the daemon's budget).
  const worker = new Worker(workerScript(), { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 } });
  worker.unref();
  let runs = 0;
  let stopped = false;
  let fellBack = false;
  const fallBack = (why: string): void => {
    if (stopped || fellBack) return;
    fellBack = true;
    try {
      if (db.open) db.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT}`);
    } catch {
      // the store is closing: nothing left to checkpoint for
    }
    log?.warn(`audit store: checkpoint worker stopped (${why}); the store checkpoints its WAL itself again`);
  };
  worker.on('message', (m: { checkpoint?: unknown; error?: string }) => {
    if (m.error !== undefined) log?.warn(`audit store: WAL checkpoint failed: ${m.error}`);
    else runs++;
  });
  worker.on('error', (err) => fallBack(err.message));
  worker.on('exit', (code) => fallBack(`exit ${code}`));
  return {
    worker,
    get runs() {
      return runs;
    },
    get fellBack() {
      return fellBack;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      worker.postMessage('stop');
    },
  };
}
