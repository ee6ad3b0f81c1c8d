import fc from 'fast-check';
import { canonicalIp, cidrContains, parseCidr, parseIp } from '../../rules/address';
import { bitset, hasBit } from '../../rules/bitset';
import { containsRange, coverStart, firstValueOutside, intervalSet, maskWriteBounds, parseRange, writeSet, type Interval } from '../../rules/intervals';
import { parseListen } from '../../rules/listen';

const interval = fc.tuple(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 40 })).map(([lo, len]): Interval => [lo, lo + len]);

describe('interval sets agree with a naive scan', () => {
  test('containsRange(set, lo, hi) ⇔ every address lo..hi is in some listed interval', () => {
    fc.assert(
      fc.property(fc.array(interval, { maxLength: 12 }), fc.integer({ min: 0, max: 450 }), fc.integer({ min: 0, max: 60 }), (items, lo, len) => {
        const hi = lo + len;
        const naive = (a: number) => items.some(([l, h]) => a >= l && a <= h);
        let want = true;
        for (let a = lo; a <= hi; a++) if (!naive(a)) want = false;
        expect(containsRange(intervalSet(items), lo, hi)).toBe(want);
      }),
      { numRuns: 500 },
    );
  });

  test('merged sets are sorted, disjoint and non-adjacent', () => {
    fc.assert(
      fc.property(fc.array(interval, { maxLength: 12 }), (items) => {
        const s = intervalSet(items);
        for (let i = 1; i < s.starts.length; i++) expect(s.starts[i]!).toBeGreaterThan(s.ends[i - 1]! + 1);
      }),
      { numRuns: 200 },
    );
  });

  test('write sets: cover and envelope checks agree with a naive scan', () => {
    // Disjoint enveloped segments plus arbitrary plain ones (overlaps with envelopes are refused by the loader).
    const entry = fc.tuple(interval, fc.option(fc.tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 })), { nil: null }));
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 8 }), fc.integer({ min: 0, max: 450 }), fc.array(fc.integer({ min: 0, max: 120 }), { minLength: 1, maxLength: 30 }), (raw, lo, values) => {
        const entries: { lo: number; hi: number; envelope: { min: number; max: number; signed: boolean } | null }[] = [];
        for (const [[l, h], env] of raw) {
          const e = env === null ? null : { min: Math.min(...env), max: Math.max(...env), signed: false };
          if (entries.some((x) => l <= x.hi && x.lo <= h && (e !== null || x.envelope !== null))) continue;
          entries.push({ lo: l, hi: h, envelope: e });
        }
        const hi = lo + values.length - 1;
        const at = (a: number) => entries.filter((x) => a >= x.lo && a <= x.hi);
        let covered = true;
        for (let a = lo; a <= hi; a++) if (at(a).length === 0) covered = false;
        const set = writeSet(entries);
        const start = coverStart(set, lo, hi);
        expect(start >= 0).toBe(covered);
        if (!covered) return;
        let firstBad = -1;
        for (let i = 0; i < values.length && firstBad < 0; i++) {
          const env = at(lo + i).find((x) => x.envelope !== null)?.envelope;
          if (env && (values[i]! < env.min || values[i]! > env.max)) firstBad = i;
        }
        expect(firstValueOutside(set, start, lo, values)).toBe(firstBad);
      }),
      { numRuns: 500 },
    );
  });

  test('FC 22 bounds hold every possible result', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), fc.boolean(), (and, or, current, signed) => {
        const result = ((current & and) | (or & ~and)) & 0xffff;
        const v = signed && result & 0x8000 ? result - 0x10000 : result;
        const b = maskWriteBounds(and, or, signed);
        expect(v).toBeGreaterThanOrEqual(b.min);
        expect(v).toBeLessThanOrEqual(b.max);
      }),
      { numRuns: 500 },
    );
  });
});

describe('ranges, bitsets, addresses', () => {
  test('parseRange', () => {
    expect(parseRange('0-99', 65535)).toEqual([0, 99]);
    expect(parseRange('7', 255)).toEqual([7, 7]);
    expect(parseRange(7, 255)).toEqual([7, 7]);
    expect(parseRange('200-100', 65535)).toBeNull();
    expect(parseRange('0-256', 255)).toBeNull();
    expect(parseRange('1-2-3', 255)).toBeNull();
  });

  test('bitset membership', () => {
    const b = bitset(256, [0, 31, 32, 255]);
    expect([0, 1, 31, 32, 33, 255, 256, -1].map((x) => hasBit(b, x))).toEqual([true, false, true, true, false, true, false, false]);
  });

  test('canonical IP text', () => {
    expect(canonicalIp('FD00:0020:0000::0011')).toBe('fd00:20::11');
    expect(canonicalIp('::ffff:10.20.0.11')).toBe('10.20.0.11');
    expect(canonicalIp('::')).toBe('::');
    expect(canonicalIp('::1')).toBe('::1');
    expect(canonicalIp('1:0:0:1:0:0:0:1')).toBe('1:0:0:1::1');
    expect(canonicalIp('10.0.0.010')).toBeNull();
    expect(canonicalIp('1::2::3')).toBeNull();
    expect(canonicalIp('fe80::1%eth0')).toBeNull();
  });

  test('CIDR containment', () => {
    const c = parseCidr('10.10.0.0/24');
    expect(c.ok).toBe(true);
    if (!c.ok) return;
    expect(cidrContains(c.cidr, parseIp('10.10.0.200')!)).toBe(true);
    expect(cidrContains(c.cidr, parseIp('10.10.1.1')!)).toBe(false);
    expect(cidrContains(c.cidr, parseIp('::ffff:10.10.0.5')!)).toBe(true);
    expect(parseCidr('10.10.0.1/24')).toMatchObject({ ok: false, why: expect.stringContaining('10.10.0.0/24') });
  });

  test('listen addresses', () => {
    expect(parseListen('10.20.0.1:502')).toEqual({ ok: true, host: '10.20.0.1', port: 502 });
    expect(parseListen('[::1]:1502')).toEqual({ ok: true, host: '::1', port: 1502 });
    expect(parseListen('plc.local:502').ok).toBe(false);
    expect(parseListen('10.20.0.1:70000').ok).toBe(false);
    expect(parseListen('10.20.0.1').ok).toBe(false);
  });
});
