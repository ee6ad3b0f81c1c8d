/**
 * A synthetic Modbus TCP capture of a chosen size, for measuring `otgate audit` throughput
 * (issue 8: ≥ 10× tshark on ≥ 100 MB) — shared by bench/ and the monitor's own profiling.
 *
 *   node dist/scripts/gen-modbus-pcap.js --out /tmp/modbus-100mb.pcap [--mb 100] [--clients 64] [--regs 10]
 *
 * Classic pcap (LINKTYPE_ETHERNET, microsecond timestamps). `--clients` HMIs (10.0.1.x) each
 * open one TCP connection (SYN, SYN-ACK, ACK) to a PLC at 10.10.0.21:502 and then, round-robin,
 * exchange transactions: mostly FC 3 reads of `--regs` holding registers, every 10th an FC 6
 * write, every 50th an FC 16 write of 4 registers; responses echo the tid and carry the ACK.
 * Deterministic: the same arguments give the same file. A policy that allows exactly this
 * traffic is printed with --policy-out FILE (so the "with policy" path can be measured too).
 *
 * Spec: MB-TCP §3.1.3 (MBAP), MB-AP §6.3 / §6.6 / §6.12; RFC 791, RFC 9293 (headers built
 * with zero checksums: otgate and tshark do not verify them).
 */
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';

export interface Options {
  out: string;
  mb: number;
  clients: number;
  regs: number;
  policyOut: string | null;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { out: '', mb: 100, clients: 64, regs: 10, policyOut: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = argv[i + 1];
    if (a === '--out' && v) (o.out = v), i++;
    else if (a === '--mb' && v) (o.mb = Number(v)), i++;
    else if (a === '--clients' && v) (o.clients = Number(v)), i++;
    else if (a === '--regs' && v) (o.regs = Number(v)), i++;
    else if (a === '--policy-out' && v) (o.policyOut = v), i++;
    else throw new Error(`unknown argument ${a}`);
  }
  if (o.out === '') throw new Error('--out FILE is required');
  if (!(o.mb > 0) || !(o.clients >= 1 && o.clients <= 250) || !(o.regs >= 1 && o.regs <= 125)) throw new Error('bad --mb / --clients (1..250) / --regs (1..125)');
  return o;
}

const PLC_IP = [10, 10, 0, 21];
const clientIp = (i: number) => [10, 0, 1, 10 + i];

/** One Ethernet + IPv4 + TCP frame with its 16-byte pcap record header, written into `b` at `off`; returns the new offset. */
function frame(b: Buffer, off: number, tsUs: number, src: number[], dst: number[], sport: number, dport: number, seq: number, ack: number, flags: number, payload: Buffer | null): number {
  const plen = payload?.length ?? 0;
  const caplen = 14 + 20 + 20 + plen;
  b.writeUInt32LE(Math.floor(tsUs / 1e6), off);
  b.writeUInt32LE(tsUs % 1e6, off + 4);
  b.writeUInt32LE(caplen, off + 8);
  b.writeUInt32LE(caplen, off + 12);
  let p = off + 16;
  b.fill(0, p, p + 12); // MACs
  b[p + 1] = src[3]!;
  b[p + 7] = dst[3]!;
  b.writeUInt16BE(0x0800, p + 12);
  p += 14;
  b[p] = 0x45;
  b[p + 1] = 0;
  b.writeUInt16BE(20 + 20 + plen, p + 2);
  b.writeUInt32BE(0x40000000, p + 4); // id 0, DF
  b[p + 8] = 64;
  b[p + 9] = 6;
  b.writeUInt16BE(0, p + 10);
  for (let i = 0; i < 4; i++) b[p + 12 + i] = src[i]!;
  for (let i = 0; i < 4; i++) b[p + 16 + i] = dst[i]!;
  p += 20;
  b.writeUInt16BE(sport, p);
  b.writeUInt16BE(dport, p + 2);
  b.writeUInt32BE(seq >>> 0, p + 4);
  b.writeUInt32BE(ack >>> 0, p + 8);
  b[p + 12] = 0x50;
  b[p + 13] = flags;
  b.writeUInt16BE(65535, p + 14);
  b.writeUInt32BE(0, p + 16);
  p += 20;
  if (payload) payload.copy(b, p);
  return p + plen;
}

function mbap(tid: number, pdu: Buffer): Buffer {
  const b = Buffer.alloc(7 + pdu.length);
  b.writeUInt16BE(tid, 0);
  b.writeUInt16BE(pdu.length + 1, 4);
  b[6] = 1;
  pdu.copy(b, 7);
  return b;
}

