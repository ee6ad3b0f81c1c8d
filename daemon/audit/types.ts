/** The audit store's public shapes: options, queries and rows (implementation in store.ts). */
import type { DecisionEvent, ProtocolName } from '../pipeline/contract';
import type { SqliteBindingName } from './runtime-check';

export interface AuditStoreOptions {
  /** Keep at most this many event rows (the newest). Default 1,000,000. 0 = no cap. */
  readonly maxRows?: number;
  /** Drop rows (events, counters, relay events) older than this. Default 90. 0 = no cap. */
  readonly maxAgeDays?: number;
  /** How soon a deny or anomaly (or 32 queued allowed rows) is written. Default 100 ms. */
  readonly flushIntervalMs?: number;
  /**
   * The slow tick: how long a few allowed (sampled) rows and the traffic counters may wait for
   * a write. Default 1,000 ms (at least flushIntervalMs).
   */
  readonly allowedWaitMs?: number;
  /** Queue bound (events waiting for the writer). Default 20,000. */
  readonly maxQueue?: number;
  /**
   * Rows per background transaction, and the queue length that triggers a write without
   * waiting for the timer. Bounds how long one write holds the event loop (or, with
   * writeInWorker, one message to the writer). Default 256.
   */
  readonly batchSize?: number;
  /** 'normal' survives process crashes; 'full' also survives power loss. Default 'normal'. */
  readonly synchronous?: 'normal' | 'full';
  /** Background retention period. Default 60 s. */
  readonly pruneIntervalMs?: number;
  /** Rows deleted per retention step (steps repeat, yielding in between). Default 2,000. */
  readonly pruneBatch?: number;
  /** Open for reading only (the `events` command): no migrations, no timers, no writes. */
  readonly readonly?: boolean;
  readonly now?: () => number;
  readonly log?: AuditLog;
  /** SQLite binding; default: the one runtime-check.ts picks for this runtime (tests set it). */
  readonly binding?: SqliteBindingName;
  /**
   * Write batches in a worker thread with its own connection (writer.ts), which also runs the
   * WAL checkpoints: the daemon's choice, so no insert, commit or checkpoint runs on the
   * forwarding thread. Default false (the CLI and tests: this connection writes).
   */
  readonly writeInWorker?: boolean;
}

/** Structural subset of the winston logger. */
export interface AuditLog {
  /** Where present, the store names its SQLite binding here once at open. */
  info?(message: string, meta?: Record<string, unknown>): unknown;
  warn(message: string, meta?: Record<string, unknown>): unknown;
  error(message: string, meta?: Record<string, unknown>): unknown;
}

export type StoredEvent = DecisionEvent & { readonly id: number; readonly policyHash: string | null };

export interface EventQuery {
  /** ms since the epoch, inclusive. */
  readonly since?: number;
  /** ms since the epoch, exclusive. */
  readonly until?: number;
  readonly verdict?: 'allow' | 'deny';
  readonly conduit?: string;
  readonly proto?: ProtocolName;
  readonly anomalyOnly?: boolean;
  /** The newest `limit` matches (default 1,000), returned oldest first. */
  readonly limit?: number;
}

export interface AuditCounts {
  readonly rows: number;
  readonly allowed: number;
  readonly denied: number;
  readonly anomalies: number;
  readonly relayEvents: number;
  /** Events waiting for the writer now. */
  readonly queued: number;
  /** Since open: rows committed, batch transactions committed, failed flushes, drops. */
  readonly written: number;
  readonly transactions: number;
  readonly flushErrors: number;
  readonly dropped: { readonly allowed: number; readonly violation: number };
}

/** Who talks to whom on one flow, as the traffic counters key it. */
export interface TrafficFlow {
  readonly conduit: string | null;
  readonly proto: ProtocolName;
  /** Asset name, else the client IP. */
  readonly client: string;
  /** Asset name, else "ip:port". */
  readonly server: string;
}

/** Count one decided PDU of a flow: service is e.g. "fc3", "ReadRequest", "publish". */
export type TrafficCounter = (service: string, verdict: 'allow' | 'deny', ts?: number) => void;

export interface TrafficCountRow {
  /** Start of the minute, ms since the epoch. */
  readonly minute: number;
  readonly conduit: string | null;
  readonly proto: ProtocolName;
  readonly client: string;
  readonly server: string;
  readonly service: string;
  readonly verdict: 'allow' | 'deny';
  readonly frames: number;
}

export interface TrafficQuery {
  readonly since?: number;
  readonly until?: number;
  readonly conduit?: string;
  readonly verdict?: 'allow' | 'deny';
  readonly limit?: number;
}

export interface RelayEventInput {
  /** ms since the epoch. */
  readonly ts: number;
  /** e.g. trip | reset | fault | selftest | state. */
  readonly kind: string;
  readonly cause?: string | null;
  readonly actor?: string | null;
  readonly reason?: string | null;
  /** ms since the epoch (fractional allowed): violation seen, command sent, contact confirmed. */
  readonly triggerTs?: number | null;
  readonly commandTs?: number | null;
  readonly confirmedTs?: number | null;
  readonly state?: string | null;
  readonly detail?: Readonly<Record<string, unknown>> | null;
}

export interface RelayEventRow {
  readonly id: number;
  readonly ts: number;
  readonly kind: string;
  readonly cause: string | null;
  readonly actor: string | null;
  readonly reason: string | null;
  readonly triggerTs: number | null;
  readonly commandTs: number | null;
  readonly confirmedTs: number | null;
  readonly state: string | null;
  readonly detail: Record<string, unknown> | null;
}

export interface RelayEventQuery {
  readonly since?: number;
  readonly until?: number;
  readonly kind?: string;
  /** The newest `limit` (default 1,000), returned oldest first. */
  readonly limit?: number;
}
