/**
 * `node dist/bench/profile.js [fc] [clients] [seconds] [otgate|relay|passthrough|borrow|inspect|daemon-env]`: runs otgate (or
 * the Node relay, or a proxy variant of bench/peers/proxy-variant.ts) under Modbus load with
 * `node --cpu-prof` and prints the top functions by self time (the evidence behind every
 * hot-path change). The .cpuprofile stays in bench/results/ for Chrome DevTools.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, startGateway } from './lib/gateway';
import { BENCH, modbusPolicy } from './lib/policy';
import { peerScript, ROOT, startChild, startPeer } from './lib/proc';
import { runModbusLoad } from './modbus';
import { describePinning, pinningFromEnv } from './lib/pin';
import { PROXY_VARIANTS } from './lib/proxy-variants';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

/** Self time by function over the last `windowMs` of the profile (the steady state, not start-up), as µs. */
export function topSelf(file: string, n = 25, windowMs = 3000): { fn: string; pct: number; us: number }[] {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; endTime: number };
  const byId = new Map(prof.nodes.map((x) => [x.id, x]));
  const hits = new Map<string, number>();
  const times: number[] = [];
  let t = (prof as unknown as { startTime: number }).startTime;
  for (const d of prof.timeDeltas) times.push((t += d));
  const from = prof.endTime - windowMs * 1000;
  const us = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    if (times[i]! < from) continue;
    const dt = (times[i + 1] ?? times[i]!) - times[i]!;
    const id = prof.samples[i]!;
    const node = byId.get(id)!;
    const f = node.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(node_modules|dist)\//, '$1/').replace(/^file:\/\//, '')}:${f.lineNumber + 1}`;
    hits.set(key, (hits.get(key) ?? 0) + 1);
    us.set(key, (us.get(key) ?? 0) + dt);
    total += dt;
  }
  return [...us.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([fn, u]) => ({ fn, pct: Number(((100 * u) / total).toFixed(1)), us: u }));
}

async function main(): Promise<void> {
  const fc = Number(process.argv[2] ?? 3) as 3 | 16;
  const clients = Number(process.argv[3] ?? 16);
  const seconds = Number(process.argv[4] ?? 5);
  const target = process.argv[5] ?? 'otgate';
  const out = path.join(ROOT, 'bench', 'results', 'profile');
  mkdirSync(out, { recursive: true });
  // Pinned like `npm run bench -- modbus` (BENCH_PIN, bench/lib/pin.ts).
  const pin = pinningFromEnv();
  process.stdout.write(`pinning: ${describePinning(pin)}\n`);
  const server = await startPeer<{ port: number }>('modbus-server', [BENCH.plcHost, '0'], { cpus: pin?.peers });
  const listenPort = await freePort(BENCH.gatewayHost);
  // 100 µs sampling (Node's default is 1 ms): enough samples per function at a few thousand tx/s.
  const prof = ['--cpu-prof', '--cpu-prof-interval', process.env.BENCH_PROF_INTERVAL_US ?? '100', '--cpu-prof-dir', out];
  let r;
  if (target === 'relay') {
    const relay = await startChild<{ port: number }>(process.execPath, [...prof, peerScript('node-relay'), BENCH.relayHost, '0', BENCH.plcHost, String(server.ready.port)], { cpus: pin?.forwarder });
    r = await runModbusLoad({ host: BENCH.relayHost, port: relay.ready.port, clients, fc, warmupMs: 300, durationMs: seconds * 1000, maxTx: 1e9, localAddress: BENCH.client }, pin?.peers);
    await relay.stop();
  } else if ((PROXY_VARIANTS as readonly string[]).includes(target)) {
    // bench/peers/proxy-variant.ts: the proxy with parts switched off (as variants.js).
    const file = path.join(out, `${target}.yaml`);
    writeFileSync(file, modbusPolicy({ listenPort, plcPort: server.ready.port }));
    const v = await startChild<{ port: number }>(process.execPath, [...prof, peerScript('proxy-variant'), target, file, 'hmi-chiller'], { cpus: pin?.forwarder });
    r = await runModbusLoad({ host: BENCH.gatewayHost, port: v.ready.port, clients, fc, warmupMs: 300, durationMs: seconds * 1000, maxTx: 1e9, localAddress: BENCH.client }, pin?.peers);
    await v.stop();
  } else {
    const gw = await startGateway(modbusPolicy({ listenPort, plcPort: server.ready.port }), { nodeArgs: prof, cpus: pin?.forwarder });
    r = await runModbusLoad({ host: BENCH.gatewayHost, port: listenPort, clients, fc, warmupMs: 300, durationMs: seconds * 1000, maxTx: 1e9, localAddress: BENCH.client }, pin?.peers);
    await gw.stop();
  }
  await server.stop();
  const files = readdirSync(out).filter((f) => f.startsWith('CPU.') && f.endsWith('.cpuprofile')).map((f) => path.join(out, f));
  const latest = files.sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs).pop()!;
  const named = path.join(out, `${target}-fc${fc}-${clients}c.cpuprofile`);
  renameSync(latest, named);
  process.stdout.write(`${Math.round(r.txps)} tx/s through ${target} (${r.txAll} tx); profile ${named}\n`);
  // Per transaction: the last 3 s of the profile are steady state at about the measured rate.
  const perTx = 1 / (r.txps * 3);
  const top = topSelf(named, 40);
  const busy = top.filter((t) => !t.fn.startsWith('(idle)')).reduce((a, t) => a + t.us, 0);
  process.stdout.write(`busy ≈ ${(busy * perTx).toFixed(1)} µs/tx (top 40 functions)\n`);
  for (const t of top) process.stdout.write(`${t.pct.toFixed(1).padStart(5)}%  ${(t.us * perTx).toFixed(2).padStart(6)} µs/tx  ${t.fn}\n`);
}

if (require.main === module) void main();
