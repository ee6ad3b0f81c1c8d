/**
 * What the audit store's queries read back (store.ts): the tables' rows as SQLite returns them,
 * and the API shapes they become. The write side's rows are in rows.ts.
 */
import type { DecisionEvent, ProtocolName } from '../pipeline/contract';
import type { RelayEventRow, StoredEvent } from './types';

const MAX_LIMIT = 1_000_000;

export interface EventRowRaw {
  id: number; ts: number; flow: string; conduit: string | null; proto: ProtocolName; src: string; dst: string;
  client_asset: string | null; server_asset: string | null; dir: 'request' | 'response'; verdict: 'allow' | 'deny' | null;
  action: DecisionEvent['action']; rule: string | null; reason: string | null; anomaly: string | null;
  technique: string | null; summary: string; fields: string; policy_hash: string | null;
}

export interface RelayRowRaw {
  id: number; ts: number; kind: string; cause: string | null; actor: string | null; reason: string | null;
  trigger_ts: number | null; command_ts: number | null; confirmed_ts: number | null; state: string | null; detail: string | null;
}

/** A stored JSON column as an object; anything else is wrapped, never thrown. */
export function parseJson(text: string | null): Record<string, unknown> | null {
  if (text === null) return null;
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { value: v };
  } catch {
    return { unparsable: text };
  }
}

/** A query's row limit: 1000 by default, 1 to 1,000,000. */
export function clampLimit(n: number | undefined): number {
  if (n === undefined || !Number.isFinite(n)) return 1000;
  return Math.max(1, Math.min(MAX_LIMIT, Math.floor(n)));
}

export function storedEvent(r: EventRowRaw): StoredEvent {
  return {
    id: r.id,
    ts: r.ts,
    flow: r.flow,
    conduit: r.conduit,
    proto: r.proto,
    src: r.src,
    dst: r.dst,
    clientAsset: r.client_asset,
    serverAsset: r.server_asset,
    dir: r.dir,
    verdict: r.verdict,
    action: r.action,
    rule: r.rule,
    reason: r.reason,
    anomaly: r.anomaly,
    technique: r.technique,
    summary: r.summary,
    fields: parseJson(r.fields) ?? {},
    policyHash: r.policy_hash,
  };
}

export function relayEventRow(r: RelayRowRaw): RelayEventRow {
  return {
    id: r.id, ts: r.ts, kind: r.kind, cause: r.cause, actor: r.actor, reason: r.reason,
    triggerTs: r.trigger_ts, commandTs: r.command_ts, confirmedTs: r.confirmed_ts, state: r.state, detail: parseJson(r.detail),
  };
}
