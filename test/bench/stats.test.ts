/**
 * bench/lib/stats.ts: the histogram every latency figure in BENCHMARKS.md comes from. Its bin
 * edges decide how finely an added latency can be told apart, so they are pinned here.
 */
import { BINS, Histogram, summarize } from '../../bench/lib/stats';

/** The value a single sample of `us` microseconds reads back as: the middle of its bin. */
function one(us: number): number {
  const h = new Histogram();
  h.add(us * 1000);
  return h.quantile(0.5);
}

describe('bench Histogram', () => {
  test('0.1 µs bins below 1 ms, 1 µs to 50 ms, 10 µs to 1 s, then one overflow bin', () => {
    expect(one(0)).toBe(0.05);
    expect(one(999.96)).toBeCloseTo(999.95, 6);
    expect(one(1000)).toBe(1000.5);
    expect(one(1095.7)).toBe(1095.5);
    expect(one(49_999.2)).toBe(49_999.5);
    expect(one(50_000)).toBe(50_005);
    expect(one(999_999)).toBe(999_995);
    const over = new Histogram();
    over.add(5e9);
    expect(over.counts[BINS - 1]).toBe(1);
  });

  test('quantiles of merged sparse histograms equal those of one histogram of every sample', () => {
    const all = new Histogram();
    const parts = [new Histogram(), new Histogram(), new Histogram()];
    for (let i = 0; i < 30_000; i++) {
      const us = 20 + ((i * 7919) % 4000) + (i % 3) * 0.3; // spans the 1 ms edge
      all.add(us * 1000);
      parts[i % 3]!.add(us * 1000);
    }
    const merged = new Histogram();
    for (const p of parts) merged.merge(p.sparse());
    expect(merged.n).toBe(30_000);
    expect(summarize(merged)).toEqual(summarize(all));
    expect(all.quantile(0.5)).toBeGreaterThan(1000); // the median lies in the 1 µs bins
    expect(Number.isInteger(all.quantile(0.5) - 0.5)).toBe(true);
  });
});
