/** A tiny classic-pcap reader/writer for tests (LINKTYPE_ETHERNET, microsecond timestamps). */
import { readFileSync, writeFileSync } from 'node:fs';

export interface Pkt {
  sec: number;
  usec: number;
  data: Buffer;
}

export function readPcap(file: string): { linkType: number; packets: Pkt[] } {
  const b = readFileSync(file);
  if (b.readUInt32LE(0) !== 0xa1b2c3d4) throw new Error('only little-endian microsecond pcap in tests');
  const linkType = b.readUInt32LE(20);
  const packets: Pkt[] = [];
  for (let off = 24; off + 16 <= b.length; ) {
    const caplen = b.readUInt32LE(off + 8);
    packets.push({ sec: b.readUInt32LE(off), usec: b.readUInt32LE(off + 4), data: Buffer.from(b.subarray(off + 16, off + 16 + caplen)) });
    off += 16 + caplen;
  }
  return { linkType, packets };
}

export function writePcap(file: string, linkType: number, packets: readonly Pkt[]): void {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(262144, 16);
  head.writeUInt32LE(linkType, 20);
  const parts: Buffer[] = [head];
  for (const p of packets) {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(p.sec, 0);
    h.writeUInt32LE(p.usec, 4);
    h.writeUInt32LE(p.data.length, 8);
    h.writeUInt32LE(p.data.length, 12);
    parts.push(h, p.data);
  }
  writeFileSync(file, Buffer.concat(parts));
}

/** Offsets in an Ethernet + IPv4 + TCP frame (no VLAN), and rebuilding a frame with a new payload. */
export interface TcpView {
  ipOff: number;
  tcpOff: number;
  payloadOff: number;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: number;
  payload: Buffer;
}

export function tcpView(frame: Buffer): TcpView {
  const ipOff = 14;
  const tcpOff = ipOff + (frame[ipOff]! & 0x0f) * 4;
  const payloadOff = tcpOff + (frame[tcpOff + 12]! >> 4) * 4;
  const total = frame.readUInt16BE(ipOff + 2);
  return {
    ipOff, tcpOff, payloadOff,
    sport: frame.readUInt16BE(tcpOff), dport: frame.readUInt16BE(tcpOff + 2),
    seq: frame.readUInt32BE(tcpOff + 4), ack: frame.readUInt32BE(tcpOff + 8), flags: frame[tcpOff + 13]!,
    payload: frame.subarray(payloadOff, ipOff + total),
  };
}

/** The same TCP segment with another sequence number and payload (IP length fixed; checksums not recomputed). */
export function withPayload(frame: Buffer, seq: number, payload: Buffer): Buffer {
  const v = tcpView(frame);
  const out = Buffer.concat([frame.subarray(0, v.payloadOff), payload]);
  out.writeUInt16BE(v.payloadOff - v.ipOff + payload.length, v.ipOff + 2);
  out.writeUInt32BE(seq >>> 0, v.tcpOff + 4);
  return out;
}

export function withPorts(frame: Buffer, from: number, to: number): Buffer {
  const out = Buffer.from(frame);
  const v = tcpView(out);
  if (v.sport === from) out.writeUInt16BE(to, v.tcpOff);
  if (v.dport === from) out.writeUInt16BE(to, v.tcpOff + 2);
  return out;
}
