/**
 * Every otgate counter, declared in this one file (names, help, labels are stable: dashboards
 * and alerts depend on them). The hot path calls the small `count*` functions below, which use
 * label children bound once, so a frame costs a few property loads and an add — no label
 * object, no string building. `metricsText()` renders the Prometheus text format for an
 * optional /metrics endpoint.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { ProtocolName } from './pipeline/contract';

export const registry = new Registry();

const PROTOCOLS = ['modbus', 'opcua', 'mqtt'] as const satisfies readonly ProtocolName[];
const OUTCOMES = ['allow', 'deny', 'anomaly'] as const;
const DIRS = ['request', 'response'] as const;

export type FrameOutcome = (typeof OUTCOMES)[number];
export type FrameDir = (typeof DIRS)[number];
/** allowed = a plain allowed/observed row; violation = a deny or an anomaly row. */
export type AuditDropKind = 'allowed' | 'violation';
export type ReloadResult = 'applied' | 'rejected';
export type ConnectionResult = 'accepted' | 'rejected_limit' | 'upstream_failed' | 'closed' | 'internal_error';
export type SiemResult = 'sent' | 'dropped' | 'error';

// Per-PDU counts go to a plain array (prom-client hashes the labels on every inc(), which cost
// ~1 µs per frame); they move into the counter whenever it is read (collect), so reads are exact.
const frameCounts = new Float64Array(PROTOCOLS.length * OUTCOMES.length * DIRS.length);
const frames: Counter<'proto' | 'outcome' | 'dir'> = new Counter({
  name: 'otgate_frames_total',
  help: 'PDUs inspected, by protocol, outcome (allow | deny | anomaly) and direction',
  labelNames: ['proto', 'outcome', 'dir'] as const,
  registers: [registry],
  collect() {
    flushFrameCounts();
  },
});
const connections = new Counter({
  name: 'otgate_connections_total',
  help: 'Connections by conduit and result (accepted, rejected_limit, upstream_failed, closed, internal_error)',
  labelNames: ['conduit', 'result'] as const,
  registers: [registry],
});
const connectionsOpen = new Gauge({
  name: 'otgate_connections_open',
  help: 'Connections open now, by conduit',
  labelNames: ['conduit'] as const,
  registers: [registry],
});
const auditDropped = new Counter({
  name: 'otgate_audit_queue_dropped_total',
  help: 'Audit rows dropped because the write queue was full (allowed | violation)',
  labelNames: ['kind'] as const,
  registers: [registry],
});
const auditWritten = new Counter({
  name: 'otgate_audit_rows_written_total',
  help: 'Decision rows committed to the audit store',
  registers: [registry],
});
const auditFlushErrors = new Counter({
  name: 'otgate_audit_flush_errors_total',
  help: 'Audit batch transactions that failed (rows stay queued and are retried)',
  registers: [registry],
});
const auditPruned = new Counter({
  name: 'otgate_audit_rows_pruned_total',
  help: 'Rows removed by retention (max rows / max age)',
  registers: [registry],
});
const reloads = new Counter({
  name: 'otgate_policy_reloads_total',
  help: 'Policy reloads by result (applied | rejected)',
  labelNames: ['result'] as const,
  registers: [registry],
});
const relayState = new Gauge({
  name: 'otgate_relay_state',
  help: 'Isolation relay state: 1 for the current state label, 0 for the others',
  labelNames: ['state'] as const,
  registers: [registry],
});
const relayTrips = new Counter({
  name: 'otgate_relay_trips_total',
  help: 'Relay trips (OT isolated) by cause',
  labelNames: ['cause'] as const,
  registers: [registry],
});
const siem = new Counter({
  name: 'otgate_siem_messages_total',
  help: 'Decision events forwarded to the SIEM, by result (sent | dropped | error)',
  labelNames: ['result'] as const,
  registers: [registry],
});

type Child = { inc(n?: number): void };

// Bound once: countFrame is called for every PDU.
const frameChildren: Child[] = [];
const frameIndex = Object.fromEntries(
  PROTOCOLS.map((p) => [p, Object.fromEntries(OUTCOMES.map((o) => [o, Object.fromEntries(DIRS.map((d) => {
    frameChildren.push(frames.labels(p, o, d));
    return [d, frameChildren.length - 1];
  }))]))]),
) as Record<ProtocolName, Record<FrameOutcome, Record<FrameDir, number>>>;

function flushFrameCounts(): void {
  for (let i = 0; i < frameCounts.length; i++) {
    const n = frameCounts[i]!;
    if (n === 0) continue;
    frameCounts[i] = 0;
    frameChildren[i]!.inc(n);
  }
}

const dropChildren: Record<AuditDropKind, Child> = { allowed: auditDropped.labels('allowed'), violation: auditDropped.labels('violation') };
const siemChildren: Record<SiemResult, Child> = { sent: siem.labels('sent'), dropped: siem.labels('dropped'), error: siem.labels('error') };

export function countFrame(proto: ProtocolName, outcome: FrameOutcome, dir: FrameDir): void {
  frameCounts[frameIndex[proto][outcome][dir]]!++;
}

// Conduit names come from the policy (a small, bounded set), so children are cached per name.
const connChildren = new Map<string, Child>();
const openChildren = new Map<string, { inc(): void; dec(): void }>();

export function countConnection(conduit: string, result: ConnectionResult): void {
  const key = `${conduit}\u0000${result}`;
  let c = connChildren.get(key);
  if (c === undefined) connChildren.set(key, (c = connections.labels(conduit, result)));
  c.inc();
}

function openChild(conduit: string): { inc(): void; dec(): void } {
  let c = openChildren.get(conduit);
  if (c === undefined) openChildren.set(conduit, (c = connectionsOpen.labels(conduit)));
  return c;
}

export function connectionOpened(conduit: string): void {
  openChild(conduit).inc();
}

export function connectionClosed(conduit: string): void {
  openChild(conduit).dec();
}

export function countAuditDrop(kind: AuditDropKind, n = 1): void {
  dropChildren[kind].inc(n);
}

export function countAuditWritten(n: number): void {
  if (n > 0) auditWritten.inc(n);
}

export function countAuditFlushError(): void {
  auditFlushErrors.inc();
}

export function countAuditPruned(n: number): void {
  if (n > 0) auditPruned.inc(n);
}

export function countReload(result: ReloadResult): void {
  reloads.labels(result).inc();
}

let currentRelayState: string | null = null;

/** Enum-style gauge: the new state's series goes to 1, the previous one to 0. */
export function setRelayState(state: string): void {
  if (currentRelayState !== null && currentRelayState !== state) relayState.labels(currentRelayState).set(0);
  relayState.labels(state).set(1);
  currentRelayState = state;
}

export function countRelayTrip(cause: string): void {
  relayTrips.labels(cause).inc();
}

export function countSiem(result: SiemResult, n = 1): void {
  siemChildren[result].inc(n);
}

/** Prometheus text exposition of every otgate metric. */
export function metricsText(): Promise<string> {
  return registry.metrics();
}

export const METRICS_CONTENT_TYPE = registry.contentType;

/** For tests: one metric's current value for the given labels (0 when never set). */
export async function metricValue(name: string, labels: Readonly<Record<string, string>> = {}): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (m === undefined) throw new Error(`no metric ${name}`);
  const data = await m.get();
  const hit = data.values.find((v) => Object.entries(labels).every(([k, val]) => String((v.labels as Record<string, unknown>)[k]) === val));
  return hit?.value ?? 0;
}
