/**
 * `node dist/bench/variants.js [fc] [clients] [rounds] [seconds]`: CPU per transaction and
 * tx/s of the proxy with parts switched off (bench/peers/proxy-variant.ts) next to the plain
 * Node relay and the full daemon. Used to find, and prove, hot-path optimizations.
 */
import { freePort, startGateway } from './lib/gateway';
import { BENCH, modbusPolicy } from './lib/policy';
import { cpuUs, startPeer } from './lib/proc';
import { startProxyVariants } from './lib/proxy-variants';
import { median, round } from './lib/stats';
import { runModbusLoad } from './modbus';
import { describePinning, pinningFromEnv } from './lib/pin';

async function main(): Promise<void> {
  const fc = Number(process.argv[2] ?? 3) as 3 | 16;
  const clients = Number(process.argv[3] ?? 16);
  const rounds = Number(process.argv[4] ?? 3);
  const seconds = Number(process.argv[5] ?? 2);
  // Pinned like `npm run bench -- modbus` (BENCH_PIN, bench/lib/pin.ts).
  const pin = pinningFromEnv();
  process.stdout.write(`pinning: ${describePinning(pin)}\n`);
  const server = await startPeer<{ port: number }>('modbus-server', [BENCH.plcHost, '0'], { cpus: pin?.peers });
  const relay = await startPeer<{ port: number }>('node-relay', [BENCH.relayHost, '0', BENCH.plcHost, String(server.ready.port)], { cpus: pin?.forwarder });
  const targets: { name: string; host: string; port: number; pid: number }[] = [{ name: 'node-relay', host: BENCH.relayHost, port: relay.ready.port, pid: relay.pid }];
  const stops: (() => Promise<unknown>)[] = [() => relay.stop(), () => server.stop()];
  const variants = await startProxyVariants(['passthrough', 'inspect', 'daemon-env'], server.ready.port, pin?.forwarder);
  stops.push(() => variants.stop());
  for (const v of variants.running) targets.push({ name: v.variant, host: v.host, port: v.port, pid: v.pid });
  const gport = await freePort(BENCH.gatewayHost);
  const gw = await startGateway(modbusPolicy({ listenPort: gport, plcPort: server.ready.port }), { cpus: pin?.forwarder });
  stops.push(() => gw.stop());
  targets.push({ name: 'daemon', host: BENCH.gatewayHost, port: gport, pid: gw.pid });
  const res = new Map<string, { cpu: number[]; txps: number[] }>();
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < targets.length; i++) {
      const t = targets[(i + r) % targets.length]!;
      const c0 = cpuUs(t.pid);
      const x = await runModbusLoad({ host: t.host, port: t.port, clients, fc, warmupMs: 300, durationMs: seconds * 1000, maxTx: 1e9, localAddress: BENCH.client }, pin?.peers);
      const e = res.get(t.name) ?? { cpu: [], txps: [] };
      e.cpu.push((cpuUs(t.pid) - c0) / x.txAll);
      e.txps.push(x.txps);
      res.set(t.name, e);
    }
  }
  for (const s of stops.reverse()) await s();
  for (const t of targets) {
    const e = res.get(t.name)!;
    process.stdout.write(`${t.name.padEnd(12)} ${String(round(median(e.cpu), 2)).padStart(7)} cpu µs/tx  ${String(Math.round(median(e.txps))).padStart(7)} tx/s\n`);
  }
}

void main();
