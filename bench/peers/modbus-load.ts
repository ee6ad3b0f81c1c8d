/**
 * Modbus TCP load generator (its own process): N clients, one outstanding request each, as
 * Modbus masters poll. Warm-up first (not recorded), then a measured phase bounded by both a
 * time and a transaction count. Prints one JSON line: {tx, seconds, txps, errors, hist}.
 * Usage: node modbus-load.js '{"host":..,"port":..,"clients":16,"fc":3,"warmupMs":300,"durationMs":2000,"maxTx":1e6,"localAddress":"127.0.20.11"}'
 *    or: node modbus-load.js --serve   → prints {"ready":true}, then runs one spec per stdin line
 *        (one JSON result line each): one process for a whole benchmark, no start-up per round.
 */
import net from 'node:net';
import { Histogram } from '../lib/stats';

export interface LoadSpec {
  readonly host: string;
  readonly port: number;
  readonly clients: number;
  /** 3 (read 10 holding registers at 0) or 16 (write 10 holding registers at 100). */
  readonly fc: 3 | 16;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly maxTx: number;
  readonly localAddress?: string;
}

export interface LoadResult {
  readonly tx: number;
  readonly seconds: number;
  readonly txps: number;
  readonly errors: number;
  /** Transactions including the warm-up (for CPU-per-transaction accounting). */
  readonly txAll: number;
  readonly hist: [number, number][];
}

/** MBAP + PDU for the benchmark request (MB-AP §6.3 / §6.12). */
export function requestFor(fc: 3 | 16, tid: number): Buffer {
  if (fc === 3) {
    const b = Buffer.alloc(12);
    b.writeUInt16BE(tid, 0);
    b.writeUInt16BE(6, 4);
    b[6] = 1;
    b[7] = 3;
    b.writeUInt16BE(0, 8);
    b.writeUInt16BE(10, 10);
    return b;
  }
  const b = Buffer.alloc(13 + 20);
  b.writeUInt16BE(tid, 0);
  b.writeUInt16BE(7 + 20, 4);
  b[6] = 1;
  b[7] = 16;
  b.writeUInt16BE(100, 8);
  b.writeUInt16BE(10, 10);
  b[12] = 20;
  for (let i = 0; i < 10; i++) b.writeUInt16BE(100 + i, 13 + 2 * i); // inside the 50..250 envelope
  return b;
}

async function run(spec: LoadSpec): Promise<LoadResult> {
  const hist = new Histogram();
  let measuring = false;
  let stopping = false;
  let tx = 0;
  let txAll = 0;
  let errors = 0;
  let t0 = 0n;
  const socks: net.Socket[] = [];
  let finish: () => void = () => {};
  const done = new Promise<void>((r) => (finish = r));

  const client = (idx: number) =>
    new Promise<void>((resolve, reject) => {
      const s = net.connect({ host: spec.host, port: spec.port, noDelay: true, localAddress: spec.localAddress });
      socks.push(s);
      // Two request buffers alternate so the one being rewritten is never still queued.
      const reqs = [requestFor(spec.fc, 0), requestFor(spec.fc, 1)];
      let tid = idx << 8;
      let sent = 0n;
      let carry: Buffer | null = null;
      const send = () => {
        if (stopping) return;
        tid = (tid + 1) & 0xffff;
        const b = reqs[tid & 1]!;
        b.writeUInt16BE(tid, 0);
        sent = process.hrtime.bigint();
        s.write(b);
      };
      s.on('connect', () => {
        resolve();
      });
      s.on('data', (chunk: Buffer) => {
        let buf = carry === null ? chunk : Buffer.concat([carry, chunk]);
        carry = null;
        let off = 0;
        while (buf.length - off >= 7) {
          const len = 6 + buf.readUInt16BE(off + 4);
          if (buf.length - off < len) break;
          const fc = buf[off + 7]!;
          if (fc & 0x80 || buf.readUInt16BE(off) !== tid) errors++;
          off += len;
          txAll++;
          if (measuring) {
            hist.add(Number(process.hrtime.bigint() - sent));
            if (++tx >= spec.maxTx) {
              stopping = true;
              finish();
            }
          }
          send();
        }
        if (off < buf.length) {
          buf = buf.subarray(off);
          carry = Buffer.from(buf);
        }
      });
      s.on('error', (err) => {
        errors++;
        if (!stopping) reject(err);
      });
      s.once('connect', () => {
        // the first request goes out when every client is connected (see below)
      });
      (s as net.Socket & { kick?: () => void }).kick = send;
    });

  await Promise.all(Array.from({ length: spec.clients }, (_, i) => client(i)));
  for (const s of socks) (s as net.Socket & { kick?: () => void }).kick!();
  await new Promise((r) => setTimeout(r, spec.warmupMs));
  measuring = true;
  t0 = process.hrtime.bigint();
  const timer = setTimeout(() => {
    stopping = true;
    finish();
  }, spec.durationMs);
  await done;
  clearTimeout(timer);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  for (const s of socks) s.destroy();
  return { tx, txAll, seconds, txps: tx / seconds, errors, hist: hist.sparse() };
}

function serve(): void {
  let buf = '';
  let queue = Promise.resolve();
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (d: string) => {
    buf += d;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line.trim() === '') continue;
      queue = queue.then(() =>
        run(JSON.parse(line) as LoadSpec).then(
          (r) => void process.stdout.write(`${JSON.stringify(r)}\n`),
          (err: Error) => void process.stdout.write(`${JSON.stringify({ error: err.message })}\n`),
        ),
      );
    }
  });
  process.stdin.on('end', () => void queue.then(() => process.exit(0)));
  process.on('SIGTERM', () => process.exit(0));
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
}

if (require.main === module && process.argv[2] === '--serve') {
  serve();
} else if (require.main === module) {
  const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
  run(spec).then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r)}\n`);
      process.exit(0);
    },
    (err: Error) => {
      process.stdout.write(`${JSON.stringify({ error: err.message })}\n`);
      process.exit(1);
    },
  );
}
