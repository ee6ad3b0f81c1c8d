/**
 * The audit store: decision events, per-minute traffic counters and relay events in one SQLite
 * file (WAL), through the SQLite seam in sqlite.ts: better-sqlite3, or node:sqlite where
 * better-sqlite3 would abort the process (runtime-check.ts).
 *
 * Writes never happen on the forwarding path: `enqueue` pushes onto a bounded in-memory queue
 * (queue.ts) and returns; writes take at most batchSize rows per transaction and yield to the
 * event loop between them — in the daemon through the writer thread (writeInWorker, writer.ts),
 * one batch at a time, so the forwarding thread only turns events into rows. When the queue is
 * full, allowed rows go first (an incoming deny evicts a queued allowed row); a deny or anomaly
 * is dropped only when the queue holds nothing but violations. Every drop is counted, violation
 * drops are logged.
 *
 * When a write happens: a violation (or ALLOWED_PILE allowed rows) arms a one-shot write
 * flushIntervalMs (100 ms) later; a few sampled allowed rows and the traffic counters go with a
 * slow tick every allowedWaitMs (1 s); a queue of batchSize goes on the next turn. A timer that
 * fires costs the forwarding thread tens of µs even with nothing to write, and a write 40–100 µs
 * whatever its size: ten a second were what set a polling master's p99 (BENCHMARKS.md,
 * Hot-path changes, ninth round).
 *
 * Durability: WAL + synchronous=NORMAL. A commit has been written to the WAL file (in the OS page
 * cache) before `flush()` returns, so a process crash (kill -9, OOM, abort) loses nothing
 * committed; only an OS crash or power loss can roll back the last transactions, and the file
 * stays consistent either way. `synchronous: 'full'` fsyncs each commit (survives power loss, at
 * one fsync per batch). What a crash can lose is what was still queued: ≤ flushIntervalMs of
 * denies and anomalies, ≤ allowedWaitMs (1 s) of sampled allowed rows and of traffic counters.
 */
import { openSqlite, sqliteBinding, type SqlValue, type SqliteBindingChoice, type SqliteDb, type SqliteStatement } from './sqlite';
import type { DecisionEvent, ProtocolName } from '../pipeline/contract';
import { countAuditDrop, countAuditFlushError, countAuditPruned, countAuditWritten } from '../stats';
import { migrate, schemaVersion, SCHEMA_VERSION } from './migrations';
import { fieldsJson, INSERT_EVENT_SQL, runBatch, UPSERT_COUNT_SQL, type CountRow, type WriteBatch } from './rows';
import { DecisionQueue, type TakenRows } from './queue';
import { FlowTally } from './traffic';

export { trafficFlowOf } from './traffic';
import { startWriter, type AuditWriter } from './writer';
import { pruneStep } from './retention';
import { clampLimit, relayEventRow, storedEvent, type EventRowRaw, type RelayRowRaw } from './read-rows';

export type {
  AuditStoreOptions, AuditLog, StoredEvent, EventQuery, AuditCounts, TrafficFlow, TrafficCounter, TrafficCountRow, TrafficQuery, RelayEventInput, RelayEventRow, RelayEventQuery,
} from './types';
import type {
  AuditStoreOptions, AuditLog, StoredEvent, EventQuery, AuditCounts, TrafficFlow, TrafficCounter, TrafficCountRow, TrafficQuery, RelayEventInput, RelayEventRow, RelayEventQuery,
} from './types';

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
/** Counter rows waiting after failed flushes are capped too (memory stays bounded). */
const MAX_PENDING_COUNTS = 100_000;
/** How often open flows' traffic counters are written (a crash loses at most this much of them). */
const COUNT_SPILL_MS = 1000;
/**
 * Allowed rows that arm a write without waiting for the slow tick. Under heavy sampling rows
 * still go every 100–200 ms, so none lives long enough to be promoted out of V8's young
 * generation (holding them a whole second grew the daemon's RSS 9–10 % over 1,000,000 tx).
 */
const ALLOWED_PILE = 32;

/** A deny, an anomaly or an enforcement action: the rows that must survive overload. */
export function isViolation(e: DecisionEvent): boolean {
  return e.verdict === 'deny' || e.anomaly !== null || (e.action !== 'forwarded' && e.action !== 'observed');
}

