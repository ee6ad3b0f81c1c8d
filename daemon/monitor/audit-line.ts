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
 * A growable byte buffer that JSON lines are encoded into directly. Building each line as a
 * string and then encoding it cost more than decoding the capture (V8 flattens the
 * concatenated string before encoding); plain ASCII, which is nearly all of an audit line, is
 * copied byte by byte here, numbers are written digit by digit.
 */
export class LineBuffer {
  buf: Buffer;
  off = 0;

  constructor(size = 1 << 20) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** Make room for `n` more bytes (grows, never flushes: a line is never split). */
  room(n: number): void {
    if (this.off + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.off + n));
    this.buf.copy(next, 0, 0, this.off);
    this.buf = next;
  }

  byte(c: number): void {
    this.room(1);
    this.buf[this.off++] = c;
  }

  /** `s` as UTF-8. */
  utf8(s: string): void {
    this.room(s.length * 3);
    this.off += this.buf.write(s, this.off);
  }

  /** Pre-encoded bytes. */
  bytes(a: Uint8Array): void {
    const n = a.length;
    this.room(n);
    if (n > 24) {
      this.buf.set(a, this.off);
      this.off += n;
      return;
    }
    const b = this.buf;
    let o = this.off;
    for (let i = 0; i < n; i++) b[o++] = a[i]!;
    this.off = o;
  }

  /** `s` as it is (UTF-8): a byte loop while it is ASCII. */
  raw(s: string): void {
    const n = s.length;
    this.room(n);
    const b = this.buf;
    let o = this.off;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) {
        this.utf8(s);
        return;
      }
      b[o++] = c;
    }
    this.off = o;
  }

  /** `JSON.stringify(s)`. */
  str(s: string): void {
    const n = s.length;
    this.room(n + 2);
    const b = this.buf;
    let o = this.off;
    b[o++] = 0x22;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) {
        this.utf8(JSON.stringify(s)); // escapes, non-ASCII: JSON.stringify decides
        return;
      }
      b[o++] = c;
    }
    b[o++] = 0x22;
    this.off = o;
  }

  /** A number as JSON.stringify prints it. */
  num(v: number): void {
    if (Number.isSafeInteger(v)) {
      if (v < 0) {
        this.byte(0x2d);
        this.uint(-v);
      } else this.uint(v); // -0 prints as 0
    } else this.raw(Number.isFinite(v) ? `${v}` : 'null');
  }

  /** A non-negative safe integer, digits only. */
  uint(v: number): void {
    let len = 1;
    for (let t = v; t >= 10; t = Math.floor(t / 10)) len++;
    this.room(len);
    const b = this.buf;
    let p = this.off + len;
    this.off = p;
    while (v >= 10) {
      const q = Math.floor(v / 10);
      b[--p] = 0x30 + (v - q * 10);
      v = q;
    }
    b[--p] = 0x30 + v;
  }

  /** The bytes written so far, as text (tests and the string API). */
  text(from = 0): string {
    return this.buf.toString('utf8', from, this.off);
  }
}

/**
 * Text that repeats from line to line, built once: `,"src":…,"dir":"…","anomaly":` per flow and
 * direction, `,"key":` per protocol field name (null for a name that clashes with a common
 * field). Bounded: past the cap, entries are dropped and built again.
 */
const CACHE_MAX = 4096;
type Prefix = { src: string; dst: string; proto: string; text: Buffer };
/** By flow id, one map per direction (no key text built per line). */
const requestPrefixes = new Map<string, Prefix>();
const responsePrefixes = new Map<string, Prefix>();
const keyText = new Map<string, Buffer | null>();
/** Short string values (function names, tables, topics) as quoted UTF-8. */
const quoted = new Map<string, Buffer>();

function prefixOf(e: DecisionEvent): Buffer {
  // Addresses, flow ids, protocol names and directions are otgate's own (digits, letters, . : [ ] _ -): written as they are.
  const prefixes = e.dir === 'request' ? requestPrefixes : responsePrefixes;
  const hit = prefixes.get(e.flow);
  if (hit !== undefined && hit.src === e.src && hit.dst === e.dst && hit.proto === e.proto) return hit.text;
  const text = Buffer.from(`,"src":"${e.src}","dst":"${e.dst}","flow":"${e.flow}","proto":"${e.proto}","dir":"${e.dir}","anomaly":`);
  if (prefixes.size >= CACHE_MAX) prefixes.clear();
  prefixes.set(e.flow, { src: e.src, dst: e.dst, proto: e.proto, text });
  return text;
}

function keyOf(k: string): Buffer | null {
  let t = keyText.get(k);
  if (t !== undefined) return t;
  t = COMMON.has(k) ? null : Buffer.from(`,"${k}":`);
  if (keyText.size >= CACHE_MAX) keyText.clear();
  keyText.set(k, t);
  return t;
}

function strInto(v: string, out: LineBuffer): void {
  if (v.length > 48) return out.str(v);
  let q = quoted.get(v);
  if (q === undefined) {
    q = Buffer.from(JSON.stringify(v));
    if (quoted.size >= CACHE_MAX) quoted.clear();
    quoted.set(v, q);
  }
  out.bytes(q);
}

