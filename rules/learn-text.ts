/** Small pure helpers of `otgate learn`: range merging, zone guesses, names, YAML text. */

/** Sort and merge touching or overlapping inclusive ranges ([0-9] + [10-19] → [0-19]); never widens across a hole. */
export function mergeRanges(items: readonly (readonly [number, number])[]): [number, number][] {
  const sorted = [...items].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

export function zoneOf(ip: string): { name: string; cidr: string } {
  if (!ip.includes(':')) {
    const [a, b, c] = ip.split('.');
    return { name: `net-${a}-${b}-${c}`, cidr: `${a}.${b}.${c}.0/24` };
  }
  const groups = expand6(ip).slice(0, 4);
  return { name: `net6-${groups.join('-')}`, cidr: `${groups.join(':')}::/64` };
}

export function expand6(ip: string): string[] {
  const [head, tail] = ip.split('::') as [string, string | undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? [] : new Array<string>(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((g) => g.replace(/^0+(?=.)/, ''));
}

export const dashed = (ip: string): string => ip.replace(/[.:]/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '');
export const truncName = (n: string): string => (n.length <= 64 ? n : n.slice(0, 64));
export const q = (s: string): string => JSON.stringify(s);
export const iso = (ms: number): string => (Number.isFinite(ms) ? new Date(ms).toISOString() : '-');
export const num = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) ? v : null);

export function ipOrder(a: string, b: string): number {
  const pa = a.includes(':') ? [1e6] : a.split('.').map(Number);
  const pb = b.includes(':') ? [1e6] : b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.localeCompare(b);
}

export function getOr<K, V>(m: Map<K, V>, k: K, make: () => V): V {
  let v = m.get(k);
  if (v === undefined) m.set(k, (v = make()));
  return v;
}
