/**
 * Address sets for the data path: sorted, merged, inclusive intervals in frozen arrays;
 * containment of a whole request range by one binary search (O(log n) in the number of
 * intervals, nothing allocated).
 */

/** Inclusive interval [lo, hi]. */
export type Interval = readonly [number, number];

export interface IntervalSet {
  readonly starts: readonly number[];
  readonly ends: readonly number[];
}

/** Sort, then merge overlapping and adjacent intervals ([0-9] + [10-19] → [0-19]). */
export function intervalSet(items: readonly Interval[]): IntervalSet {
  const sorted = [...items].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const starts: number[] = [];
  const ends: number[] = [];
  for (const [lo, hi] of sorted) {
    const last = ends.length - 1;
    if (last >= 0 && lo <= ends[last]! + 1) {
      if (hi > ends[last]!) ends[last] = hi;
    } else {
      starts.push(lo);
      ends.push(hi);
    }
  }
  return Object.freeze({ starts: Object.freeze(starts), ends: Object.freeze(ends) });
}

/** Index of the last interval starting at or before `x`, or -1. */
export function floorIndex(starts: readonly number[], x: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (starts[mid]! <= x) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** True when every address lo..hi lies in the set (merged, so one interval must hold it all). */
export function containsRange(set: IntervalSet, lo: number, hi: number): boolean {
  const i = floorIndex(set.starts, lo);
  return i >= 0 && set.ends[i]! >= hi;
}

/** Limits on written values (inclusive), compared as uint16 or, when signed, as int16. */
export interface Envelope {
  readonly min: number;
  readonly max: number;
  readonly signed: boolean;
}

/**
 * Writable addresses: disjoint sorted segments, each with its value envelope or null (any value).
 * Plain segments are merged like an IntervalSet; enveloped segments stay whole (the loader
 * refuses an enveloped entry that overlaps another entry of the same table and rule).
 */
export interface WriteSet {
  readonly starts: readonly number[];
  readonly ends: readonly number[];
  readonly envelopes: readonly (Envelope | null)[];
}

export interface WriteEntry {
  readonly lo: number;
  readonly hi: number;
  readonly envelope: Envelope | null;
}

export function writeSet(entries: readonly WriteEntry[]): WriteSet {
  const sorted = [...entries].sort((a, b) => a.lo - b.lo || a.hi - b.hi);
  const starts: number[] = [];
  const ends: number[] = [];
  const envelopes: (Envelope | null)[] = [];
  for (const e of sorted) {
    const last = ends.length - 1;
    if (e.envelope === null && last >= 0 && envelopes[last] === null && e.lo <= ends[last]! + 1) {
      if (e.hi > ends[last]!) ends[last] = e.hi;
      continue;
    }
    starts.push(e.lo);
    ends.push(e.hi);
    envelopes.push(e.envelope === null ? null : Object.freeze({ ...e.envelope }));
  }
  return Object.freeze({ starts: Object.freeze(starts), ends: Object.freeze(ends), envelopes: Object.freeze(envelopes) });
}

/** Index of the segment where the contiguous cover of lo..hi starts, or -1 when lo..hi is not fully covered. */
export function coverStart(set: WriteSet, lo: number, hi: number): number {
  const first = floorIndex(set.starts, lo);
  if (first < 0 || set.ends[first]! < lo) return -1;
  let i = first;
  while (set.ends[i]! < hi) {
    const next = i + 1;
    if (next >= set.starts.length || set.starts[next] !== set.ends[i]! + 1) return -1;
    i = next;
  }
  return first;
}

export const asSigned16 = (w: number): number => (w & 0x8000 ? (w & 0xffff) - 0x10000 : w & 0xffff);

export function inEnvelope(env: Envelope, word: number): boolean {
  const v = env.signed ? asSigned16(word) : word;
  return v >= env.min && v <= env.max;
}

/**
 * Index of the first value (address lo + i) outside its segment's envelope, or -1 when all fit.
 * `start` is coverStart(set, lo, hi).
 */
export function firstValueOutside(set: WriteSet, start: number, lo: number, values: readonly number[]): number {
  let seg = start;
  for (let i = 0; i < values.length; i++) {
    const addr = lo + i;
    while (set.ends[seg]! < addr) seg++;
    const env = set.envelopes[seg];
    if (env !== null && env !== undefined && !inEnvelope(env, values[i]!)) return i;
  }
  return -1;
}

/**
 * The values FC 22 (MB-AP §6.16) can produce: result = (current AND and) OR (or AND NOT and).
 * Bits outside `and` are fixed (base); bits inside come from the unknown current value, so every
 * result lies in base..base|and, and in one sign class unless `and` holds bit 15.
 */
export function maskWriteBounds(andMask: number, orMask: number, signed: boolean): { min: number; max: number } {
  const base = orMask & ~andMask & 0xffff;
  const top = (base | andMask) & 0xffff;
  if (!signed) return { min: base, max: top };
  if (andMask & 0x8000) return { min: asSigned16(base | 0x8000), max: asSigned16(top & 0x7fff) };
  return { min: asSigned16(base), max: asSigned16(top) };
}

/** "a-b" / "a" / a → [lo, hi], or null when malformed, out of 0..max, or reversed ("200-100"). */
export function parseRange(v: number | string, max: number): Interval | null {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 && v <= max ? [v, v] : null;
  const m = /^([0-9]{1,6})(?:-([0-9]{1,6}))?$/.exec(v);
  if (m === null) return null;
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  return lo <= hi && hi <= max ? [lo, hi] : null;
}
