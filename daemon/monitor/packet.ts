/**
 * Link → IP → TCP header decoding for captured frames: a lean decoder of our own (not pcap's
 * object decoders) because the audit path must read captures far faster than tshark, and we only
 * need addresses, ports, sequence numbers, flags and the payload. Pure; never throws on input.
 *
 * References: tcpdump.org link-layer header types (LINKTYPE_*), RFC 791 (IPv4), RFC 8200 (IPv6),
 * RFC 9293 §3.1 (TCP header).
 */
import { formatIp } from '../../rules/address';

/** LINKTYPE_* numbers (https://www.tcpdump.org/linktypes.html) we decode. */
export const LinkType = Object.freeze({
  NULL: 0, // BSD loopback: 4-byte address family in host byte order
  ETHERNET: 1,
  RAW: 101, // raw IPv4/IPv6 (DLT_RAW is 12 on Linux, 14 on some BSDs: both mapped here)
  LINUX_SLL: 113,
  LINUX_SLL2: 276,
});

/** node-pcap reports link types by name (pcap_session.cc); map them to LINKTYPE numbers. */
export function linkTypeFromName(name: string): number | null {
  switch (name) {
    case 'LINKTYPE_NULL':
      return LinkType.NULL;
    case 'LINKTYPE_ETHERNET':
      return LinkType.ETHERNET;
    case 'LINKTYPE_RAW':
      return LinkType.RAW;
    case 'LINKTYPE_LINUX_SLL':
      return LinkType.LINUX_SLL;
    default:
      return null;
  }
}

/** TCP flag bits, RFC 9293 §3.1. */
export const TcpFlag = Object.freeze({ FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 });

export interface TcpSegment {
  readonly src: string;
  readonly dst: string;
  readonly sport: number;
  readonly dport: number;
  /** Unsigned 32-bit sequence and acknowledgement numbers. */
  readonly seq: number;
  readonly ack: number;
  readonly flags: number;
  /** A view of the input buffer: copy before keeping it. */
  readonly payload: Buffer;
  /** True when the capture holds fewer payload bytes than the packet carried (snap length). */
  readonly truncated: boolean;
}

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const EMPTY = Buffer.alloc(0);

/**
 * One decoded segment in reusable, mutable form: the offline audit decodes every frame into the
 * same view, with IPv4 addresses as numbers (no address text, no object per packet). IPv6
 * addresses are text (rare on OT networks). The payload is frame[start, end).
 */
export class TcpView {
  v4 = false;
  /** IPv4 addresses as unsigned 32-bit numbers (when v4). */
  srcN = 0;
  dstN = 0;
  /** Address text (IPv6, or a segment given as text). */
  src = '';
  dst = '';
  sport = 0;
  dport = 0;
  seq = 0;
  ack = 0;
  flags = 0;
  frame: Buffer = EMPTY;
  start = 0;
  end = 0;
  truncated = false;

  srcText(): string {
    return this.v4 ? v4Text(this.srcN) : this.src;
  }

  dstText(): string {
    return this.v4 ? v4Text(this.dstN) : this.dst;
  }

  payload(): Buffer {
    return this.end > this.start ? this.frame.subarray(this.start, this.end) : EMPTY;
  }

  /** Load a segment given as an object (text addresses). */
  from(seg: TcpSegment): this {
    this.v4 = false;
    this.src = seg.src;
    this.dst = seg.dst;
    this.sport = seg.sport;
    this.dport = seg.dport;
    this.seq = seg.seq;
    this.ack = seg.ack;
    this.flags = seg.flags;
    this.frame = seg.payload;
    this.start = 0;
    this.end = seg.payload.length;
    this.truncated = seg.truncated;
    return this;
  }
}

