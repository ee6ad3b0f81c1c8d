/**
 * `node dist/bench/daemons.js FC CLIENTS ROUNDS SECONDS NAME=AUDIT[@MAIN] ...`: several real
 * daemons side by side with the direct connection and the Node relay, every target in every
 * round (order rotated), pinned like `npm run bench -- modbus`. AUDIT is the benchmark policy's
 * `audit.allowed` (sample | none | all); MAIN another build's dist/daemon/main.js. Prints each
 * daemon's added p50 / p99 (all rounds pooled) and ÷ the relay's, the per-round median of the
 * p99 ratio, and the median CPU µs per transaction (the forwarder process, all its threads). The A/B behind the sixth round of BENCHMARKS.md, e.g.
 *   node dist/bench/daemons.js 3 16 16 0.5 new=sample none=none old=sample@/tmp/base/dist/daemon/main.js
 * BENCH_IN_TURN=1: every target in each round, request by request (the modbus latency pass;
 * more than one client polls paced at BENCH_POLL_TXPS in all, default 4,000 tx/s).
 */
import { freePort, startGateway, type BenchGateway } from './lib/gateway';
import { BENCH, modbusPolicy } from './lib/policy';
import { cpuUs, startPeer } from './lib/proc';
import { describePinning, pinningFromEnv } from './lib/pin';
import { Histogram, median, round } from './lib/stats';
import { inTurnRounds, runModbusLoad } from './modbus';

interface Target {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** The forwarder's pid (CPU per transaction), none for direct. */
  readonly pid?: number;
}

async function main(): Promise<void> {
  const [fcArg, clientsArg, roundsArg, secondsArg, ...specs] = process.argv.slice(2);
  const fc = Number(fcArg ?? 3) as 3 | 16;
  const clients = Number(clientsArg ?? 16);
  const rounds = Number(roundsArg ?? 8);
  const seconds = Number(secondsArg ?? 0.5);
  if (specs.length === 0) specs.push('otgate=sample');
  const pin = pinningFromEnv();
  process.stdout.write(`pinning: ${describePinning(pin)}\n`);
  const server = await startPeer<{ port: number }>('modbus-server', [BENCH.plcHost, '0'], { cpus: pin?.peers });
  const relay = await startPeer<{ port: number }>('node-relay', [BENCH.relayHost, '0', BENCH.plcHost, String(server.ready.port)], { cpus: pin?.forwarder });
  const gen = await startPeer('modbus-load', ['--serve'], { stdin: true, cpus: pin?.peers });
  const targets: Target[] = [
    { name: 'direct', host: BENCH.plcHost, port: server.ready.port },
    { name: 'node-relay', host: BENCH.relayHost, port: relay.ready.port, pid: relay.pid },
  ];
  const gateways: BenchGateway[] = [];
  try {
    for (const spec of specs) {
      const m = /^([\w-]+)=(sample|none|all)(?:@(.+))?$/.exec(spec);
      if (m === null) throw new Error(`daemon spec "${spec}": expected NAME=sample|none|all[@path/to/dist/daemon/main.js]`);
      const port = await freePort(BENCH.gatewayHost);
      const policy = modbusPolicy({ listenPort: port, plcPort: server.ready.port, allowed: m[2] as 'sample' | 'none' | 'all' });
      const gw = await startGateway(policy, { cpus: pin?.forwarder, main: m[3] });
      gateways.push(gw);
      targets.push({ name: m[1]!, host: BENCH.gatewayHost, port, pid: gw.pid });
    }
    const pooled = new Map(targets.map((t) => [t.name, new Histogram()]));
    const perRound = new Map(targets.map((t) => [t.name, [] as { p50: number; p99: number; cpu: number }[]]));
    const inTurn = process.env.BENCH_IN_TURN === '1';
    if (inTurn) {
      const pollUs = clients > 1 ? (clients * 1e6) / Number(process.env.BENCH_POLL_TXPS ?? 4000) : undefined;
      const spec = { host: '', port: 0, clients, fc, warmupMs: 100, durationMs: seconds * 1000, maxTx: 1e9, localAddress: BENCH.client, ...(pollUs === undefined ? {} : { pollUs }) };
      const { perTarget } = await inTurnRounds(targets, rounds, spec, pin?.peers, gen);
      perTarget.forEach((list, k) => {
        for (const x of list) {
          pooled.get(targets[k]!.name)!.merge(x.hist);
          const h = new Histogram().merge(x.hist);
          perRound.get(targets[k]!.name)!.push({ p50: h.quantile(0.5), p99: h.quantile(0.99), cpu: x.cpuUsPerTx });
        }
      });
    }
    for (let r = 0; r < (inTurn ? 0 : rounds); r++) {
      for (let i = 0; i < targets.length; i++) {
        const t = targets[(i + r) % targets.length]!;
        const c0 = t.pid === undefined ? 0 : cpuUs(t.pid);
        const x = await runModbusLoad({ host: t.host, port: t.port, clients, fc, warmupMs: 100, durationMs: seconds * 1000, maxTx: 1e9, localAddress: BENCH.client }, pin?.peers, gen);
        pooled.get(t.name)!.merge(x.hist);
        const h = new Histogram().merge(x.hist);
        perRound.get(t.name)!.push({ p50: h.quantile(0.5), p99: h.quantile(0.99), cpu: t.pid === undefined ? NaN : (cpuUs(t.pid) - c0) / x.txAll });
      }
    }
    const d = pooled.get('direct')!;
    const added = (name: string, q: number) => pooled.get(name)!.quantile(q) - d.quantile(q);
    const relay50 = added('node-relay', 0.5);
    const relay99 = added('node-relay', 0.99);
    const dr = perRound.get('direct')!;
    const rr = perRound.get('node-relay')!;
    process.stdout.write(`FC ${fc}, ${clients} client(s), ${rounds} rounds × ${seconds} s ${inTurn ? 'with every target in turn' : 'per target'}\n`);
    for (const t of targets.slice(1)) {
      const a50 = added(t.name, 0.5);
      const a99 = added(t.name, 0.99);
      const r99 = median(perRound.get(t.name)!.map((v, i) => (v.p99 - dr[i]!.p99) / (rr[i]!.p99 - dr[i]!.p99)));
      const cpu = median(perRound.get(t.name)!.map((v) => v.cpu));
      process.stdout.write(
        `  ${t.name.padEnd(12)} added p50 ${String(round(a50)).padStart(7)} µs  p99 ${String(round(a99)).padStart(7)} µs  ÷ relay ×${round(a50 / relay50, 2)} / ×${round(a99 / relay99, 2)}  per-round p99 ratio median ×${round(r99, 2)}  cpu ${round(cpu, 2)} µs/tx (median)\n`,
      );
    }
  } finally {
    for (const g of gateways) await g.stop();
    await gen.stop();
    await relay.stop();
    await server.stop();
  }
}

void main();
