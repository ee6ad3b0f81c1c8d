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
 * concatenated string before encoding); pre-encoded pieces are copied in with one
 * `TypedArray.set` (a memmove: ~20 ns whatever the length, where a JS byte loop costs
 * ~1.5 ns a byte), numbers are written digit by digit.
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

  /** Pre-encoded bytes: whole arrays only (a view costs an allocation; see HeadCache runs). */
  bytes(a: Uint8Array): void {
    const n = a.length;
    this.room(n);
    if (n > 8) {
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
    this.room(16);
    const b = this.buf;
    const o = this.off;
    if (v < 10) {
      b[o] = 0x30 + v;
      this.off = o + 1;
      return;
    }
    if (v < 100) {
      const q = (v / 10) | 0;
      b[o] = 0x30 + q;
      b[o + 1] = 0x30 + v - q * 10;
      this.off = o + 2;
      return;
    }
    let len = 3;
    for (let t = v; t >= 1000; t = Math.floor(t / 10)) len++;
    let p = o + len;
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

const CACHE_MAX = 4096;
/** `,"key":` per protocol field name (null for a name that clashes with a common field). */
const keyText = new Map<string, Buffer | null>();
/** Short string values (function names, tables, topics) as quoted UTF-8. */
const quoted = new Map<string, Buffer>();

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

/**
 * What repeats from line to line on one flow and direction, kept to be copied instead of
 * encoded again:
 * - `lead`: `,"src":…,"dir":"…","anomaly":…` and, with a policy, verdict, rule and reason, for
 *   the last anomaly/verdict/rule/reason seen (nearly every PDU of a flow has the same);
 * - `tpls`: a few templates, each the protocol fields of an earlier line as written, with each
 *   field's name, value and place in it (Slot). A field whose name and primitive value equal
 *   its slot's is written by copying the slot's bytes (JSON.stringify prints equal primitives
 *   alike); a run of such fields goes out as one copy. Numbers that change (transaction ids,
 *   addresses) are simply written afresh; a field whose name or text differs from the
 *   template's switches to another template that has it (FC 3 and FC 6 lines interleave),
 *   or, when none has, the line becomes a template (at most TPL_MAX per head).
 * Bounded: past CACHE_MAX flows per direction the map is dropped and built again.
 */
interface Head {
  readonly src: string;
  readonly dst: string;
  readonly proto: string;
  /** `,"src":"…","dst":"…","flow":"…","proto":"…","dir":"…","anomaly":` */
  readonly prefix: Buffer;
  withPolicy: boolean;
  anomaly: string | null;
  verdict: string | null;
  rule: string | null;
  reason: string | null;
  lead: Buffer;
  readonly tpls: Tpl[];
  lines: number;
  builds: number;
  /** Field name → how often its text value missed every template (a topic that keeps changing). */
  churn: Map<string, number> | null;
}

interface Tpl {
  readonly bytes: Buffer;
  readonly slots: readonly Slot[];
}

interface Slot {
  readonly key: string;
  /** `,"key":` (never null: templates are built only from lines without clashing names). */
  readonly kt: Buffer;
  /** The primitive value the template holds; NEVER for values that are always written afresh. */
  readonly val: unknown;
  /** The slot's bytes in the template: [start, end). */
  readonly start: number;
  readonly end: number;
  /** Runs of reused slots that start here, as views of the template: runs[last slot - this one]. */
  runs: (Uint8Array | undefined)[] | null;
}

const NEVER = Symbol('written afresh');
const TPL_MAX = 4;
/** Misses before a field's text value stops being kept in templates. */
const CHURN_MAX = 4;
const NO_TPL: Tpl = Object.freeze({ bytes: Buffer.alloc(0), slots: [] });
/** By flow id, one map per direction (no key text built per line). */
const requestHeads = new Map<string, Head>();
const responseHeads = new Map<string, Head>();
/** Offsets of the slots of the line being written, relative to the start of its fields. */
let pos = new Int32Array(64);
/** Names of the fields of the line being written whose text value no template had: [0, nMissed). */
const missedKeys: string[] = [];
let nMissed = 0;
const statusScratch = new LineBuffer(1 << 10);

function headOf(e: DecisionEvent): Head {
  // Addresses, flow ids, protocol names and directions are otgate's own (digits, letters, . : [ ] _ -): written as they are.
  const heads = e.dir === 'request' ? requestHeads : responseHeads;
  const hit = heads.get(e.flow);
  if (hit !== undefined && hit.src === e.src && hit.dst === e.dst && hit.proto === e.proto) return hit;
  const prefix = Buffer.from(`,"src":"${e.src}","dst":"${e.dst}","flow":"${e.flow}","proto":"${e.proto}","dir":"${e.dir}","anomaly":`);
  const h: Head = {
    src: e.src, dst: e.dst, proto: e.proto, prefix,
    withPolicy: false, anomaly: null, verdict: null, rule: null, reason: null, lead: prefix,
    tpls: [], lines: 0, builds: 0, churn: null,
  };
  h.lead = leadOf(h, e, false);
  if (heads.size >= CACHE_MAX) heads.clear();
  heads.set(e.flow, h);
  return h;
}

/** The head's `lead` for this event's anomaly, verdict, rule and reason (rebuilt when they changed). */
function leadFor(h: Head, e: DecisionEvent, withPolicy: boolean): Buffer {
  if (h.anomaly === e.anomaly && h.withPolicy === withPolicy && (!withPolicy || (h.verdict === e.verdict && h.rule === e.rule && h.reason === e.reason))) return h.lead;
  return (h.lead = leadOf(h, e, withPolicy));
}

function leadOf(h: Head, e: DecisionEvent, withPolicy: boolean): Buffer {
  h.anomaly = e.anomaly;
  h.withPolicy = withPolicy;
  h.verdict = e.verdict;
  h.rule = e.rule;
  h.reason = e.reason;
  const out = statusScratch;
  out.off = 0;
  out.bytes(h.prefix);
  // Anomaly, verdict and reason codes are otgate's own: written as they are. Rule names are the user's.
  if (e.anomaly === null) out.bytes(NULL);
  else out.raw(`"${e.anomaly}"`);
  if (withPolicy) {
    if (e.verdict === null) out.bytes(VERDICT_NULL);
    else out.raw(`,"verdict":"${e.verdict}","rule":`);
    if (e.rule === null) out.bytes(NULL);
    else strInto(e.rule, out);
    if (e.reason === null) out.bytes(REASON_NULL);
    else out.raw(`,"reason":"${e.reason}"`);
  }
  return Buffer.from(out.buf.subarray(0, out.off));
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
  const h = headOf(e);
  out.bytes(leadFor(h, e, withPolicy));
  if (!fieldsInto(h, e.fields, out)) {
    out.off = start;
    out.utf8(JSON.stringify(auditLine(e, withPolicy)));
    return;
  }
  out.byte(0x7d);
}

/** True when slot `s` can give `v`'s bytes, or `v` is a number (changed numbers are expected). */
const serves = (s: Slot, v: unknown): boolean => s.val === v || s.val === NEVER || typeof v === 'number' || (typeof v === 'object' && v !== null);

/** The protocol fields, reusing the head's templates where name and value repeat; false: use the fallback. */
function fieldsInto(h: Head, f: Readonly<Record<string, unknown>>, out: LineBuffer): boolean {
  const tpls = h.tpls;
  let t = tpls.length > 0 ? tpls[0]! : NO_TPL;
  let slots = t.slots;
  const base = out.off;
  let i = 0;
  let runFrom = -1;
  let missed = false;
  nMissed = 0;
  for (const k in f) {
    const v = f[k];
    let s: Slot | undefined = slots[i];
    if (s !== undefined && s.key === k && s.val === v) {
      if (runFrom < 0) runFrom = i;
      i++;
      continue;
    }
    if (s === undefined || s.key !== k || !serves(s, v)) {
      const alt = altFor(tpls, t, i, k, v);
      if (alt !== null) {
        if (runFrom >= 0) {
          runInto(t, runFrom, i - 1, out, base);
          runFrom = -1;
        }
        t = alt;
        slots = t.slots;
        s = slots[i]!;
      } else {
        missed = true;
        if (s !== undefined && s.key === k) missedKeys[nMissed++] = k;
        else s = undefined;
      }
    }
    if (s !== undefined && s.val === v) {
      if (runFrom < 0) runFrom = i;
      i++;
      continue;
    }
    if (runFrom >= 0) {
      runInto(t, runFrom, i - 1, out, base);
      runFrom = -1;
    }
    if (i >= pos.length) {
      const next = new Int32Array(pos.length * 2);
      next.set(pos);
      pos = next;
    }
    pos[i] = out.off - base;
    const kt = s !== undefined ? s.kt : keyOf(k);
    if (kt === null || !valueInto(kt, v, out)) return false;
    i++;
  }
  if (runFrom >= 0) runInto(t, runFrom, i - 1, out, base);
  h.lines++;
  // A head whose lines keep missing stops building (bounded work whatever the traffic).
  if (missed && (h.builds < 16 || h.builds * 4 < h.lines)) build(h, f, out, base, i);
  return true;
}

/** Another template whose slot `i` serves field `k` = `v` (one holding `v` itself first), or null. */
function altFor(tpls: readonly Tpl[], cur: Tpl, i: number, k: string, v: unknown): Tpl | null {
  let fallback: Tpl | null = null;
  for (let j = 0; j < tpls.length; j++) {
    const u = tpls[j]!;
    if (u === cur) continue;
    const s = u.slots[i];
    if (s === undefined || s.key !== k) continue;
    if (s.val === v) return u;
    if (fallback === null && serves(s, v)) fallback = u;
  }
  return fallback;
}

/** Copy slots a..b of template `t` (one view per run, kept on slot a: runs[b - a]). */
function runInto(t: Tpl, a: number, b: number, out: LineBuffer, base: number): void {
  const slots = t.slots;
  const s = slots[a]!;
  let runs = s.runs;
  if (runs === null) runs = s.runs = [];
  let run = runs[b - a];
  if (run === undefined) run = runs[b - a] = t.bytes.subarray(s.start, slots[b]!.end);
  const shift = out.off - base - s.start;
  for (let j = a; j <= b; j++) pos[j] = slots[j]!.start + shift;
  out.bytes(run);
}

/**
 * Make the line just written (`count` fields at out.buf[base, out.off)) a template of the
 * head, in place of the newest one when TPL_MAX are kept. A field whose text kept missing
 * every template (an MQTT topic, say) is held as NEVER: written afresh, never a miss.
 */
function build(h: Head, f: Readonly<Record<string, unknown>>, out: LineBuffer, base: number, count: number): void {
  let churn = h.churn;
  for (let j = 0; j < nMissed; j++) {
    const k = missedKeys[j]!;
    churn ??= h.churn = new Map();
    churn.set(k, (churn.get(k) ?? 0) + 1);
  }
  const end = out.off - base;
  const slots: Slot[] = [];
  let i = 0;
  for (const key in f) {
    const v = f[key];
    const t = typeof v;
    const never = t === 'function' || t === 'symbol' || (t === 'object' && v !== null) || (churn !== null && (churn.get(key) ?? 0) >= CHURN_MAX);
    slots.push({ key, kt: keyOf(key)!, val: never ? NEVER : v, start: pos[i]!, end: i + 1 < count ? pos[i + 1]! : end, runs: null });
    i++;
  }
  const t: Tpl = { bytes: Buffer.from(out.buf.subarray(base, out.off)), slots };
  if (h.tpls.length < TPL_MAX) h.tpls.push(t);
  else h.tpls[TPL_MAX - 1] = t;
  h.builds++;
}

/** `,"key":value` for one field (nothing for values JSON.stringify leaves out); false: use the fallback. */
function valueInto(kt: Buffer, v: unknown, out: LineBuffer): boolean {
  switch (typeof v) {
    case 'number':
      out.bytes(kt);
      out.num(v);
      return true;
    case 'string':
      out.bytes(kt);
      strInto(v, out);
      return true;
    case 'boolean':
      out.bytes(kt);
      out.bytes(v ? TRUE : FALSE);
      return true;
    case 'undefined':
    case 'function':
    case 'symbol':
      return true; // JSON.stringify leaves these keys out
    case 'object':
      if (v === null) {
        out.bytes(kt);
        out.bytes(NULL);
        return true;
      }
      if (Buffer.isBuffer(v)) return false;
      out.bytes(kt);
      if (!intArrayInto(v, out)) out.utf8(JSON.stringify(v));
      return true;
    default:
      return false; // bigint: let JSON.stringify decide, as before
  }
}

/** `JSON.stringify(v)` for a plain array of safe integers (register values); false for anything else. */
function intArrayInto(v: object, out: LineBuffer): boolean {
  if (!Array.isArray(v) || (v as { toJSON?: unknown }).toJSON !== undefined) return false;
  const start = out.off;
  out.byte(0x5b);
  for (let i = 0; i < v.length; i++) {
    const x: unknown = v[i];
    if (typeof x !== 'number' || !Number.isSafeInteger(x)) {
      out.off = start;
      return false;
    }
    if (i > 0) out.byte(0x2c);
    out.num(x);
  }
  out.byte(0x5d);
  return true;
}

const NULL = Buffer.from('null');
const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const VERDICT_NULL = Buffer.from(',"verdict":null,"rule":');
const REASON_NULL = Buffer.from(',"reason":null');
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
  // ".dddddd", then the trailing zeros taken off again.
  out.room(7);
  const b = out.buf;
  let o = out.off;
  b[o] = 0x2e;
  for (let i = 6; i > 0; i--) {
    const q = (frac / 10) | 0;
    b[o + i] = 0x30 + frac - q * 10;
    frac = q;
  }
  o += 7;
  while (b[o - 1] === 0x30) o--;
  out.off = o;
}

/** One human line for `otgate audit` without --json. */
export function humanLine(e: DecisionEvent, withPolicy: boolean): string {
  const t = new Date(e.ts).toISOString();
  const v = withPolicy ? ` ${e.verdict ?? '-'}${e.rule ? ` (${e.rule})` : ''}${e.reason ? ` ${e.reason}` : ''}` : '';
  const a = e.anomaly ? ` [${e.anomaly}]` : '';
  return `${t} ${e.flow} ${e.src} → ${e.dst} ${e.proto} ${e.dir}: ${e.summary}${a}${v}`;
}
