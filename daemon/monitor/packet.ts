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
const ETH_VLAN = [0x8100, 0x88a8, 0x9100];

/** Decode one captured frame; null when it is not an unfragmented TCP segment over IPv4/IPv6. */
export function decodeTcpSegment(linkType: number, frame: Buffer): TcpSegment | null {
  let off: number;
  let etherType: number;
  switch (linkType) {
    case LinkType.ETHERNET: {
      if (frame.length < 14) return null;
      off = 14;
      etherType = frame.readUInt16BE(12);
      for (let i = 0; i < 2 && ETH_VLAN.includes(etherType); i++) {
        if (frame.length < off + 4) return null;
        etherType = frame.readUInt16BE(off + 2);
        off += 4;
      }
      break;
    }
    case LinkType.LINUX_SLL:
      if (frame.length < 16) return null;
      off = 16;
      etherType = frame.readUInt16BE(14);
      break;
    case LinkType.LINUX_SLL2:
      if (frame.length < 20) return null;
      off = 20;
      etherType = frame.readUInt16BE(0);
      break;
    case LinkType.NULL: {
      if (frame.length < 4) return null;
      off = 4;
      // Host byte order of the capturing machine: accept either.
      const fam = frame[0] !== 0 ? frame.readUInt32LE(0) : frame.readUInt32BE(0);
      etherType = fam === 2 ? ETH_IPV4 : fam === 24 || fam === 28 || fam === 30 ? ETH_IPV6 : 0;
      break;
    }
    case LinkType.RAW:
    case 12:
    case 14:
      off = 0;
      etherType = frame.length > 0 && frame[0]! >> 4 === 6 ? ETH_IPV6 : ETH_IPV4;
      break;
    default:
      return null;
  }
  if (etherType === ETH_IPV4) return ipv4(frame, off);
  if (etherType === ETH_IPV6) return ipv6(frame, off);
  return null;
}

function ipv4(b: Buffer, off: number): TcpSegment | null {
  if (b.length < off + 20 || b[off]! >> 4 !== 4) return null;
  const ihl = (b[off]! & 0x0f) * 4;
  const total = b.readUInt16BE(off + 2);
  if (ihl < 20 || total < ihl) return null;
  // Fragments (MF set or offset ≠ 0) are not reassembled: Modbus/OPC UA/MQTT peers use PMTU-sized segments.
  if ((b.readUInt16BE(off + 6) & 0x3fff) !== 0) return null;
  if (b[off + 9] !== 6) return null;
  const src = `${b[off + 12]}.${b[off + 13]}.${b[off + 14]}.${b[off + 15]}`;
  const dst = `${b[off + 16]}.${b[off + 17]}.${b[off + 18]}.${b[off + 19]}`;
  // The IP total length trims Ethernet padding; a capture shorter than it is truncated.
  return tcp(b, off + ihl, off + total, src, dst);
}

function ipv6(b: Buffer, off: number): TcpSegment | null {
  if (b.length < off + 40 || b[off]! >> 4 !== 6) return null;
  const end = off + 40 + b.readUInt16BE(off + 4);
  let next = b[off + 6]!;
  let p = off + 40;
  // Skip hop-by-hop (0), routing (43) and destination options (60) headers, RFC 8200 §4.
  for (let i = 0; i < 4 && (next === 0 || next === 43 || next === 60); i++) {
    if (b.length < p + 8) return null;
    next = b[p]!;
    p += (b[p + 1]! + 1) * 8;
  }
  if (next !== 6) return null; // includes fragments (44): not reassembled
  return tcp(b, p, end, ipv6Text(b, off + 8), ipv6Text(b, off + 24));
}

function tcp(b: Buffer, off: number, ipEnd: number, src: string, dst: string): TcpSegment | null {
  if (b.length < off + 20) return null;
  const hl = (b[off + 12]! >> 4) * 4;
  if (hl < 20 || b.length < off + hl) return null;
  const start = off + hl;
  const end = Math.min(ipEnd, b.length);
  return {
    src,
    dst,
    sport: b.readUInt16BE(off),
    dport: b.readUInt16BE(off + 2),
    seq: b.readUInt32BE(off + 4),
    ack: b.readUInt32BE(off + 8),
    flags: b[off + 13]!,
    payload: end > start ? b.subarray(start, end) : b.subarray(0, 0),
    truncated: ipEnd > b.length,
  };
}

/** RFC 5952 text form of the 16 address bytes at `off` (a v4-mapped address as dotted quad). */
export function ipv6Text(b: Buffer, off: number): string {
  return formatIp(b.subarray(off, off + 16));
}
