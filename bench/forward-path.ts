/**
 * `node dist/bench/forward-path.js [fc] [n] [other build's dist …]`: what the forwarding thread
 * pays for evidence, in process, per build (this one first, then each other build's dist/, whose
 * own modules are loaded; the files used exist in every build since the audit store):
 *
 * 1. Time to forward: the Modbus inspector with the daemon's GatewayEnv and audit store
 *    (benchmark policy, `sample_every: 100`) is fed a request and its response n times; for each
 *    request, the time from feed() to the sink's forward call — p50 / p99 / p99.9, and the median
 *    of the sampled requests' (every 100th), whose event the older builds built before forwarding.
 * 2. Audit writes on the forwarding thread: the store as the daemon opens it (this build: the
 *    writer thread; older builds: their own options), 20 rows per flush tick (200 rows a second):
 *    the time its background write steps take on this thread per tick, p50 and max.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AuditStore } from '../daemon/audit/store';
import type { GatewayEnv } from '../daemon/gateway-env';
import type { FlowContext, InspectorFactory } from '../daemon/pipeline/contract';
import type { loadAndCompile, PolicyHolder } from '../daemon/policy-holder';
import type { countFrame } from '../daemon/stats';
import type { trafficFlowOf } from '../daemon/audit/store';
import { Histogram, round } from './lib/stats';
import { BENCH, modbusPolicy } from './lib/policy';
import { requestFor } from './peers/modbus-load';
import { response } from './micro-inspector';

interface Build {
  readonly createModbusInspector: InspectorFactory;
  readonly GatewayEnv: typeof GatewayEnv;
  readonly AuditStore: typeof AuditStore;
  readonly trafficFlowOf: typeof trafficFlowOf;
  readonly loadAndCompile: typeof loadAndCompile;
  readonly PolicyHolder: typeof PolicyHolder;
  readonly countFrame: typeof countFrame;
}

function loadBuild(dist: string): Build {
  const r = (m: string) => require(path.join(dist, m)) as Record<string, unknown>;
  return { ...r('daemon/pipeline/modbus-inspector.js'), ...r('daemon/gateway-env.js'), ...r('daemon/audit/store.js'), ...r('daemon/policy-holder.js'), ...r('daemon/stats.js') } as unknown as Build;
}

/** The store as `otgate run` opens it in that build (daemon/app.ts): the writer thread here, older builds' own choice. */
function daemonStoreOptions(b: Build): Record<string, unknown> {
  return 'writerGone' in b.AuditStore.prototype ? { writeInWorker: true } : { checkpointInWorker: true, batchSize: 8 };
}

function timeToForward(b: Build, fc: 3 | 16, n: number) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'otgate-fwd-'));
  const file = path.join(dir, 'policy.yaml');
  writeFileSync(file, modbusPolicy({ listenPort: 5020, plcPort: 5021 }));
  const loaded = b.loadAndCompile(file);
  if (!loaded.ok) throw new Error('policy');
  const holder = new b.PolicyHolder(loaded.policy, file);
  const store = b.AuditStore.open(path.join(dir, 'audit.db'), { ...daemonStoreOptions(b), flushIntervalMs: 100 });
  const env = new b.GatewayEnv(holder, b.countFrame, (ctx) => store.trafficCounter(b.trafficFlowOf(ctx, holder.policy)));
  env.onDecision((e) => store.enqueue(e));
  const ctx: FlowContext = { flowId: 'fwd', conduit: 'hmi-chiller', protocol: 'modbus', client: { ip: BENCH.client, port: 40000 }, server: { ip: BENCH.plcHost, port: 5021 }, passive: false };
  let at = 0n;
  const insp = b.createModbusInspector(ctx, env, {
    forward: (d) => {
      if (d === 'c2s' && at === 0n) at = process.hrtime.bigint();
    },
    reply: () => {},
    close: () => {},
  });
  const reqs = Array.from({ length: 256 }, (_, i) => requestFor(fc, i));
  const ress = Array.from({ length: 256 }, (_, i) => response(fc, i));
  const all = new Histogram();
  const sampled: number[] = [];
  const run = (k: number, record: boolean) => {
    for (let i = 0; i < k; i++) {
      at = 0n;
      const t0 = process.hrtime.bigint();
      insp.feed('c2s', reqs[i & 255]!);
      const ns = Number(at - t0);
      insp.feed('s2c', ress[i & 255]!);
      if (!record) continue;
      all.add(ns);
      if (i % 100 === 99) sampled.push(ns); // GatewayEnv samples the 100th, 200th, … allowed request
    }
  };
  run(100_000, false); // JIT warm-up (and the sampling counter's phase: 100,000 is a multiple of 100)
  run(n, true);
  insp.end();
  store.close();
  rmSync(dir, { recursive: true, force: true });
  sampled.sort((x, y) => x - y);
  const us = (q: number) => round(all.quantile(q), 2);
  return { p50: us(0.5), p99: us(0.99), p999: us(0.999), sampledP50: round(sampled[sampled.length >> 1]! / 1000, 2) };
}

