/** Small frozen bitsets (unit ids, function codes): one array read and a shift per test. */
export type Bitset = readonly number[];

export function bitset(size: number, members: Iterable<number>): Bitset {
  const words = new Array<number>(Math.ceil(size / 32)).fill(0);
  for (const m of members) {
    if (m >= 0 && m < size) words[m >>> 5] = (words[m >>> 5]! | (1 << (m & 31))) >>> 0;
  }
  return Object.freeze(words);
}

export function hasBit(set: Bitset, m: number): boolean {
  const w = set[m >>> 5];
  return w !== undefined && m >= 0 && ((w >>> (m & 31)) & 1) === 1;
}

export function bitMembers(set: Bitset): number[] {
  const out: number[] = [];
  for (let i = 0; i < set.length * 32; i++) if (hasBit(set, i)) out.push(i);
  return out;
}
