/**
 * Drives one inspector directly (no sockets): a recording ActionSink, a PipelineEnv over a
 * compiled policy file, and a controllable clock. For inspector unit and property tests.
 */
import path from 'node:path';
import type { ActionSink, DecisionEvent, FlowContext, InspectorFactory, PipelineEnv, ProtocolInspector } from '../../daemon/pipeline/contract';
import { loadAndCompile } from '../../daemon/policy-holder';
import type { CompiledPolicy } from '../../rules/compiled';

export const EXAMPLES = path.resolve(__dirname, '..', '..', 'examples');

export function compiled(file: string): CompiledPolicy {
  const out = loadAndCompile(file);
  if (!out.ok) throw new Error(out.errors.map((e) => `${e.file}:${e.line}:${e.col} ${e.message}`).join('\n'));
  return out.policy;
}

export interface Harness {
  readonly inspector: ProtocolInspector;
  readonly forwarded: { c2s: Buffer[]; s2c: Buffer[] };
  readonly replies: { c2s: Buffer[]; s2c: Buffer[] };
  readonly events: DecisionEvent[];
  readonly violations: DecisionEvent[];
  closed: string | null;
  clock: number;
}

/** `policy`: the running policy, or a function returning it (a test that reloads). */
export function harness(factory: InspectorFactory, policy: CompiledPolicy | null | (() => CompiledPolicy | null), ctx: Partial<FlowContext> & Pick<FlowContext, 'protocol'>): Harness {
  const h = {
    forwarded: { c2s: [] as Buffer[], s2c: [] as Buffer[] },
    replies: { c2s: [] as Buffer[], s2c: [] as Buffer[] },
    events: [] as DecisionEvent[],
    violations: [] as DecisionEvent[],
    closed: null as string | null,
    clock: 1_700_000_000_000,
  };
  const env: PipelineEnv = {
    policy: typeof policy === 'function' ? policy : () => policy,
    now: () => h.clock,
    hrnow: () => process.hrtime.bigint(),
    record: (e) => h.events.push(e),
    sampleAllowed: () => true,
    count: () => undefined,
    violation: (e) => h.violations.push(e),
  };
  const sink: ActionSink = {
    // Copy: a forwarded view may alias a buffer the inspector reuses.
    forward: (dir, b) => h.forwarded[dir].push(Buffer.from(b)),
    reply: (dir, b) => h.replies[dir].push(Buffer.from(b)),
    close: (reason) => {
      h.closed = reason;
    },
  };
  const full: FlowContext = {
    flowId: 'f1',
    conduit: null,
    client: { ip: '127.0.0.1', port: 40000 },
    server: { ip: '127.0.0.2', port: 502 },
    passive: false,
    ...ctx,
  };
  return Object.assign(h, { inspector: factory(full, env, sink) });
}

/** Split a buffer at the given cut points (sorted, deduplicated, inside the buffer). */
export function splitAt(buf: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => Math.max(0, Math.min(buf.length, c))))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, buf.length]) {
    if (p > prev) out.push(buf.subarray(prev, p));
    prev = p;
  }
  return out;
}
