/**
 * What one audit write is made of, shared by the store's own connection (store.ts) and the
 * writer thread (writer-worker.ts): the two statements and the plain value rows they bind. A
 * decision event becomes its row on the forwarding thread (getters such as a lazy summary run
 * there), so what crosses to the writer is numbers, strings and nulls only.
 */
import type { SqlValue } from './sqlite';
import type { DecisionEvent } from '../pipeline/contract';

export const INSERT_EVENT_SQL = `INSERT INTO events (ts, flow, conduit, proto, src, dst, client_asset, server_asset, dir, verdict, action, rule, reason, anomaly, technique, summary, fields, policy_hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

export const UPSERT_COUNT_SQL = `INSERT INTO traffic_counts (minute, conduit, proto, client, server, service, verdict, frames) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (minute, conduit, proto, client, server, service, verdict) DO UPDATE SET frames = frames + excluded.frames`;

/** One traffic_counts upsert. */
export type CountRow = [minute: number, conduit: string, proto: string, client: string, server: string, service: string, verdict: string, n: number];

/** One batch: event rows in arrival order, then counter upserts, in one transaction. */
export interface WriteBatch {
  readonly events: SqlValue[][];
  readonly counts: CountRow[];
}

export function fieldsJson(fields: Readonly<Record<string, unknown>>): string {
  try {
    return JSON.stringify(fields, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? '{}';
  } catch {
    return '{"unserializable":true}';
  }
}

/** The INSERT_EVENT_SQL parameters of `e`, decided under the policy `hash`. */
export function eventRow(e: DecisionEvent, hash: string | null): SqlValue[] {
  return [e.ts, e.flow, e.conduit, e.proto, e.src, e.dst, e.clientAsset, e.serverAsset, e.dir, e.verdict, e.action,
    e.rule, e.reason, e.anomaly, e.technique, e.summary, fieldsJson(e.fields), hash];
}

/** Runs one batch through the two prepared statements (the caller holds the transaction). */
export function runBatch(ins: { run(...p: SqlValue[]): unknown }, up: { run(...p: SqlValue[]): unknown }, b: WriteBatch): void {
  for (const r of b.events) ins.run(...r);
  for (const c of b.counts) up.run(...c);
}
