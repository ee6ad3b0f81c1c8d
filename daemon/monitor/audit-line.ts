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
 * `JSON.stringify(auditLine(e, withPolicy))`, byte for byte, built as text without the
 * intermediate object: the offline audit's hot path (issue 8). Falls back to the object when a
 * protocol field needs rewriting (a Buffer, a name that clashes with a common field) or has a
 * value this writer does not handle (bigint).
 */
export function auditJson(e: DecisionEvent, withPolicy: boolean): string {
  // Addresses, flow ids, protocol names, directions, verdicts, anomaly and reason codes are
  // otgate's own (digits, letters, . : [ ] _ -): quoted as they are. Rule names are the user's.
  let s = `{"ts":${tsText(e.ts)},"src":"${e.src}","dst":"${e.dst}","flow":"${e.flow}","proto":"${e.proto}","dir":"${e.dir}","anomaly":${e.anomaly === null ? 'null' : `"${e.anomaly}"`}`;
  if (withPolicy) s += `,"verdict":${e.verdict === null ? 'null' : `"${e.verdict}"`},"rule":${e.rule === null ? 'null' : JSON.stringify(e.rule)},"reason":${e.reason === null ? 'null' : `"${e.reason}"`}`;
  const f = e.fields;
  for (const k in f) {
    const v = f[k];
    switch (typeof v) {
      case 'number':
        s += `,"${k}":${Number.isFinite(v) ? v : 'null'}`;
        break;
      case 'string':
        s += `,"${k}":${JSON.stringify(v)}`;
        break;
      case 'boolean':
        s += v ? `,"${k}":true` : `,"${k}":false`;
        break;
      case 'undefined':
      case 'function':
      case 'symbol':
        break; // JSON.stringify leaves these keys out
      case 'object':
        if (v === null) s += `,"${k}":null`;
        else if (Buffer.isBuffer(v)) return JSON.stringify(auditLine(e, withPolicy));
        else s += `,"${k}":${JSON.stringify(v)}`;
        break;
      default:
        return JSON.stringify(auditLine(e, withPolicy)); // bigint: let JSON.stringify decide, as before
    }
    if (COMMON.has(k)) return JSON.stringify(auditLine(e, withPolicy));
  }
  return `${s}}`;
}

/**
 * Capture time in epoch seconds with microseconds, as JSON.stringify prints
 * `Math.round(ms * 1000) / 1e6`: integer seconds, then the 6-digit fraction without trailing
 * zeros. Equal to the shortest round-trip form while the double spacing stays below 1 µs
 * (|t| < 2^33 s, until the year 2242); outside that, or for non-integers, the number itself.
 */
function tsText(ms: number): string {
  const us = Math.round(ms * 1000);
  if (!Number.isFinite(us)) return 'null';
  if (us < 0 || us >= 8.5e15) return `${us / 1e6}`;
  const sec = Math.floor(us / 1e6);
  const frac = us - sec * 1e6;
  if (frac === 0) return `${sec}`;
  let d = `${frac}`.padStart(6, '0');
  while (d.charCodeAt(d.length - 1) === 48) d = d.slice(0, -1);
  return `${sec}.${d}`;
}

/** One human line for `otgate audit` without --json. */
export function humanLine(e: DecisionEvent, withPolicy: boolean): string {
  const t = new Date(e.ts).toISOString();
  const v = withPolicy ? ` ${e.verdict ?? '-'}${e.rule ? ` (${e.rule})` : ''}${e.reason ? ` ${e.reason}` : ''}` : '';
  const a = e.anomaly ? ` [${e.anomaly}]` : '';
  return `${t} ${e.flow} ${e.src} → ${e.dst} ${e.proto} ${e.dir}: ${e.summary}${a}${v}`;
}
