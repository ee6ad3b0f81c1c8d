/**
 * Moves the audit store's writes off the forwarding thread (writer-worker.ts). Measured here
 * (BENCHMARKS.md, sixth round): with the store committing on the forwarding thread (8-row
 * commits, ~100 µs each), the sampled allowed rows of 20,000 tx/s at 16 clients put otgate's
 * added p99 ×1.2–×1.4 above the same daemon with `audit.allowed: none`; every commit stalled
 * every open connection. With the writer, the forwarding thread only builds rows and posts them.
 *
 * If the worker fails or exits, the store writes on its own connection again (as before the
 * writer existed), so rows are never stranded: a batch the worker had not committed goes back
 * to the front of the queue.
 */
import path from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { WriteBatch } from './rows';
import type { SqliteBindingName } from './sqlite';
import { PRIORITY_SLOT, priorityName, type WriterPriorityName } from './writer-priority';
import type { WriterMessage, WriterWorkerData } from './writer-worker';

export type BatchOutcome = 'committed' | 'failed' | 'pending';

export interface AuditWriter {
  readonly worker: Worker;
  /** Batches committed by the worker so far. */
  readonly commits: number;
  /** True once the worker is gone (the store writes on its own connection again). */
  readonly gone: boolean;
  /** The worker thread's CPU scheduling as it set it (writer-priority.ts); 'pending' until then. */
  readonly priority: WriterPriorityName;
  /** Posts batch `seq` (the store keeps one in flight at a time). */
  post(seq: number, batch: WriteBatch): void;
  /** How batch `seq` ended, as the worker recorded it (readable after the worker is gone). */
  outcome(seq: number): BatchOutcome;
  /**
   * Blocks until batch `seq` settled or `timeoutMs` passed (Atomics.wait: flush() and close()
   * only), then hands the port's waiting messages to onSettled before returning.
   */
  wait(seq: number, timeoutMs: number): BatchOutcome;
  stop(): void;
}

export interface WriterHooks {
  /** A batch settled (error set when its transaction rolled back). */
  onSettled(seq: number, error?: string): void;
  /** The worker failed or exited; called once. */
  onGone(why: string): void;
}

/**
 * The compiled worker next to this file; under ts-jest (this file is .ts) the build's copy,
 * which the test setup builds first.
 */
function workerScript(): string {
  return __filename.endsWith('.ts')
    ? path.resolve(__dirname, '..', '..', 'dist', 'daemon', 'audit', 'writer-worker.js')
    : path.join(__dirname, 'writer-worker.js');
}

export function startWriter(file: string, binding: SqliteBindingName, synchronous: 'NORMAL' | 'FULL', hooks: WriterHooks): AuditWriter {
  const shared = new SharedArrayBuffer(12);
  const state = new Int32Array(shared);
  const { port1, port2 } = new MessageChannel();
  const data: WriterWorkerData = { file, binding, synchronous, state: shared, port: port2 };
  // A small heap: batches are a few hundred short rows (RSS is the daemon's budget).
  const worker = new Worker(workerScript(), {
    workerData: data,
    transferList: [port2],
    resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 32 },
  });
  worker.unref();
  port1.unref();
  let commits = 0;
  let gone = false;
  let stopped = false;
  const deliver = (m: WriterMessage): void => {
    if (m.error === undefined) commits++;
    hooks.onSettled(m.seq, m.error);
  };
  port1.on('message', deliver);
  const goneWith = (why: string): void => {
    if (gone) return;
    gone = true;
    port1.close();
    if (!stopped) hooks.onGone(why);
  };
  worker.on('error', (err) => goneWith(err.message));
  worker.on('exit', (code) => goneWith(`exit ${code}`));
  const outcome = (seq: number): BatchOutcome =>
    Atomics.load(state, 0) < seq ? 'pending' : Atomics.load(state, 1) === seq ? 'failed' : 'committed';
  return {
    worker,
    get commits() {
      return commits;
    },
    get gone() {
      return gone;
    },
    get priority() {
      return priorityName(Atomics.load(state, PRIORITY_SLOT));
    },
    post(seq, batch) {
      port1.postMessage({ seq, batch });
    },
    outcome,
    wait(seq, timeoutMs) {
      // A dead worker is only noticed by the event loop ('exit'), so a wait on one runs out its time.
      const until = Date.now() + timeoutMs;
      for (let left = timeoutMs; Atomics.load(state, 0) < seq && left > 0; left = until - Date.now()) {
        Atomics.wait(state, 0, Atomics.load(state, 0), left);
      }
      // The worker posts before it marks the batch settled, so its message is on the port by now.
      if (!gone) for (let m = receiveMessageOnPort(port1); m !== undefined; m = receiveMessageOnPort(port1)) deliver(m.message as WriterMessage);
      return outcome(seq);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      if (!gone) port1.postMessage('stop');
    },
  };
}
