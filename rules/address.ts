/**
 * IP address text → canonical text and bytes, and CIDR containment. Pure (no node:net): the
 * policy compares addresses as the kernel reports them, so every address is canonicalised once
 * at load time (RFC 5952 for IPv6; IPv4-mapped IPv6 "::ffff:a.b.c.d" becomes "a.b.c.d").
 */

/** 4 or 16 bytes, or null when the text is not an IP literal (no zone ids, no brackets). */
export function parseIp(text: string): Uint8Array | null {
  return text.includes(':') ? parseV6(text) : parseV4(text);
}

function parseV4(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    // Decimal only, no leading zeros (inet_aton would read "010" as octal).
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

function parseV6(text: string): Uint8Array | null {
  if (!/^[0-9A-Fa-f:.]+$/.test(text)) return null;
  const dbl = text.indexOf('::');
  if (dbl !== -1 && text.indexOf('::', dbl + 1) !== -1) return null;
  const words: number[] = [];
  const pushGroups = (s: string, allowV4Tail: boolean): boolean => {
    if (s === '') return true;
    const groups = s.split(':');
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (allowV4Tail && i === groups.length - 1 && g.includes('.')) {
        const v4 = parseV4(g);
        if (v4 === null) return false;
        words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
        continue;
      }
      if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return false;
      words.push(parseInt(g, 16));
    }
    return true;
  };
  let head: number[] = [];
  if (dbl === -1) {
    if (!pushGroups(text, true) || words.length !== 8) return null;
  } else {
    if (!pushGroups(text.slice(0, dbl), false)) return null;
    head = words.splice(0);
    if (!pushGroups(text.slice(dbl + 2), true)) return null;
    const fill = 8 - head.length - words.length;
    if (fill < 1) return null;
    words.unshift(...head, ...new Array<number>(fill).fill(0));
  }
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = words[i]! >> 8;
    out[2 * i + 1] = words[i]! & 0xff;
  }
  return out;
}

const isV4Mapped = (b: Uint8Array): boolean => b.length === 16 && b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;

/** Canonical text: dotted IPv4, IPv4-mapped IPv6 as IPv4, RFC 5952 §4 IPv6 (lowercase, longest zero run as ::). */
export function formatIp(b: Uint8Array): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  if (isV4Mapped(b)) return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((b[2 * i]! << 8) | b[2 * i + 1]!);
  // Longest run of ≥ 2 zero words (first on ties), RFC 5952 §4.2.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  if (best === -1) return hex(w);
  return `${hex(w.slice(0, best))}::${hex(w.slice(best + bestLen))}`;
}

/** Canonical form of an IP literal, or null. */
export function canonicalIp(text: string): string | null {
  const b = parseIp(text);
  return b === null ? null : formatIp(b);
}

export interface Cidr {
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

/** "a.b.c.d/n" or "v6/n"; host bits must be zero (a typo such as 10.10.0.1/24 is reported). */
export function parseCidr(text: string): { ok: true; cidr: Cidr } | { ok: false; why: string } {
  const slash = text.indexOf('/');
  if (slash === -1) return { ok: false, why: 'missing "/prefix"' };
  const bytes = parseIp(text.slice(0, slash));
  if (bytes === null) return { ok: false, why: `'${text.slice(0, slash)}' is not an IP address` };
  const pfx = text.slice(slash + 1);
  const max = bytes.length * 8;
  if (!/^[0-9]{1,3}$/.test(pfx) || Number(pfx) > max) return { ok: false, why: `prefix must be 0..${max}` };
  const prefix = Number(pfx);
  for (let bit = prefix; bit < max; bit++) {
    if ((bytes[bit >> 3]! >> (7 - (bit & 7))) & 1) return { ok: false, why: `host bits set (did you mean ${formatIp(maskTo(bytes, prefix))}/${prefix}?)` };
  }
  return { ok: true, cidr: { bytes, prefix } };
}

function maskTo(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (let bit = prefix; bit < out.length * 8; bit++) out[bit >> 3]! &= ~(1 << (7 - (bit & 7)));
  return out;
}

export function cidrContains(c: Cidr, ip: Uint8Array): boolean {
  let addr = ip;
  if (c.bytes.length === 4 && isV4Mapped(ip)) addr = ip.subarray(12);
  if (addr.length !== c.bytes.length) return false;
  for (let bit = 0; bit < c.prefix; bit++) {
    const m = 1 << (7 - (bit & 7));
    if ((addr[bit >> 3]! & m) !== (c.bytes[bit >> 3]! & m)) return false;
  }
  return true;
}