/** The request and response PDUs of transaction `n` of a client. */
function transaction(n: number, regs: number, client: number): [Buffer, Buffer] {
  if (n % 50 === 49) {
    const addr = 100 + (client % 20) * 4;
    const req = Buffer.alloc(6 + 8);
    req[0] = 16;
    req.writeUInt16BE(addr, 1);
    req.writeUInt16BE(4, 3);
    req[5] = 8;
    for (let i = 0; i < 4; i++) req.writeUInt16BE((n + i) & 0x3ff, 6 + i * 2);
    const res = Buffer.alloc(5);
    res[0] = 16;
    res.writeUInt16BE(addr, 1);
    res.writeUInt16BE(4, 3);
    return [req, res];
  }
  if (n % 10 === 9) {
    const req = Buffer.alloc(5);
    req[0] = 6;
    req.writeUInt16BE(100 + (client % 80), 1);
    req.writeUInt16BE(150 + (n % 100), 3);
    return [req, Buffer.from(req)];
  }
  const addr = (n * 7) % (200 - regs);
  const req = Buffer.alloc(5);
  req[0] = 3;
  req.writeUInt16BE(addr, 1);
  req.writeUInt16BE(regs, 3);
  const res = Buffer.alloc(2 + regs * 2);
  res[0] = 3;
  res[1] = regs * 2;
  for (let i = 0; i < regs; i++) res.writeUInt16BE((addr + i + n) & 0xffff, 2 + i * 2);
  return [req, res];
}

export function generate(o: Options): { bytes: number; pdus: number } {
  const fd = openSync(o.out, 'w');
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(262144, 16);
  head.writeUInt32LE(1, 20);
  writeSync(fd, head);
  const target = Math.floor(o.mb * 1e6);
  const buf = Buffer.alloc(1 << 20);
  let off = 0;
  let total = 24;
  let pdus = 0;
  let ts = 1_795_300_000 * 1e6;
  const flush = () => {
    writeSync(fd, buf, 0, off);
    total += off;
    off = 0;
  };
  const st = Array.from({ length: o.clients }, (_, i) => ({ cseq: 1000 + i * 7919, sseq: 5000 + i * 104729, port: 40000 + i, n: 0 }));
  // Handshakes (RFC 9293 §3.5).
  for (let i = 0; i < o.clients; i++) {
    const s = st[i]!;
    const ip = clientIp(i);
    off = frame(buf, off, (ts += 50), ip, PLC_IP, s.port, 502, s.cseq, 0, 0x02, null);
    off = frame(buf, off, (ts += 50), PLC_IP, ip, 502, s.port, s.sseq, s.cseq + 1, 0x12, null);
    s.cseq++;
    s.sseq++;
    off = frame(buf, off, (ts += 50), ip, PLC_IP, s.port, 502, s.cseq, s.sseq, 0x10, null);
  }
  for (let i = 0; total + off < target; i = (i + 1) % o.clients) {
    if (off > buf.length - 1024) flush();
    const s = st[i]!;
    const ip = clientIp(i);
    const [reqPdu, resPdu] = transaction(s.n, o.regs, i);
    const tid = s.n & 0xffff;
    const req = mbap(tid, reqPdu);
    const res = mbap(tid, resPdu);
    off = frame(buf, off, (ts += 40), ip, PLC_IP, s.port, 502, s.cseq, s.sseq, 0x18, req);
    s.cseq = (s.cseq + req.length) >>> 0;
    off = frame(buf, off, (ts += 60), PLC_IP, ip, 502, s.port, s.sseq, s.cseq, 0x18, res);
    s.sseq = (s.sseq + res.length) >>> 0;
    s.n++;
    pdus += 2;
  }
  flush();
  closeSync(fd);
  return { bytes: total, pdus };
}

/** A policy allowing exactly the generated traffic (reads 0..199, writes 100..199). */
export function policyFor(o: Pick<Options, 'clients'>): string {
  return `version: 1
site: synthetic
defaults: { mode: enforce }
zones:
  - { name: hmi, level: 2, networks: ["10.0.1.0/24"] }
  - { name: control, level: 1, networks: ["10.10.0.0/24"] }
assets:
  - { name: plc, zone: control, address: "10.10.0.21" }
${Array.from({ length: o.clients }, (_, i) => `  - { name: hmi-${i}, zone: hmi, address: "10.0.1.${10 + i}" }`).join('\n')}
conduits:
  - name: hmi-to-plc
    from_zone: hmi
    to_zone: control
    protocol: modbus
    listen: "0.0.0.0:1502"
    upstream: { asset: plc, port: 502 }
    rules:
      - name: hmis
        clients: [${Array.from({ length: o.clients }, (_, i) => `hmi-${i}`).join(', ')}]
        modbus:
          unit_ids: [1]
          functions: [3, 6, 16]
          read: { holding_registers: ["0-199"] }
          write: { holding_registers: ["100-199"] }
`;
}

if (require.main === module) {
  try {
    const o = parseArgs(process.argv.slice(2));
    const r = generate(o);
    if (o.policyOut) writeFileSync(o.policyOut, policyFor(o));
    process.stdout.write(`wrote ${o.out}: ${(r.bytes / 1e6).toFixed(1)} MB, ${r.pdus} PDUs, ${o.clients} flows\n`);
  } catch (err) {
    process.stderr.write(`gen-modbus-pcap: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
}
