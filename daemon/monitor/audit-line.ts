/**
 * DecisionEvent → the stable JSON line of `otgate audit --json` (docs/audit-json.md).
 * Common fields first, in a fixed order, then the protocol's fields as its describe function
 * produced them. Buffers never reach the line (they would serialise as byte arrays): a field
 * holding one is written as lower-case hex.
 */
import type { DecisionEvent } from '../pipeline/contract';

export interface AuditLine {
  readonly ts: number;
  readonly src: string;
  readonly dst: string;
  readonly flow: string;
  readonly proto: string;
  readonly dir: 'request' | 'response';
  readonly anomaly: string | null;
  readonly verdict?: 'allow' | 'deny' | null;
  readonly rule?: string | null;
  readonly reason?: string | null;
  readonly [field: string]: unknown;
}

/** `withPolicy`: add verdict, rule and reason (present only when a policy was given). */
export function auditLine(e: DecisionEvent, withPolicy: boolean): AuditLine {
  const line: Record<string, unknown> = {
    ts: Math.round(e.ts * 1000) / 1e6, // capture time, epoch seconds with microseconds
    src: e.src,
    dst: e.dst,
    flow: e.flow,
    proto: e.proto,
    dir: e.dir,
    anomaly: e.anomaly,
  };
  if (withPolicy) {
    line.verdict = e.verdict;
    line.rule = e.rule;
    line.reason = e.reason;
  }
  for (const [k, v] of Object.entries(e.fields)) {
    if (k in line) continue; // common fields are never overridden by protocol fields
    line[k] = Buffer.isBuffer(v) ? v.toString('hex') : v;
  }
  return line as AuditLine;
}

const COMMON = new Set(['ts', 'src', 'dst', 'flow', 'proto', 'dir', 'anomaly', 'verdict', 'rule', 'reason']);

/**
 * `JSON.stringify(auditLine(e, withPolicy))`, built as text without the intermediate object:
 * the offline audit's hot path. Falls back to the object when a protocol field would need
 * rewriting (a Buffer, or a name that clashes with a common field).
 */
export function auditJson(e: DecisionEvent, withPolicy: boolean): string {
  const f = e.fields;
  for (const k in f) {
    const v = f[k];
    if (COMMON.has(k) || (typeof v === 'object' && v !== null && Buffer.isBuffer(v))) return JSON.stringify(auditLine(e, withPolicy));
  }
  const ts = Math.round(e.ts * 1000) / 1e6;
  let s = `{"ts":${Number.isFinite(ts) ? ts : 'null'},"src":${JSON.stringify(e.src)},"dst":${JSON.stringify(e.dst)},"flow":${JSON.stringify(e.flow)},"proto":${JSON.stringify(e.proto)},"dir":${JSON.stringify(e.dir)},"anomaly":${e.anomaly === null ? 'null' : JSON.stringify(e.anomaly)}`;
  if (withPolicy) s += `,"verdict":${e.verdict === null ? 'null' : JSON.stringify(e.verdict)},"rule":${e.rule === null ? 'null' : JSON.stringify(e.rule)},"reason":${e.reason === null ? 'null' : JSON.stringify(e.reason)}`;
  const rest = JSON.stringify(f);
  return rest.length > 2 ? `${s},${rest.slice(1)}` : `${s}}`;
}

/** One human line for `otgate audit` without --json. */
export function humanLine(e: DecisionEvent, withPolicy: boolean): string {
  const t = new Date(e.ts).toISOString();
  const v = withPolicy ? ` ${e.verdict ?? '-'}${e.rule ? ` (${e.rule})` : ''}${e.reason ? ` ${e.reason}` : ''}` : '';
  const a = e.anomaly ? ` [${e.anomaly}]` : '';
  return `${t} ${e.flow} ${e.src} → ${e.dst} ${e.proto} ${e.dir}: ${e.summary}${a}${v}`;
}