const scratch = new LineBuffer(1 << 12);

/**
 * `JSON.stringify(auditLine(e, withPolicy))`, byte for byte, built without the intermediate
 * object (see writeAuditJson).
 */
export function auditJson(e: DecisionEvent, withPolicy: boolean): string {
  scratch.off = 0;
  writeAuditJson(e, withPolicy, scratch);
  return scratch.text();
}

/**
 * Append `JSON.stringify(auditLine(e, withPolicy))` to `out` as UTF-8, byte for byte, without
 * building the object or the string: the offline audit's hot path (issue 8). Falls back to
 * the object when a protocol field needs rewriting (a Buffer, a name that clashes with a common
 * field) or has a value this writer does not handle (bigint).
 */
export function writeAuditJson(e: DecisionEvent, withPolicy: boolean, out: LineBuffer): void {
  const start = out.off;
  tsInto(e.ts, out);
  out.bytes(prefixOf(e));
  // Anomaly, verdict and reason codes are otgate's own: written as they are. Rule names are the user's.
  if (e.anomaly === null) out.bytes(NULL);
  else out.raw(`"${e.anomaly}"`);
  if (withPolicy) {
    if (e.verdict === null) out.bytes(VERDICT_NULL);
    else if (e.verdict === 'allow') out.bytes(VERDICT_ALLOW);
    else out.raw(`,"verdict":"${e.verdict}","rule":`);
    if (e.rule === null) out.bytes(NULL);
    else strInto(e.rule, out);
    if (e.reason === null) out.bytes(REASON_NULL);
    else out.raw(`,"reason":"${e.reason}"`);
  }
  const f = e.fields;
  for (const k in f) {
    const v = f[k];
    const kt = keyOf(k);
    if (kt === null) return fallback(e, withPolicy, out, start);
    switch (typeof v) {
      case 'number':
        out.bytes(kt);
        out.num(v);
        break;
      case 'string':
        out.bytes(kt);
        strInto(v, out);
        break;
      case 'boolean':
        out.bytes(kt);
        out.bytes(v ? TRUE : FALSE);
        break;
      case 'undefined':
      case 'function':
      case 'symbol':
        break; // JSON.stringify leaves these keys out
      case 'object':
        if (v === null) {
          out.bytes(kt);
          out.bytes(NULL);
        } else if (Buffer.isBuffer(v)) return fallback(e, withPolicy, out, start);
        else {
          out.bytes(kt);
          out.utf8(JSON.stringify(v));
        }
        break;
      default:
        return fallback(e, withPolicy, out, start); // bigint: let JSON.stringify decide, as before
    }
  }
  out.byte(0x7d);
}

function fallback(e: DecisionEvent, withPolicy: boolean, out: LineBuffer, start: number): void {
  out.off = start;
  out.utf8(JSON.stringify(auditLine(e, withPolicy)));
}

const NULL = Buffer.from('null');
const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const VERDICT_NULL = Buffer.from(',"verdict":null,"rule":');
const VERDICT_ALLOW = Buffer.from(',"verdict":"allow","rule":');
const REASON_NULL = Buffer.from(',"reason":null');
const ZEROS = ['', '0', '00', '000', '0000', '00000'].map((z) => Buffer.from(z));
/** `{"ts":<seconds>` for the last whole second seen: capture times advance slowly. */
let lastSec = -1;
let lastHead = Buffer.from('{"ts":');

/**
 * Capture time in epoch seconds with microseconds, as JSON.stringify prints
 * `Math.round(ms * 1000) / 1e6`: integer seconds, then the 6-digit fraction without trailing
 * zeros. Equal to the shortest round-trip form while the double spacing stays below 1 µs
 * (|t| < 2^33 s, until the year 2242); outside that, or for non-integers, the number itself.
 */
function tsInto(ms: number, out: LineBuffer): void {
  const us = Math.round(ms * 1000);
  if (!Number.isFinite(us)) return out.raw('{"ts":null');
  if (us < 0 || us >= 8.5e15) return out.raw(`{"ts":${us / 1e6}`);
  const sec = Math.floor(us / 1e6);
  let frac = us - sec * 1e6;
  if (sec !== lastSec) {
    lastSec = sec;
    lastHead = Buffer.from(`{"ts":${sec}`);
  }
  out.bytes(lastHead);
  if (frac === 0) return;
  let width = 6;
  while (frac % 10 === 0) {
    frac /= 10;
    width--;
  }
  out.byte(0x2e);
  let digits = 1;
  for (let t = frac; t >= 10; t = Math.floor(t / 10)) digits++;
  out.bytes(ZEROS[width - digits]!);
  out.uint(frac);
}

/** One human line for `otgate audit` without --json. */
export function humanLine(e: DecisionEvent, withPolicy: boolean): string {
  const t = new Date(e.ts).toISOString();
  const v = withPolicy ? ` ${e.verdict ?? '-'}${e.rule ? ` (${e.rule})` : ''}${e.reason ? ` ${e.reason}` : ''}` : '';
  const a = e.anomaly ? ` [${e.anomaly}]` : '';
  return `${t} ${e.flow} ${e.src} → ${e.dst} ${e.proto} ${e.dir}: ${e.summary}${a}${v}`;
}
