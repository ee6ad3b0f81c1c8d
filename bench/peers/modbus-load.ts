/**
 * Modbus TCP load generator (its own process): N clients, one outstanding request each, as
 * Modbus masters poll. Warm-up first (not recorded), then a measured phase bounded by both a
 * time and a transaction count. Prints one JSON line: {tx, seconds, txps, errors, late, hist}.
 *
 * Two ways to poll:
 * - closed loop (no `pollUs`): the next request goes out as soon as the response is in. With 16
 *   or 64 clients this saturates the slowest process on the path, so latency is queueing behind
 *   that bottleneck (Little's law: clients ÷ tx/s) — a throughput measure;
 * - paced (`pollUs`): each client polls once per `pollUs`, its phase staggered by
 *   pollUs ÷ clients, as a SCADA's masters poll on a scan cycle; the same offered load for
 *   every target. A response that comes after the client's next due time makes that poll late:
 *   it goes out at once and the schedule restarts from there (a master does not catch up), and
 *   `late` counts it. Timers have 1 ms resolution, so polls leave in bursts at ms boundaries.
 *
 * With `targets` (several endpoints) every client holds a connection to each and sends its
 * successive polls to them in turn, still one outstanding request at a time: all targets are
 * measured through the same moments of the machine, and each gets its own histogram. With
 * `sliceMs` too, the turn is by time: all clients poll one target for a slice, then the next.
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
  /** Paced polling: each client's poll period in µs (absent: closed loop). */
  readonly pollUs?: number;
  /**
   * Several targets at once, in place of host/port: every client holds a connection to each and
   * sends its successive polls to them in turn, so all targets meet the same moments of the
   * machine (request-level interleaving); results per target in `perTarget`, in this order.
   */
  readonly targets?: readonly { readonly host: string; readonly port: number }[];
  /**
   * With `targets`: every client's polls go to the same target for `sliceMs`, then all move on
   * to the next (time slices) instead of each client taking the next target at every poll. For
   * paced clients: polls due together reach one forwarder, as a poll cycle's burst does,
   * instead of queueing behind the other targets' forwarders on a shared core.
   */
  readonly sliceMs?: number;
}

