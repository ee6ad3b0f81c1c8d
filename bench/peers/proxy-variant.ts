/**
 * Bench-only: the proxy with parts switched off, to find where the forwarding cost goes.
 * Variants: `passthrough` (ProxyConnection, an inspector that forwards each chunk untouched),
 * `borrow` (the same, declaring `borrowsChunks`: both sides read with `onread`, as Modbus does),
 * `inspect` (the real Modbus inspector, a no-op env: no audit, no metrics), `daemon-env`
 * (the real inspector and the daemon's GatewayEnv with metrics, audit store in a temp dir).
 * Usage: node proxy-variant.js VARIANT POLICY_FILE CONDUIT → prints {"port":N}.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { InspectorFactory, PipelineEnv } from '../../daemon/pipeline/contract';
import { overrideInspector } from '../../daemon/pipeline/registry';
import { loadAndCompile, PolicyHolder } from '../../daemon/policy-holder';
import { ProxyServer } from '../../daemon/proxy/proxy-server';
import { GatewayEnv } from '../../daemon/gateway-env';
import { AuditStore, trafficFlowOf } from '../../daemon/audit/store';
import { countFrame } from '../../daemon/stats';

const [variant = 'passthrough', file = '', conduit = ''] = process.argv.slice(2);
const loaded = loadAndCompile(file);
if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
const policy = loaded.policy;

const passthrough: InspectorFactory = (_ctx, _env, sink) => ({
  feed: (dir, chunk) => sink.forward(dir, chunk),
  tick: () => {},
  end: () => {},
});

let env: PipelineEnv;
if (variant === 'daemon-env') {
  const holder = new PolicyHolder(policy, file);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'otgate-variant-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const audit = AuditStore.open(path.join(dir, 'audit.db'));
  const g = new GatewayEnv(holder, countFrame, (ctx) => audit.trafficCounter(trafficFlowOf(ctx, holder.policy)));
  g.onDecision((e) => audit.enqueue(e));
  env = g;
} else {
  env = {
    policy: () => policy,
    now: () => Date.now(),
    hrnow: () => process.hrtime.bigint(),
    record: () => {},
    sampleAllowed: () => false,
    count: () => {},
    violation: () => {},
  };
}
const borrow: InspectorFactory = (ctx, e, sink) => ({ ...passthrough(ctx, e, sink), borrowsChunks: true });
if (variant === 'passthrough') overrideInspector('modbus', passthrough);
if (variant === 'borrow') overrideInspector('modbus', borrow);

const proxy = new ProxyServer(env, {
  onListening: (c, a) => {
    if (c === conduit) process.stdout.write(`${JSON.stringify({ port: a.port })}\n`);
  },
});
void proxy.apply(policy);
process.on('SIGTERM', () => process.exit(0));
