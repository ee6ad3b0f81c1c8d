/**
 * Latency histograms that merge across processes and rounds: 0.1 µs bins up to 1 ms, 1 µs bins
 * up to 50 ms, then 10 µs bins up to 1 s, one overflow bin. Sent between processes as sparse
 * [bin, count] pairs. 1 µs from 1 ms on: at 64 clients a p50 is ~1.1 ms and the plain relay adds
 * only +20 to +50 µs to it, so 10 µs bins there made the budget's ratio of added latencies
 * move in steps of ×0.2–×0.5.
 */
const FINE = 10_000; // 0.1 µs × 10,000 = 1 ms
const MID = 49_000; // 1 µs bins from 1 ms to 50 ms
const COARSE = 95_000; // 10 µs bins from 50 ms to 1 s
export const BINS = FINE + MID + COARSE + 1;

export class Histogram {
  readonly counts = new Uint32Array(BINS);
  n = 0;

  /** Record one latency in nanoseconds. */
  add(ns: number): void {
    const us = ns / 1000;
    const bin = us < 1000 ? Math.floor(us * 10)
      : us < 50_000 ? FINE + Math.floor(us - 1000)
      : Math.min(BINS - 1, FINE + MID + Math.floor((us - 50_000) / 10));
    this.counts[bin]!++;
    this.n++;
  }

  merge(sparse: readonly (readonly [number, number])[]): this {
    for (const [b, c] of sparse) {
      this.counts[b]! += c;
      this.n += c;
    }
    return this;
  }

  sparse(): [number, number][] {
    const out: [number, number][] = [];
    for (let b = 0; b < BINS; b++) if (this.counts[b]! > 0) out.push([b, this.counts[b]!]);
    return out;
  }

  /** Latency (µs) at quantile q in [0, 1]. */
  quantile(q: number): number {
    if (this.n === 0) return NaN;
    const target = Math.max(1, Math.ceil(q * this.n));
    let seen = 0;
    for (let b = 0; b < BINS; b++) {
      seen += this.counts[b]!;
      if (seen >= target) return binMid(b);
    }
    return Infinity;
  }
}

/** Middle of bin b in µs (the overflow bin reads as 1 s). */
function binMid(b: number): number {
  if (b < FINE) return (b + 0.5) / 10;
  if (b < FINE + MID) return 1000 + (b - FINE) + 0.5;
  return 50_000 + (b - FINE - MID + 0.5) * 10;
}

export interface LatencySummary {
  readonly n: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
}

export const summarize = (h: Histogram): LatencySummary => ({ n: h.n, p50: h.quantile(0.5), p99: h.quantile(0.99), p999: h.quantile(0.999) });

export const median = (xs: readonly number[]): number => {
  const s = [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export const round = (x: number, digits = 1): number => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x);

export const ratio = (a: number, b: number): number => (b > 0 && Number.isFinite(a) ? round(a / b, 2) : NaN);

/** Median and range of a set of per-round figures (NaN entries ignored): the noise of a ratio. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export const spread = (xs: readonly number[]): Spread => {
  const s = xs.filter((x) => Number.isFinite(x));
  if (s.length === 0) return { median: NaN, min: NaN, max: NaN };
  return { median: round(median(s), 2), min: round(Math.min(...s), 2), max: round(Math.max(...s), 2) };
};

export const fmtSpread = (s: Spread): string => (Number.isFinite(s.median) ? `×${s.median} (${s.min}–${s.max})` : '-');
