/**
 * Trip policy: violation → "isolate now" or nothing. Pure apart from its own sliding windows:
 * no timers, no I/O; the caller passes the time. Rules come from the policy's `relay.trip`
 * (rules/relay.ts). A rule matches a violation by conduit and by the *server* asset (the device
 * the frame was aimed at); then any of its triggers may fire:
 * - on_violation: isolate — the first matching deny or anomaly;
 * - denied_writes {count, within} — N denied write attempts inside a sliding window, per asset;
 * - anomalies [...] — an anomaly whose code, prefix or family is listed.
 * Violations that were only observed (monitor mode 'alerted', passive 'observed') trip only
 * rules that say `monitor: true`: a monitor-mode conduit promised not to act.
 */
import type { CompiledTripRule } from '../rules/relay';

/** The facts of one violation the trip policy needs (a structural subset of DecisionEvent). */
export interface TripFacts {
  readonly conduit: string | null;
  readonly serverAsset: string | null;
  readonly dir: 'request' | 'response';
  readonly verdict: 'allow' | 'deny' | null;
  readonly action: string;
  readonly reason: string | null;
  readonly anomaly: string | null;
  readonly summary: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

export interface TripDecision {
  /** e.g. "policy:chiller-writes:denied_writes". */
  readonly cause: string;
  readonly rule: string;
  readonly trigger: 'on_violation' | 'denied_writes' | 'anomaly';
  readonly detail: string;
}

export interface TripPolicyDeps {
  /** Is this asset marked `safety_critical` in the running policy? */
  readonly isSafetyCritical: (asset: string) => boolean;
  /** The family of an anomaly code, or null when unknown. */
  readonly familyOf: (code: string) => string | null;
}

/** Write-like Modbus function codes (MB-AP §6.5, 6.6, 6.11, 6.12, 6.14, 6.16, 6.17). */
const MODBUS_WRITE_FCS = new Set([5, 6, 15, 16, 21, 22, 23]);
/** Reasons that only a write can earn. */
const WRITE_REASONS = new Set(['modbus_value_out_of_range', 'opcua_value_out_of_range', 'mqtt_publish_not_allowed', 'mqtt_retain_not_allowed', 'mqtt_payload_too_large', 'mqtt_payload_invalid']);
/** OPC UA services that change the device (OPC 10000-4 §5.10.4 Write, §5.11.2 Call). */
const OPCUA_WRITE_SERVICES = new Set(['WriteRequest', 'CallRequest', 'AddNodesRequest', 'DeleteNodesRequest', 'AddReferencesRequest', 'DeleteReferencesRequest', 'HistoryUpdateRequest']);

/** A request that tried to change the device: Modbus write FCs, OPC UA Write/Call, MQTT PUBLISH. */
export function isWriteAttempt(f: TripFacts): boolean {
  if (f.dir !== 'request') return false;
  if (f.reason !== null && WRITE_REASONS.has(f.reason)) return true;
  const fc = f.fields.fc;
  if (typeof fc === 'number' && MODBUS_WRITE_FCS.has(fc)) return true;
  const op = f.fields.op;
  if (typeof op === 'string' && op.includes('write')) return true;
  const service = f.fields.service;
  if (typeof service === 'string' && OPCUA_WRITE_SERVICES.has(service)) return true;
  const cmd = f.fields.cmd ?? f.fields.packet;
  return cmd === 'publish';
}

/** Denied, or an anomaly: what the pipeline reports through env.violation. */
function isViolation(f: TripFacts): boolean {
  return f.verdict === 'deny' || f.anomaly !== null;
}

function onlyObserved(f: TripFacts): boolean {
  return f.action === 'alerted' || f.action === 'observed';
}

export class TripPolicy {
  /** Sliding windows of denied-write times, keyed by rule and asset; each holds at most `count` entries. */
  private readonly windows = new Map<string, number[]>();

  constructor(private rules: readonly CompiledTripRule[], private readonly deps: TripPolicyDeps) {}

  /** New rules (policy reload): windows of rules that no longer exist are dropped. */
  setRules(rules: readonly CompiledTripRule[]): void {
    this.rules = rules;
    const names = new Set(rules.map((r) => r.name));
    for (const k of this.windows.keys()) if (!names.has(k.slice(0, k.indexOf('\0')))) this.windows.delete(k);
  }

  /** Forget every window (after a trip or a restore: counting starts afresh). */
  reset(): void {
    this.windows.clear();
  }

  /** The first rule that fires for this violation, or null. `now` is ms (any monotonic base). */
  evaluate(f: TripFacts, now: number): TripDecision | null {
    if (!isViolation(f)) return null;
    for (const r of this.rules) {
      if (!this.matches(r, f)) continue;
      if (r.onViolation) return { cause: `policy:${r.name}:on_violation`, rule: r.name, trigger: 'on_violation', detail: describe(f) };
      if (r.anomalies !== null && f.anomaly !== null && this.anomalyListed(r, f.anomaly)) {
        return { cause: `policy:${r.name}:anomaly`, rule: r.name, trigger: 'anomaly', detail: `anomaly ${f.anomaly}: ${describe(f)}` };
      }
      if (r.deniedWrites !== null && f.verdict === 'deny' && isWriteAttempt(f)) {
        const n = this.countWrite(r, f.serverAsset ?? '', now);
        if (n >= r.deniedWrites.count) {
          this.windows.delete(key(r.name, f.serverAsset ?? ''));
          return {
            cause: `policy:${r.name}:denied_writes`,
            rule: r.name,
            trigger: 'denied_writes',
            detail: `${n} denied writes to ${f.serverAsset ?? 'an unknown asset'} within ${r.deniedWrites.withinMs / 1000} s; last: ${describe(f)}`,
          };
        }
      }
    }
    return null;
  }

  private matches(r: CompiledTripRule, f: TripFacts): boolean {
    if (onlyObserved(f) && !r.monitor) return false;
    if (r.conduits !== null && (f.conduit === null || !r.conduits.has(f.conduit))) return false;
    if (r.assets === null) return true;
    if (f.serverAsset === null) return false;
    return r.assets === 'safety_critical' ? this.deps.isSafetyCritical(f.serverAsset) : r.assets.has(f.serverAsset);
  }

  private anomalyListed(r: CompiledTripRule, code: string): boolean {
    const a = r.anomalies!;
    if (a.codes.has(code)) return true;
    for (const p of a.prefixes) if (code.startsWith(p)) return true;
    const fam = a.families.size > 0 ? this.deps.familyOf(code) : null;
    return fam !== null && a.families.has(fam);
  }

  /** Records one denied write; returns how many fall inside the window now. */
  private countWrite(r: CompiledTripRule, asset: string, now: number): number {
    const w = r.deniedWrites!;
    const k = key(r.name, asset);
    let times = this.windows.get(k);
    if (times === undefined) this.windows.set(k, (times = []));
    times.push(now);
    // Keep only the newest `count` entries: bounded memory whatever the attack rate.
    if (times.length > w.count) times.splice(0, times.length - w.count);
    const from = now - w.withinMs;
    let n = 0;
    for (const t of times) if (t > from) n++;
    return n;
  }
}

const key = (rule: string, asset: string): string => `${rule}\0${asset}`;

function describe(f: TripFacts): string {
  const what = f.verdict === 'deny' ? `denied ${f.reason ?? ''}` : `anomaly ${f.anomaly ?? ''}`;
  return `${what} on ${f.conduit ?? '-'} → ${f.serverAsset ?? '?'}: ${f.summary}`;
}