/** Rows taken off the queue for one write, to be put back at the front if it fails. */
interface Taken {
  readonly rows: TakenRows;
  readonly counts: CountRow[];
  readonly batch: WriteBatch;
}

/** How long flush() (and so close()) waits for the writer thread to commit one batch. */
const FLUSH_WAIT_MS = 10_000;

export class AuditStore {
  private readonly maxRows: number;
  private readonly maxAgeMs: number;
  private readonly maxQueue: number;
  private readonly batchSize: number;
  private readonly pruneBatch: number;
  private readonly now: () => number;
  private readonly log: AuditLog | null;
  readonly readonly: boolean;

  private readonly queue = new DecisionQueue();
  private readonly flushIntervalMs: number;
  private readonly allowedWaitMs: number;
  private policyHash: string | null = null;

  private dirtyTallies: FlowTally[] = [];
  /** The writer thread (AuditStoreOptions.writeInWorker) once started, or null. */
  writer: AuditWriter | null = null;
  /** Starts `writer` at the first write (writeInWorker), else null. */
  private startWriter: (() => AuditWriter) | null = null;
  /** The batch the writer thread has (one at a time, so rows land in arrival order). */
  private inflight: { readonly seq: number; readonly taken: Taken } | null = null;
  private batchSeq = 0;
  private lastSpill = 0;
  private pendingCounts: CountRow[] = [];

  /** The slow tick (allowedWaitMs): allowed rows, traffic counters, drop warnings. */
  private flushTimer: NodeJS.Timeout | null = null;
  /** The one-shot write a violation or a pile arms (flushIntervalMs); reused through refresh(). */
  private soonTimer: NodeJS.Timeout | null = null;
  private soonArmed = false;
  /** The next write spills the traffic counters whatever the clock says (the slow tick's). */
  private spillNext = false;
  private pruneTimer: NodeJS.Timeout | null = null;
  private flushScheduled = false;
  private pruning = false;
  private closed = false;

  private written = 0;
  private transactions = 0;
  private flushErrors = 0;
  private droppedAllowed = 0;
  private droppedViolation = 0;
  private violationDropsUnlogged = 0;
  private lastFlushError = '';
  private priorityLogged = false;

  private readonly insertEvent: SqliteStatement | null;
  private readonly upsertCount: SqliteStatement | null;

  private constructor(private readonly db: SqliteDb, o: AuditStoreOptions) {
    this.maxRows = o.maxRows ?? 1_000_000;
    this.maxAgeMs = (o.maxAgeDays ?? 90) * DAY_MS;
    this.maxQueue = Math.max(1, o.maxQueue ?? 20_000);
    this.batchSize = Math.max(1, o.batchSize ?? 256);
    this.flushIntervalMs = Math.max(1, o.flushIntervalMs ?? 100);
    this.allowedWaitMs = Math.max(this.flushIntervalMs, o.allowedWaitMs ?? COUNT_SPILL_MS);
    this.pruneBatch = Math.max(1, o.pruneBatch ?? 2000);
    this.now = o.now ?? Date.now;
    this.log = o.log ?? null;
    this.readonly = o.readonly === true;
    if (this.readonly) {
      this.insertEvent = null;
      this.upsertCount = null;
      return;
    }
    this.insertEvent = db.prepare(INSERT_EVENT_SQL);
    this.upsertCount = db.prepare(UPSERT_COUNT_SQL);
    this.flushTimer = setInterval(() => this.onTimer(), this.allowedWaitMs);
    this.flushTimer.unref();
    if (this.maxRows > 0 || this.maxAgeMs > 0) {
      this.pruneTimer = setInterval(() => this.pruneInBackground(), Math.max(1, o.pruneIntervalMs ?? 60_000));
      this.pruneTimer.unref();
    }
  }