/**
 * Forwarding-thread time the store's background writes take per flush tick: 20 rows queued (a
 * 100 ms tick at 200 rows a second), then the store's own timer step, timed around each of its
 * `writeInBackground` turns (the builds' common method; older ones run several, one commit
 * each, with a setImmediate between).
 */
async function auditWriteTurns(b: Build, ticks = 150) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'otgate-stall-'));
  const store = b.AuditStore.open(path.join(dir, 'audit.db'), { ...daemonStoreOptions(b), flushIntervalMs: 3_600_000 });
  const s = store as unknown as { writeInBackground(): void };
  const orig = s.writeInBackground.bind(store);
  let turns: number[] = [];
  s.writeInBackground = () => {
    const t0 = process.hrtime.bigint();
    orig();
    turns.push(Number(process.hrtime.bigint() - t0) / 1000);
  };
  const perTick: number[] = [];
  const worst: number[] = [];
  let i = 0;
  for (let k = 0; k < ticks + 20; k++) {
    for (let r = 0; r < 20; r++) store.enqueue(auditRow(i++));
    turns = [];
    s.writeInBackground();
    await new Promise((r) => setTimeout(r, 10)); // its continuations (and the writer's commit) run
    if (k >= 20) {
      perTick.push(turns.reduce((a, x) => a + x, 0)); // the first 20 ticks warm up
      worst.push(Math.max(...turns));
    }
  }
  store.close();
  rmSync(dir, { recursive: true, force: true });
  const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
  return { perTickP50: round(med(perTick)), perTickMax: round(Math.max(...perTick)), longestTurnP50: round(med(worst)) };
}

function auditRow(i: number) {
  return {
    ts: Date.now(), flow: `f${i % 16}`, conduit: 'hmi-chiller', proto: 'modbus' as const, src: `${BENCH.client}:40000`, dst: `${BENCH.plcHost}:502`,
    clientAsset: 'hmi-1', serverAsset: 'chiller-plc', dir: 'request' as const, verdict: 'allow' as const, action: 'forwarded' as const,
    rule: 'hmi-reads', reason: null, anomaly: null, technique: null, summary: `FC 3 read holding_registers ${i}..${i + 9} unit 1`, fields: { fc: 3, unit: 1, address: i, quantity: 10 },
  };
}

async function main(): Promise<void> {
  const fc = Number(process.argv[2] ?? 3) as 3 | 16;
  const n = Number(process.argv[3] ?? 200_000);
  const builds = [path.resolve(__dirname, '..'), ...process.argv.slice(4).map((p) => path.resolve(p))];
  for (const dist of builds) {
    const b = loadBuild(dist);
    const t = timeToForward(b, fc, n);
    const w = await auditWriteTurns(b);
    process.stdout.write(
      `${dist}\n  FC ${fc} time to forward a request (µs): p50 ${t.p50}  p99 ${t.p99}  p99.9 ${t.p999}  sampled requests' p50 ${t.sampledP50}\n` +
        `  audit writes on this thread per 100 ms tick of 20 rows (µs): p50 ${w.perTickP50}, max ${w.perTickMax}; longest single turn p50 ${w.longestTurnP50}\n`,
    );
  }
}

if (require.main === module) void main();
