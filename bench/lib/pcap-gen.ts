/**
 * Synthetic Modbus TCP capture (classic pcap, LINKTYPE_ETHERNET): `flows` TCP connections
 * between HMIs and a PLC, each a 3-way handshake then FC 3 (10 registers) and FC 16 (10
 * registers) request/response pairs with consistent sequence numbers, one PDU per segment,
 * interleaved across flows. Written in 4 MB blocks; returns what it wrote.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

const ETH = 14;
const IP = 20;
const TCP = 20;
const HDR = ETH + IP + TCP;

interface Flow {
  readonly client: number; // IPv4 as uint32
  readonly server: number;
  readonly cport: number;
  cseq: number;
  sseq: number;
  tid: number;
}

function ipChecksum(b: Buffer, off: number): number {
  let sum = 0;
  for (let i = 0; i < IP; i += 2) sum += b.readUInt16BE(off + i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** One Ethernet/IPv4/TCP frame with `payload` written at `at` in `out`; returns bytes written. */
function frame(out: Buffer, at: number, tsUs: number, src: number, dst: number, sport: number, dport: number, seq: number, ack: number, flags: number, payload: Buffer | null): number {
  const plen = payload?.length ?? 0;
  const len = HDR + plen;
  out.writeUInt32LE(Math.floor(tsUs / 1e6), at);
  out.writeUInt32LE(tsUs % 1e6, at + 4);
  out.writeUInt32LE(len, at + 8);
  out.writeUInt32LE(len, at + 12);
  const f = at + 16;
  out.fill(0, f, f + HDR);
  out.writeUInt32BE(0x02000000 | (src & 0xffff), f); // locally administered MACs
  out.writeUInt16BE(0x0002, f + 4);
  out.writeUInt32BE(0x02000000 | (dst & 0xffff), f + 6);
  out.writeUInt16BE(0x0001, f + 10);
  out.writeUInt16BE(0x0800, f + 12);
  const ip = f + ETH;
  out[ip] = 0x45;
  out.writeUInt16BE(IP + TCP + plen, ip + 2);
  out[ip + 6] = 0x40; // DF
  out[ip + 8] = 64;
  out[ip + 9] = 6;
  out.writeUInt32BE(src >>> 0, ip + 12);
  out.writeUInt32BE(dst >>> 0, ip + 16);
  out.writeUInt16BE(ipChecksum(out, ip), ip + 10);
  const tcp = ip + IP;
  out.writeUInt16BE(sport, tcp);
  out.writeUInt16BE(dport, tcp + 2);
  out.writeUInt32BE(seq >>> 0, tcp + 4);
  out.writeUInt32BE(ack >>> 0, tcp + 8);
  out[tcp + 12] = 0x50;
  out[tcp + 13] = flags;
  out.writeUInt16BE(64240, tcp + 14);
  if (payload) payload.copy(out, tcp + TCP);
  return 16 + len;
}

const SYN = 0x02;
const ACK = 0x10;
const PSH_ACK = 0x18;

function fc3Request(tid: number): Buffer {
  return Buffer.from([tid >> 8, tid & 255, 0, 0, 0, 6, 1, 3, 0, 0, 0, 10]);
}
function fc3Response(tid: number): Buffer {
  const b = Buffer.alloc(29);
  b.writeUInt16BE(tid, 0);
  b.writeUInt16BE(23, 4);
  b[6] = 1;
  b[7] = 3;
  b[8] = 20;
  for (let i = 0; i < 10; i++) b.writeUInt16BE(200 + i, 9 + 2 * i);
  return b;
}
function fc16Request(tid: number): Buffer {
  const b = Buffer.alloc(33);
  b.writeUInt16BE(tid, 0);
  b.writeUInt16BE(27, 4);
  b[6] = 1;
  b[7] = 16;
  b.writeUInt16BE(100, 8);
  b.writeUInt16BE(10, 10);
  b[12] = 20;
  for (let i = 0; i < 10; i++) b.writeUInt16BE(150 + i, 13 + 2 * i);
  return b;
}
function fc16Response(tid: number): Buffer {
  return Buffer.from([tid >> 8, tid & 255, 0, 0, 0, 6, 1, 16, 0, 100, 0, 10]);
}

export interface PcapStats {
  readonly bytes: number;
  readonly packets: number;
  readonly pdus: number;
  readonly flows: number;
}

const ip4 = (a: number, b: number, c: number, d: number): number => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;

/** Writes a capture of at least `minBytes` to `file`. */
export function writeModbusPcap(file: string, minBytes: number, flowCount = 64): PcapStats {
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(4 << 20);
  let used = 0;
  let bytes = 0;
  let packets = 0;
  let pdus = 0;
  const flush = () => {
    writeSync(fd, block, 0, used);
    bytes += used;
    used = 0;
  };
  // Global header: magic, v2.4, snaplen 65535, LINKTYPE_ETHERNET.
  block.writeUInt32LE(0xa1b2c3d4, 0);
  block.writeUInt16LE(2, 4);
  block.writeUInt16LE(4, 6);
  block.writeUInt32LE(65535, 16);
  block.writeUInt32LE(1, 20);
  used = 24;
  let ts = 1_780_000_000 * 1e6;
  const server = ip4(10, 10, 0, 21);
  const flows: Flow[] = [];
  for (let i = 0; i < flowCount; i++) {
    const f: Flow = { client: ip4(10, 20, 0, 11 + (i % 4)), server, cport: 40000 + i, cseq: 1000 * (i + 1), sseq: 5000 * (i + 1), tid: 0 };
    flows.push(f);
    // Handshake: SYN, SYN-ACK, ACK.
    used += frame(block, used, (ts += 10), f.client, server, f.cport, 502, f.cseq, 0, SYN, null);
    used += frame(block, used, (ts += 10), server, f.client, 502, f.cport, f.sseq, f.cseq + 1, SYN | ACK, null);
    f.cseq++;
    f.sseq++;
    used += frame(block, used, (ts += 10), f.client, server, f.cport, 502, f.cseq, f.sseq, ACK, null);
    packets += 3;
  }
  const tids = new Map<number, Buffer[]>(); // cache PDUs by tid (65,536 × 4 small buffers at most)
  const pdusFor = (tid: number): Buffer[] => {
    let p = tids.get(tid);
    if (!p) tids.set(tid, (p = [fc3Request(tid), fc3Response(tid), fc16Request(tid), fc16Response(tid)]));
    return p;
  };
  let k = 0;
  while (bytes + used < minBytes) {
    const f = flows[k++ % flowCount]!;
    const [rq3, rs3, rq16, rs16] = pdusFor(f.tid);
    const write = (k & 1) === 0;
    const req = write ? rq16! : rq3!;
    const res = write ? rs16! : rs3!;
    if (used + 2 * (16 + HDR + 64) > block.length) flush();
    used += frame(block, used, (ts += 50), f.client, server, f.cport, 502, f.cseq, f.sseq, PSH_ACK, req);
    f.cseq += req.length;
    used += frame(block, used, (ts += 50), server, f.client, 502, f.cport, f.sseq, f.cseq, PSH_ACK, res);
    f.sseq += res.length;
    f.tid = (f.tid + 1) & 0xffff;
    packets += 2;
    pdus += 2;
  }
  flush();
  closeSync(fd);
  return { bytes, packets, pdus, flows: flowCount };
}