  static open(path: string, opts: AuditStoreOptions = {}): AuditStore {
    const choice: SqliteBindingChoice = opts.binding === undefined ? sqliteBinding() : { binding: opts.binding, reason: `${opts.binding} (requested)` };
    opts.log?.info?.(`audit store ${path}: SQLite via ${choice.reason}`, { binding: choice.binding });
    if (opts.readonly === true) {
      const db = openSqlite(path, { readonly: true, binding: choice.binding });
      try {
        db.pragma('busy_timeout = 5000');
        const v = schemaVersion(db);
        if (v === 0) throw new Error(`${path} is not an otgate audit store`);
        if (v > SCHEMA_VERSION) throw new Error(`audit store schema v${v} is newer than this otgate (v${SCHEMA_VERSION})`);
      } catch (err) {
        db.close();
        throw err;
      }
      return new AuditStore(db, opts);
    }
    const db = openSqlite(path, { binding: choice.binding });
    try {
      db.pragma('busy_timeout = 5000');
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${opts.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      // Truncate the WAL after checkpoints so a burst does not leave a large file behind.
      db.pragma('journal_size_limit = 67108864');
      // The store only appends in batches and prunes by index: 512 KiB of page cache (SQLite's
      // default is 2 MB) keeps the daemon's memory flat without slowing those writes.
      db.pragma('cache_size = -512');
      migrate(db, opts.now);
    } catch (err) {
      db.close();
      throw err;
    }
    const store = new AuditStore(db, opts);
    // The worker (~6 MB of RSS for its isolate) starts with the first write: a daemon that has
    // written nothing needs no writer.
    if (opts.writeInWorker === true) {
      const sync = opts.synchronous === 'full' ? 'FULL' : 'NORMAL';
      store.startWriter = () => {
        // This connection now commits only relay events and retention deletes: no checkpoint
        // (and its fsync) on the forwarding thread; the writer's connection checkpoints.
        db.pragma('wal_autocheckpoint = 0');
        return startWriter(path, choice.binding, sync, {
          onSettled: (seq, error) => store.settled(seq, error),
          onGone: (why) => store.writerGone(why),
        });
      };
    }
    return store;
  }

  /** The policy in force from now on; rows queued before keep the hash they were decided under. */
  setPolicyHash(hash: string | null): void {
    this.policyHash = hash;
  }

  /** Queue one decision for the batch writer. O(1), never throws, never touches the disk. */
  enqueue(e: DecisionEvent): void {
    if (this.closed || this.readonly) return;
    const violation = isViolation(e);
    const q = this.queue;
    if (q.length + this.inflightRows() >= this.maxQueue) {
      if (!violation) {
        this.droppedAllowed++;
        countAuditDrop('allowed');
        return;
      }
      if (q.allowed === 0) {
        this.droppedViolation++;
        this.violationDropsUnlogged++;
        countAuditDrop('violation');
        return;
      }
      // Evict the newest queued allowed row to make room for the violation.
      q.evictNewestAllowed();
      this.droppedAllowed++;
      countAuditDrop('allowed');
    }
    q.push(e, violation, this.policyHash);
    if (violation || q.allowed === ALLOWED_PILE) this.armSoon();
    if (!this.flushScheduled && q.length >= this.batchSize) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.writeInBackground();
      });
    }
  }

  /**
   * A counter for one flow's PDUs (always on, independent of row sampling). Call once per
   * connection; the returned function is cheap enough for every PDU.
   */
  trafficCounter(flow: TrafficFlow): TrafficCounter {
    const t = new FlowTally(flow);
    return (service, verdict, ts) => {
      if (this.closed || this.readonly) return;
      const minute = Math.floor((ts ?? this.now()) / MINUTE_MS);
      if (minute !== t.minute) {
        if (t.dirty) this.spill(t);
        t.minute = minute;
      }
      let cell = t.cells.get(service);
      if (cell === undefined) t.cells.set(service, (cell = [0, 0]));
      cell[verdict === 'allow' ? 0 : 1]++;
      if (!t.dirty) {
        t.dirty = true;
        this.dirtyTallies.push(t);
      }
    };
  }

  /** Moves a flow's counts into the pending rows (minute rollover or flush). */
  private spill(t: FlowTally): void {
    t.spillInto(this.pendingCounts, MAX_PENDING_COUNTS);
  }

  /**
   * Writes everything queued, in one transaction, and returns once it is committed (with the
   * writer thread: waits for it, up to FLUSH_WAIT_MS per batch). Errors are counted and logged;
   * rows stay queued.
   */
  flush(): void {
    for (;;) {
      const w = this.writer;
      const f = this.inflight;
      if (w !== null && f !== null) {
        const outcome = w.wait(f.seq, FLUSH_WAIT_MS);
        // Settled without its message (the worker died in between): settle from its record.
        if (this.inflight === f && outcome !== 'pending') this.settled(f.seq, outcome === 'failed' ? 'rolled back in the writer thread' : undefined);
        if (this.inflight === f) {
          this.log?.error(`audit store: the writer thread did not commit within ${FLUSH_WAIT_MS} ms; ${f.taken.batch.events.length} row(s) stay in flight`);
          return;
        }
        if (this.lastFlushError !== '') return; // it failed: the rows are queued again, as without a writer
      }
      const wrote = this.write(Infinity);
      if (this.inflight === null || !wrote) return; // written here (or nothing to write / failed)
    }
  }

  /**
   * Background write: at most `batchSize` rows per transaction, then yield to the event loop and
   * go on, so one write never stalls forwarding for long (≈ 15 µs per row here). With the writer
   * thread, one batch at a time goes to it and the next follows its commit (settled()).
   */
  private writeInBackground(): void {
    if (this.flushScheduled) return;
    const more = this.write(this.batchSize);
    if (more && !this.closed && this.inflight === null) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.writeInBackground();
      });
    }
  }

  /**
   * One transaction of up to `max` queued rows (oldest first) plus the pending counters, here or,
   * with the writer thread, posted to it. Returns true when something was written or posted;
   * false when there was nothing to write, the write failed, or a batch is still in flight.
   */
  private write(max: number): boolean {
    if (this.readonly || !this.db.open || this.inflight !== null) return false;
    // Traffic counters go to SQLite at most once a second (or on flush()/close()): one upsert
    // per open flow every 100 ms would cost more than the sampled rows themselves.
    const now = this.now();
    if (this.spillNext || max === Infinity || now - this.lastSpill >= COUNT_SPILL_MS) {
      this.spillNext = false;
      this.lastSpill = now;
      for (const t of this.dirtyTallies) {
        this.spill(t);
        t.dirty = false;
      }
      this.dirtyTallies = [];
    }
    if (this.queue.length === 0 && this.pendingCounts.length === 0) return false;
    if (this.startWriter !== null) {
      this.writer = this.startWriter();
      this.startWriter = null;
    }
    const taken = this.take(max);
    if (this.writer !== null) {
      const seq = ++this.batchSeq;
      this.inflight = { seq, taken };
      this.writer.post(seq, taken.batch);
      return true;
    }
    try {
      this.db.transaction(() => runBatch(this.insertEvent!, this.upsertCount!, taken.batch));
    } catch (err) {
      this.failed(taken, err instanceof Error ? err.message : String(err));
      return false;
    }
    this.committed(taken);
    return true;
  }

  /** Up to `max` rows off the queues in arrival order, and counter rows within the same budget. */
  private take(max: number): Taken {
    const rows = this.queue.take(max);
    // Counter rows share the transaction's row budget (events first), so no commit runs long.
    const counts = this.pendingCounts.splice(0, Math.max(0, max - rows.events.length));
    return { rows, counts, batch: { events: rows.events, counts } };
  }

  private committed(t: Taken): void {
    const n = t.batch.events.length;
    this.lastFlushError = '';
    this.written += n;
    this.transactions++;
    countAuditWritten(n);
  }

  /** A write that rolled back: its rows go back to the front of the queues (they are the oldest). */
  private failed(t: Taken, msg: string): void {
    this.flushErrors++;
    countAuditFlushError();
    this.queue.putBack(t.rows);
    this.pendingCounts = t.counts.concat(this.pendingCounts).slice(0, MAX_PENDING_COUNTS);
    const queued = this.queue.length;
    if (msg !== this.lastFlushError) this.log?.error(`audit store write failed (${queued} rows stay queued): ${msg}`, { queued });
    this.lastFlushError = msg;
  }

  /** The writer thread settled batch `seq` (writer.ts hooks). */
  private settled(seq: number, error?: string): void {
    const f = this.inflight;
    if (f === null || f.seq !== seq) return;
    this.inflight = null;
    if (error !== undefined) {
      this.failed(f.taken, error);
      return;
    }
    this.committed(f.taken);
    if (!this.priorityLogged) this.logPriority();
    // A backlog goes on at once; violations (or a pile) that came meanwhile soon; a few rows wait for the slow tick.
    if (this.closed) return;
    if (this.queue.length >= this.batchSize) this.writeInBackground();
    else if (this.queue.violations > 0 || this.queue.allowed >= ALLOWED_PILE) this.armSoon();
  }

  /** The writer thread is gone: this connection writes again, from the batch it had not committed. */
  private writerGone(why: string): void {
    const w = this.writer;
    this.writer = null;
    if (w === null || this.closed) return;
    const f = this.inflight;
    if (f !== null) {
      const outcome = w.outcome(f.seq);
      this.settled(f.seq, outcome === 'committed' ? undefined : `the writer thread stopped (${why})`);
    }
    try {
      if (this.db.open) this.db.pragma('wal_autocheckpoint = 1000'); // SQLite's default
    } catch {
      // the store is closing
    }
    this.log?.warn(`audit store: writer thread stopped (${why}); the store writes on its own connection again`);
  }

  /** Once, after the writer's first commit (its chrt has long run by then): where it runs. */
  private logPriority(): void {
    const p = this.writer?.priority;
    if (p === undefined || p === 'pending') return;
    this.priorityLogged = true;
    if (p === 'idle') this.log?.info?.('audit store: writer thread runs at SCHED_IDLE');
    else this.log?.warn(`audit store: writer thread runs at ${p === 'nice' ? 'nice 19' : 'normal priority'}, not SCHED_IDLE (chrt missing or not permitted): its commits can delay forwarding on a busy core`);
  }

  private inflightRows(): number {
    return this.inflight === null ? 0 : this.inflight.taken.batch.events.length;
  }

  /** A write flushIntervalMs from now, unless one is already coming. */
  private armSoon(): void {
    if (this.soonArmed || this.closed) return;
    this.soonArmed = true;
    if (this.soonTimer === null) {
      this.soonTimer = setTimeout(() => {
        this.soonArmed = false;
        this.writeInBackground();
      }, this.flushIntervalMs);
      this.soonTimer.unref();
    } else {
      this.soonTimer.refresh();
    }
  }

  /** The slow tick: whatever is queued, and the traffic counters (a tick with neither writes nothing). */
  private onTimer(): void {
    if (this.queue.length > 0 || this.pendingCounts.length > 0 || this.dirtyTallies.length > 0) {
      this.spillNext = true;
      this.writeInBackground();
    }
    if (this.violationDropsUnlogged > 0) {
      this.log?.warn(`audit queue full of violations: ${this.violationDropsUnlogged} deny/anomaly row(s) dropped`, {
        dropped: this.violationDropsUnlogged,
        total: this.droppedViolation,
      });
      this.violationDropsUnlogged = 0;
    }
  }

  /**
   * One retention step: deletes at most `pruneBatch` rows per table (age first, then the row
   * cap). Returns how many rows went; the background loop repeats while a step was full.
   */
  prune(): number {
    if (this.readonly || !this.db.open) return 0;
    const deleted = pruneStep(this.db, { maxAgeMs: this.maxAgeMs, maxRows: this.maxRows, batch: this.pruneBatch }, this.now());
    countAuditPruned(deleted);
    return deleted;
  }

  private pruneInBackground(): void {
    if (this.pruning || this.closed) return;
    this.pruning = true;
    const step = () => {
      let more = false;
      try {
        more = !this.closed && this.prune() > 0;
      } catch (err) {
        this.log?.error(`audit retention failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (more) setImmediate(step);
      else this.pruning = false;
    };
    step();
  }

  /** Events matching `q` (queued events are written first, so a caller sees its own). */
  query(q: EventQuery = {}): StoredEvent[] {
    this.flush();
    const where: string[] = [];
    const args: SqlValue[] = [];
    if (q.since !== undefined) where.push('ts >= ?'), args.push(q.since);
    if (q.until !== undefined) where.push('ts < ?'), args.push(q.until);
    if (q.verdict !== undefined) where.push('verdict = ?'), args.push(q.verdict);
    if (q.conduit !== undefined) where.push('conduit = ?'), args.push(q.conduit);
    if (q.proto !== undefined) where.push('proto = ?'), args.push(q.proto);
    if (q.anomalyOnly === true) where.push('anomaly IS NOT NULL');
    args.push(clampLimit(q.limit));
    const sql = `SELECT * FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ts DESC, id DESC LIMIT ?`;
    const rows = this.db.prepare(sql).all(...args) as EventRowRaw[];
    return rows.reverse().map(storedEvent);
  }

  /** Per-minute traffic counters, oldest first. */
  trafficCounts(q: TrafficQuery = {}): TrafficCountRow[] {
    this.flush();
    const where: string[] = [];
    const args: SqlValue[] = [];
    if (q.since !== undefined) where.push('minute >= ?'), args.push(Math.floor(q.since / MINUTE_MS));
    if (q.until !== undefined) where.push('minute < ?'), args.push(Math.ceil(q.until / MINUTE_MS));
    if (q.conduit !== undefined) where.push('conduit = ?'), args.push(q.conduit);
    if (q.verdict !== undefined) where.push('verdict = ?'), args.push(q.verdict);
    args.push(clampLimit(q.limit));
    const sql = `SELECT * FROM traffic_counts ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
                 ORDER BY minute, conduit, proto, client, server, service, verdict LIMIT ?`;
    const rows = this.db.prepare(sql).all(...args) as (Omit<TrafficCountRow, 'conduit'> & { conduit: string })[];
    return rows.map((r) => ({ ...r, minute: r.minute * MINUTE_MS, conduit: r.conduit === '' ? null : r.conduit }));
  }

  /** Relay events are rare and are safety evidence: written at once, not batched. Returns the id. */
  recordRelayEvent(row: RelayEventInput): number {
    if (this.readonly) throw new Error('audit store is open read-only');
    const r = this.db
      .prepare('INSERT INTO relay_events (ts, kind, cause, actor, reason, trigger_ts, command_ts, confirmed_ts, state, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(row.ts, row.kind, row.cause ?? null, row.actor ?? null, row.reason ?? null, row.triggerTs ?? null, row.commandTs ?? null,
        row.confirmedTs ?? null, row.state ?? null, row.detail == null ? null : fieldsJson(row.detail));
    return Number(r.lastInsertRowid);
  }

  relayEvents(q: RelayEventQuery = {}): RelayEventRow[] {
    const where: string[] = [];
    const args: SqlValue[] = [];
    if (q.since !== undefined) where.push('ts >= ?'), args.push(q.since);
    if (q.until !== undefined) where.push('ts < ?'), args.push(q.until);
    if (q.kind !== undefined) where.push('kind = ?'), args.push(q.kind);
    args.push(clampLimit(q.limit));
    const sql = `SELECT * FROM relay_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ts DESC, id DESC LIMIT ?`;
    const rows = this.db.prepare(sql).all(...args) as RelayRowRaw[];
    return rows.reverse().map(relayEventRow);
  }

  counts(): AuditCounts {
    this.flush();
    const r = this.db
      .prepare(`SELECT count(*) AS rows, count(*) FILTER (WHERE verdict = 'allow') AS allowed,
                       count(*) FILTER (WHERE verdict = 'deny') AS denied, count(anomaly) AS anomalies FROM events`)
      .get() as { rows: number; allowed: number; denied: number; anomalies: number };
    const relay = this.db.prepare('SELECT count(*) AS n FROM relay_events').get() as { n: number };
    return {
      ...r,
      relayEvents: relay.n,
      queued: this.queue.length + this.inflightRows(),
      written: this.written,
      transactions: this.transactions,
      flushErrors: this.flushErrors,
      dropped: { allowed: this.droppedAllowed, violation: this.droppedViolation },
    };
  }

  /** `PRAGMA integrity_check` result ("ok" when the file is sound). */
  integrityCheck(): string {
    const rows = this.db.pragma('integrity_check') as { integrity_check: string }[];
    return rows.map((r) => r.integrity_check).join('\n');
  }

  /** Flushes what is queued, stops the timers, closes the file. Idempotent. */
  close(): void {
    if (this.closed) return;
    if (this.flushTimer) clearInterval(this.flushTimer);
    if (this.soonTimer) clearTimeout(this.soonTimer);
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.flushTimer = this.pruneTimer = null;
    this.flush();
    if (this.violationDropsUnlogged > 0) {
      this.log?.warn(`audit queue full of violations: ${this.violationDropsUnlogged} deny/anomaly row(s) dropped`, { dropped: this.violationDropsUnlogged });
    }
    this.closed = true;
    this.writer?.stop();
    this.db.close();
  }
}
