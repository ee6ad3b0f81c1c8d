/**
 * A minimal raw Modbus TCP server for latency benchmarks: answers FC 3 and FC 16 at once, in the
 * same tick (modbus-serial's ServerTCP defers each request with setTimeout 0, which would bury
 * the gateway's cost in timer jitter). Anything else gets exception 01 (MB-AP §7).
 * Usage: node modbus-server.js HOST PORT   → prints {"port":N} when listening.
 */
import net from 'node:net';

const MBAP = 7;
const host = process.argv[2] ?? '127.0.0.1';
const port = Number(process.argv[3] ?? 0);
// Register values answered for FC 3: address i holds i (enough for a benchmark).
const REGS = Buffer.alloc(2 * 256);
for (let i = 0; i < 256; i++) REGS.writeUInt16BE(i, 2 * i);

function answer(req: Buffer, off: number, len: number): Buffer {
  const fc = req[off + MBAP]!;
  if (fc === 3 && len >= MBAP + 5) {
    // MB-AP §6.3: byte count, then qty registers.
    const start = req.readUInt16BE(off + MBAP + 1) & 0xff;
    const qty = Math.min(125, req.readUInt16BE(off + MBAP + 3));
    const out = Buffer.allocUnsafe(MBAP + 2 + 2 * qty);
    req.copy(out, 0, off, off + 4);
    out.writeUInt16BE(3 + 2 * qty, 4);
    out[6] = req[off + 6]!;
    out[7] = 3;
    out[8] = 2 * qty;
    for (let i = 0; i < qty; i++) out.writeUInt16BE(REGS.readUInt16BE(2 * ((start + i) & 0xff)), 9 + 2 * i);
    return out;
  }
  if (fc === 16 && len >= MBAP + 5) {
    // MB-AP §6.12: echo address and quantity.
    const out = Buffer.allocUnsafe(MBAP + 5);
    req.copy(out, 0, off, off + 4);
    out.writeUInt16BE(6, 4);
    out[6] = req[off + 6]!;
    req.copy(out, 7, off + 7, off + 12);
    return out;
  }
  const out = Buffer.allocUnsafe(MBAP + 2);
  req.copy(out, 0, off, off + 4);
  out.writeUInt16BE(3, 4);
  out[6] = req[off + 6]!;
  out[7] = (fc | 0x80) & 0xff;
  out[8] = 1;
  return out;
}

const server = net.createServer({ noDelay: true }, (sock) => {
  let carry: Buffer | null = null;
  sock.on('data', (chunk: Buffer) => {
    const buf = carry === null ? chunk : Buffer.concat([carry, chunk]);
    carry = null;
    let off = 0;
    while (buf.length - off >= MBAP) {
      const len = 6 + buf.readUInt16BE(off + 4);
      if (buf.length - off < len) break;
      sock.write(answer(buf, off, len));
      off += len;
    }
    if (off < buf.length) carry = Buffer.from(buf.subarray(off));
  });
  sock.on('error', () => sock.destroy());
});
server.maxConnections = 10_000;
server.listen({ host, port, backlog: 2048 }, () => {
  const a = server.address() as net.AddressInfo;
  process.stdout.write(`${JSON.stringify({ port: a.port })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