export const v4Text = (n: number): string => `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;

/** Decode one captured frame; null when it is not an unfragmented TCP segment over IPv4/IPv6. */
export function decodeTcpSegment(linkType: number, frame: Buffer): TcpSegment | null {
  const v = new TcpView();
  if (!decodeTcpView(linkType, frame, v)) return null;
  return {
    src: v.srcText(),
    dst: v.dstText(),
    sport: v.sport,
    dport: v.dport,
    seq: v.seq,
    ack: v.ack,
    flags: v.flags,
    payload: v.end > v.start ? frame.subarray(v.start, v.end) : frame.subarray(0, 0),
    truncated: v.truncated,
  };
}

/** decodeTcpSegment into `v` (reused); false when the frame is not an unfragmented TCP segment. */
export function decodeTcpView(linkType: number, frame: Buffer, v: TcpView): boolean {
  return decodeTcpRange(linkType, frame, 0, frame.length, v);
}

/**
 * decodeTcpView on the frame at buf[at, lim) (a record inside a capture file's chunk, so no
 * view is made per frame); `v`'s offsets are then offsets into `buf`.
 */
export function decodeTcpRange(linkType: number, buf: Buffer, at: number, lim: number, v: TcpView): boolean {
  const len = lim - at;
  let off: number;
  let etherType: number;
  switch (linkType) {
    case LinkType.ETHERNET: {
      if (len < 14) return false;
      off = at + 14;
      etherType = (buf[at + 12]! << 8) | buf[at + 13]!;
      // 802.1Q / 802.1ad / legacy QinQ tags, at most two.
      for (let i = 0; i < 2 && (etherType === 0x8100 || etherType === 0x88a8 || etherType === 0x9100); i++) {
        if (lim < off + 4) return false;
        etherType = (buf[off + 2]! << 8) | buf[off + 3]!;
        off += 4;
      }
      break;
    }
    case LinkType.LINUX_SLL:
      if (len < 16) return false;
      off = at + 16;
      etherType = (buf[at + 14]! << 8) | buf[at + 15]!;
      break;
    case LinkType.LINUX_SLL2:
      if (len < 20) return false;
      off = at + 20;
      etherType = (buf[at]! << 8) | buf[at + 1]!;
      break;
    case LinkType.NULL: {
      if (len < 4) return false;
      off = at + 4;
      // Host byte order of the capturing machine: accept either.
      const fam = buf[at] !== 0 ? buf.readUInt32LE(at) : buf.readUInt32BE(at);
      etherType = fam === 2 ? ETH_IPV4 : fam === 24 || fam === 28 || fam === 30 ? ETH_IPV6 : 0;
      break;
    }
    case LinkType.RAW:
    case 12:
    case 14:
      off = at;
      etherType = len > 0 && buf[at]! >> 4 === 6 ? ETH_IPV6 : ETH_IPV4;
      break;
    default:
      return false;
  }
  if (etherType === ETH_IPV4) return ipv4(buf, off, lim, v);
  if (etherType === ETH_IPV6) return ipv6(buf, off, lim, v);
  return false;
}

const u32 = (b: Buffer, o: number): number => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;

/** IPv4 header at b[off..], the frame ending at `lim`. */
function ipv4(b: Buffer, off: number, lim: number, v: TcpView): boolean {
  if (lim < off + 20 || b[off]! >> 4 !== 4) return false;
  const ihl = (b[off]! & 0x0f) * 4;
  const total = (b[off + 2]! << 8) | b[off + 3]!;
  if (ihl < 20 || total < ihl) return false;
  // Fragments (MF set or offset ≠ 0) are not reassembled: Modbus/OPC UA/MQTT peers use PMTU-sized segments.
  if ((((b[off + 6]! << 8) | b[off + 7]!) & 0x3fff) !== 0) return false;
  if (b[off + 9] !== 6) return false;
  // The IP total length trims Ethernet padding; a capture shorter than it is truncated.
  if (!tcp(b, off + ihl, off + total, lim, v)) return false;
  v.v4 = true;
  v.srcN = u32(b, off + 12);
  v.dstN = u32(b, off + 16);
  return true;
}

function ipv6(b: Buffer, off: number, lim: number, v: TcpView): boolean {
  if (lim < off + 40 || b[off]! >> 4 !== 6) return false;
  const end = off + 40 + ((b[off + 4]! << 8) | b[off + 5]!);
  let next = b[off + 6]!;
  let p = off + 40;
  // Skip hop-by-hop (0), routing (43) and destination options (60) headers, RFC 8200 §4.
  for (let i = 0; i < 4 && (next === 0 || next === 43 || next === 60); i++) {
    if (lim < p + 8) return false;
    next = b[p]!;
    p += (b[p + 1]! + 1) * 8;
  }
  if (next !== 6) return false; // includes fragments (44): not reassembled
  if (!tcp(b, p, end, lim, v)) return false;
  v.v4 = false;
  v.src = ipv6Text(b, off + 8);
  v.dst = ipv6Text(b, off + 24);
  return true;
}

function tcp(b: Buffer, off: number, ipEnd: number, lim: number, v: TcpView): boolean {
  if (lim < off + 20) return false;
  const hl = (b[off + 12]! >> 4) * 4;
  if (hl < 20 || lim < off + hl) return false;
  const start = off + hl;
  v.sport = (b[off]! << 8) | b[off + 1]!;
  v.dport = (b[off + 2]! << 8) | b[off + 3]!;
  v.seq = u32(b, off + 4);
  v.ack = u32(b, off + 8);
  v.flags = b[off + 13]!;
  v.frame = b;
  v.start = start;
  v.end = Math.min(ipEnd, lim);
  v.truncated = ipEnd > lim;
  return true;
}

/** RFC 5952 text form of the 16 address bytes at `off` (a v4-mapped address as dotted quad). */
export function ipv6Text(b: Buffer, off: number): string {
  return formatIp(b.subarray(off, off + 16));
}
