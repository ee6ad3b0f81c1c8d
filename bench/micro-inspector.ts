/**
 * `node dist/bench/micro-inspector.js [fc] [n]`: the Modbus inspector alone, in process, fed a
 * request and its response n times with a sink that only counts — ns per transaction with a
 * no-op env and with the daemon's GatewayEnv (metrics, traffic counters, sampled audit rows).
 * No sockets: this isolates the per-frame JS cost the forwarding path adds.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AuditStore, trafficFlowOf } from '../daemon/audit/store';
import { GatewayEnv } from '../daemon/gateway-env';
import type { FlowContext, PipelineEnv } from '../daemon/pipeline/contract';
import { createModbusInspector } from '../daemon/pipeline/modbus-inspector';
import { loadAndCompile, PolicyHolder } from '../daemon/policy-holder';
import { countFrame } from '../daemon/stats';
import { BENCH, modbusPolicy } from './lib/policy';
import { requestFor } from './peers/modbus-load';

export function response(fc: 3 | 16, tid: number): Buffer {
  if (fc === 3) {
    const b = Buffer.alloc(9 + 20);
    b.writeUInt16BE(tid, 0);
    b.writeUInt16BE(3 + 20, 4);
    b[6] = 1;
    b[7] = 3;
    b[8] = 20;
    return b;
  }
  const b = Buffer.alloc(12);
  b.writeUInt16BE(tid, 0);
  b.writeUInt16BE(6, 4);
  b[6] = 1;
  b[7] = 16;
  b.writeUInt16BE(100, 8);
  b.writeUInt16BE(10, 10);
  return b;
}

export function microInspector(fc: 3 | 16, n: number, envKind: 'noop' | 'daemon'): number {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'otgate-micro-'));
  const file = path.join(dir, 'policy.yaml');
  writeFileSync(file, modbusPolicy({ listenPort: 5020, plcPort: 5021 }));
  const loaded = loadAndCompile(file);
  if (!loaded.ok) throw new Error('policy');
  const policy = loaded.policy;
  let env: PipelineEnv;
  let audit: AuditStore | null = null;
  if (envKind === 'daemon') {
    const holder = new PolicyHolder(policy, file);
    const store = AuditStore.open(path.join(dir, 'audit.db'));
    audit = store;
    const g = new GatewayEnv(holder, countFrame, (ctx) => store.trafficCounter(trafficFlowOf(ctx, holder.policy)));
    g.onDecision((e) => store.enqueue(e));
    env = g;
  } else {
    env = { policy: () => policy, now: () => Date.now(), hrnow: () => process.hrtime.bigint(), record: () => {}, sampleAllowed: () => false, count: () => {}, violation: () => {} };
  }
  let forwarded = 0;
  const ctx: FlowContext = { flowId: 'micro', conduit: 'hmi-chiller', protocol: 'modbus', client: { ip: BENCH.client, port: 40000 }, server: { ip: BENCH.plcHost, port: 5021 }, passive: false };
  const insp = createModbusInspector(ctx, env, { forward: (_d, b) => (forwarded += b.length), reply: () => {}, close: () => {} });
  // A ring of distinct buffers (as the socket layer hands out fresh chunks).
  const reqs = Array.from({ length: 256 }, (_, i) => requestFor(fc, i));
  const ress = Array.from({ length: 256 }, (_, i) => response(fc, i));
  const loop = (k: number) => {
    for (let i = 0; i < k; i++) {
      insp.feed('c2s', reqs[i & 255]!);
      insp.feed('s2c', ress[i & 255]!);
    }
  };
  loop(50_000); // warm up the JIT
  const t0 = process.hrtime.bigint();
  loop(n);
  const ns = Number(process.hrtime.bigint() - t0) / n;
  insp.end();
  audit?.close();
  if (forwarded === 0) throw new Error('nothing forwarded');
  return ns;
}

if (require.main === module) {
  const fc = Number(process.argv[2] ?? 3) as 3 | 16;
  const n = Number(process.argv[3] ?? 300_000);
  // A/B in one process: `micro-inspector.js FC N /other/build/dist` loads the other build's copy
  // of this file (its own modules) and alternates the two, 7 passes each; medians printed.
  const alt = process.argv[4];
  if (alt !== undefined) {
    const other = (require(path.resolve(alt, 'bench', 'micro-inspector.js')) as { microInspector: typeof microInspector }).microInspector;
    for (const k of ['noop', 'daemon'] as const) {
      const a: number[] = [];
      const b: number[] = [];
      for (let i = 0; i < 7; i++) {
        b.push(other(fc, n, k));
        a.push(microInspector(fc, n, k));
      }
      const med = (xs: number[]) => xs.sort((x, y) => x - y)[xs.length >> 1]!;
      process.stdout.write(`FC ${fc} inspector, ${k} env: this build ${med(a).toFixed(0)} ns/tx, ${alt} ${med(b).toFixed(0)} ns/tx (medians of 7, alternating)\n`);
    }
  } else for (const k of ['noop', 'daemon'] as const) {
    const xs = [microInspector(fc, n, k), microInspector(fc, n, k), microInspector(fc, n, k)].sort((a, b) => a - b);
    process.stdout.write(`FC ${fc} inspector, ${k} env: ${xs[1]!.toFixed(0)} ns/tx (min ${xs[0]!.toFixed(0)})\n`);
  }
}
