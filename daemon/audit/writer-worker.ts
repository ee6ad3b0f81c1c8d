/**
 * Worker thread (writer.ts): the audit store's writer. It holds its own connection and runs
 * each batch the forwarding thread posts as one transaction, so no SQLite insert, commit or WAL
 * checkpoint runs between two forwarded frames. SQLite's automatic checkpoint (1000 pages)
 * runs on this connection, after this thread's commits.
 *
 * Protocol: {seq, batch} in, one at a time (the store waits for each before the next, so rows
 * land in arrival order). After each batch `state[0] = seq` (settled), and before that, if it
 * rolled back, `state[1] = seq` (with {seq, error} on the port); then Atomics.notify: the
 * store's flush() waits on `state[0]` synchronously, its event loop reads the port.
 */
import { lowerPriority } from './writer-priority';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { INSERT_EVENT_SQL, runBatch, UPSERT_COUNT_SQL, type WriteBatch } from './rows';
import { openSqlite, type SqliteBindingName } from './sqlite';

export interface WriterWorkerData {
  readonly file: string;
  readonly binding: SqliteBindingName;
  readonly synchronous: 'NORMAL' | 'FULL';
  /** Int32Array view: [0] last settled seq, [1] last failed seq, [2] this thread's scheduling (writer-priority.ts). */
  readonly state: SharedArrayBuffer;
  readonly port: MessagePort;
}

export type WriterMessage = { readonly seq: number; readonly error?: string };

const d = workerData as WriterWorkerData;
const state = new Int32Array(d.state);
lowerPriority(state);
const db = openSqlite(d.file, { binding: d.binding });
db.pragma('busy_timeout = 5000');
db.pragma(`synchronous = ${d.synchronous}`);
db.pragma('cache_size = -512'); // as the store's own connection (store.ts)
const ins = db.prepare(INSERT_EVENT_SQL);
const up = db.prepare(UPSERT_COUNT_SQL);

d.port.on('message', (m: { seq: number; batch: WriteBatch } | 'stop') => {
  if (m === 'stop') {
    db.close();
    d.port.close();
    parentPort?.close();
    return;
  }
  let error: string | undefined;
  try {
    db.transaction(() => runBatch(ins, up, m.batch));
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
    Atomics.store(state, 1, m.seq);
  }
  // The message first: a flush() that sees state[0] settle finds it on its port.
  d.port.postMessage((error === undefined ? { seq: m.seq } : { seq: m.seq, error }) satisfies WriterMessage);
  Atomics.store(state, 0, m.seq);
  Atomics.notify(state, 0);
});