export interface LoadResult {
  readonly tx: number;
  readonly seconds: number;
  readonly txps: number;
  readonly errors: number;
  /** Transactions including the warm-up (for CPU-per-transaction accounting). */
  readonly txAll: number;
  /** Paced polls whose response came after the client's next due time (0 in closed loop). */
  readonly late: number;
  /** Latency histogram (single target; empty with `targets`). */
  readonly hist: [number, number][];
  /** With `targets`: each target's share, in the same order. */
  readonly perTarget?: readonly TargetLoad[];
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

/** One endpoint's share of a run (LoadResult for a single target; `perTarget` for several). */
export interface TargetLoad {
  readonly tx: number;
  readonly txAll: number;
  readonly errors: number;
  readonly late: number;
  readonly hist: [number, number][];
}

/** One measured run: one target (spec.host/port) or several in rotation (spec.targets). */
async function run(spec: LoadSpec): Promise<LoadResult> {
  const ends = spec.targets ?? [{ host: spec.host, port: spec.port }];
  const per = ends.map(() => ({ hist: new Histogram(), tx: 0, txAll: 0, errors: 0, late: 0 }));
  let measuring = false;
  let stopping = false;
  let tx = 0;
  let t0 = 0n;
  const periodNs = spec.pollUs !== undefined && spec.pollUs > 0 ? BigInt(Math.round(spec.pollUs * 1000)) : 0n;
  const socks: net.Socket[] = [];
  const kicks: (() => void)[] = [];
  /** Time slices (spec.sliceMs) count from here. */
  const epoch = process.hrtime.bigint();
  let finish: () => void = () => {};
  const done = new Promise<void>((r) => (finish = r));
  const connect = (k: number) =>
    new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ host: ends[k]!.host, port: ends[k]!.port, noDelay: true, localAddress: spec.localAddress });
      socks.push(s);
      s.once('connect', () => resolve(s));
      s.on('error', (err) => {
        per[k]!.errors++;
        if (!stopping) reject(err);
      });
    });

  // A client: one connection per target and one outstanding request in all; with several
  // targets each poll goes to the next one in turn (client idx starts at target idx mod n).
  const client = async (idx: number): Promise<void> => {
    const conns = await Promise.all(ends.map((_, k) => connect(k)));
    // Two request buffers alternate so the one being rewritten is never still queued.
    const reqs = [requestFor(spec.fc, 0), requestFor(spec.fc, 1)];
    let tid = idx << 8;
    let sent = 0n;
    let due = 0n;
    let cur = idx % conns.length;
    const sliceNs = spec.sliceMs !== undefined && spec.sliceMs > 0 ? BigInt(Math.round(spec.sliceMs * 1e6)) : 0n;
    const send = () => {
      if (stopping) return;
      if (sliceNs > 0n) cur = Number(((process.hrtime.bigint() - epoch) / sliceNs) % BigInt(conns.length));
      tid = (tid + 1) & 0xffff;
      const b = reqs[tid & 1]!;
      b.writeUInt16BE(tid, 0);
      sent = process.hrtime.bigint();
      conns[cur]!.write(b);
    };
    // Paced: the next poll at its due time, or at once (late, counted for the target whose
    // response `from` came after it) when the response came after it.
    const sendWhenDue = (from: number) => {
      due += periodNs;
      const now = process.hrtime.bigint();
      if (due <= now) {
        if (measuring) per[from]!.late++;
        due = now;
        send();
      } else {
        setTimeout(send, Math.max(1, Math.round(Number(due - now) / 1e6)));
      }
    };
    conns.forEach((s, k) => {
      const mine = per[k]!;
      let carry: Buffer | null = null;
      s.on('data', (chunk: Buffer) => {
        let buf = carry === null ? chunk : Buffer.concat([carry, chunk]);
        carry = null;
        let off = 0;
        while (buf.length - off >= 7) {
          const len = 6 + buf.readUInt16BE(off + 4);
          if (buf.length - off < len) break;
          const fc = buf[off + 7]!;
          if (fc & 0x80 || buf.readUInt16BE(off) !== tid || k !== cur) mine.errors++;
          off += len;
          mine.txAll++;
          if (measuring) {
            mine.hist.add(Number(process.hrtime.bigint() - sent));
            mine.tx++;
            if (++tx >= spec.maxTx) {
              stopping = true;
              finish();
            }
          }
          if (sliceNs === 0n) cur = (cur + 1) % conns.length;
          if (periodNs === 0n) send();
          else sendWhenDue(k);
        }
        if (off < buf.length) {
          buf = buf.subarray(off);
          carry = Buffer.from(buf);
        }
      });
    });
    kicks.push(
      periodNs === 0n
        ? send
        : () => {
            // Phases staggered over the period so the clients' polls spread across it.
            const phase = (periodNs * BigInt(idx)) / BigInt(spec.clients);
            due = process.hrtime.bigint() + phase;
            setTimeout(send, Math.round(Number(phase) / 1e6));
          },
    );
  };

  await Promise.all(Array.from({ length: spec.clients }, (_, i) => client(i)));
  // The first requests go out once every client is connected.
  for (const kick of kicks) kick();
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
  const perTarget = per.map((p) => ({ tx: p.tx, txAll: p.txAll, errors: p.errors, late: p.late, hist: p.hist.sparse() }));
  const one = perTarget[0]!;
  return {
    tx, seconds, txps: tx / seconds,
    late: perTarget.reduce((a, p) => a + p.late, 0),
    txAll: perTarget.reduce((a, p) => a + p.txAll, 0),
    errors: perTarget.reduce((a, p) => a + p.errors, 0),
    hist: spec.targets === undefined ? one.hist : [],
    ...(spec.targets === undefined ? {} : { perTarget }),
  };
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
