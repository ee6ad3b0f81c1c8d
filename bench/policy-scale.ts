/**
 * Measure 5 — per-decision cost with 10, 1,000 and 10,000 rules: in process, the compiled
 * policy's `rulesFor(client)` + `evaluateModbus` for an allowed FC 3 read and a denied FC 6
 * write, rules spread over as many clients (each asset has its own rule, as in a plant), plus
 * the degenerate case where every rule names the same client (linear by design, reported).
 */
import { decodeModbusAdu } from '../protocols/modbus';
import type { ModbusRequest } from '../protocols/modbus/types';
import { compilePolicy } from '../rules/compile';
import { evaluateModbus } from '../rules/matchers/modbus';
import type { Policy } from '../rules/schema/policy';
import { median, ratio, round } from './lib/stats';
import type { BenchContext, BenchResult } from './lib/types';

const CONDUITS = 10;
const ip = (i: number): string => `10.20.${i >> 8}.${i & 255}`;

function spec(n: number, sameClient: boolean): Policy {
  const clients = sameClient ? 1 : n;
  const assets: Policy['assets'] = [];
  for (let i = 0; i < clients; i++) assets.push({ name: `c${i}`, zone: 'sup', address: ip(i) });
  for (let k = 0; k < CONDUITS; k++) assets.push({ name: `plc${k}`, zone: 'ctl', address: `10.10.0.${k + 1}` });
  const conduits: Policy['conduits'] = [];
  for (let k = 0; k < CONDUITS; k++) {
    const rules: Policy['conduits'][number]['rules'] = [];
    for (let i = k; i < n; i += CONDUITS) {
      // Same-client case: every rule is for c0 on conduit k0 and only the last one allows the read.
      const client = sameClient ? 'c0' : `c${i}`;
      const unit = sameClient ? (i === n - CONDUITS ? 1 : 2 + (i % 200)) : (i % 200) + 1;
      rules.push({
        name: `r${i}`,
        clients: [client],
        modbus: {
          unit_ids: [unit],
          functions: ['read-only', 6],
          read: { holding_registers: [`${i % 500}-${(i % 500) + 10}`] },
          write: { holding_registers: [{ range: `${i % 100}`, min: 0, max: 100 }] },
        },
      });
    }
    conduits.push({ name: `k${k}`, from_zone: 'sup', to_zone: 'ctl', protocol: 'modbus', listen: `10.20.255.${k + 1}:502`, upstream: { asset: `plc${k}`, port: 502 }, rules });
  }
  return { version: 1, site: 'scale', zones: [{ name: 'sup', level: 2, networks: ['10.20.0.0/16'] }, { name: 'ctl', level: 1, networks: ['10.10.0.0/16'] }], assets, conduits };
}

function request(unit: number, fc: number, a: number, b: number): ModbusRequest {
  const buf = Buffer.from([0, 1, 0, 0, 0, 6, unit, fc, a >> 8, a & 255, b >> 8, b & 255]);
  const r = decodeModbusAdu(buf, 0, 'request');
  if (r.kind !== 'frame' || r.frame.kind !== 'request') throw new Error('bad bench request');
  return r.frame;
}

interface Case {
  readonly n: number;
  readonly sameClient: boolean;
  readonly loops: number;
  readonly run: (req: ModbusRequest, loops: number) => void;
  readonly allowReq: ModbusRequest;
  readonly denyReq: ModbusRequest;
  readonly check: string;
  readonly allow: number[];
  readonly deny: number[];
}

function prepare(n: number, sameClient: boolean, loops: number): Case {
  const p = compilePolicy(spec(n, sameClient), { file: 'scale.yaml', hash: 'h' });
  // Client i = 0 on conduit k0 (rule r0); the same-client case allows only at its last rule.
  const idx = sameClient ? n - CONDUITS : 0;
  const conduit = p.conduits.get('k0')!;
  const addr = ip(0);
  const unit = sameClient ? 1 : (idx % 200) + 1;
  const allowReq = request(unit, 3, idx % 500, 10);
  const denyReq = request(unit, 6, idx % 100, 101); // value above the envelope
  const check = `${evaluateModbus(conduit.rulesFor(addr), allowReq, 0).allow}/${evaluateModbus(conduit.rulesFor(addr), denyReq, 0).allow}`;
  let sink = 0;
  const run = (req: ModbusRequest, k: number): void => {
    for (let i = 0; i < k; i++) if (evaluateModbus(conduit.rulesFor(addr), req, i).allow) sink++;
    if (sink < 0) throw new Error('unreachable');
  };
  return { n, sameClient, loops, run, allowReq, denyReq, check, allow: [], deny: [] };
}

const ROUNDS = 7;

/**
 * ns per decision (rulesFor + evaluateModbus). Every policy is compiled first and stays alive,
 * then the sizes are timed in turn, round after round (order rotated), medians of the rounds
 * after a warm-up one: each size sees the same heap and the same JIT state, so the 10 vs
 * 10,000 ratio is the decision path's, not which size happened to run first.
 */
function timeAll(cases: readonly Case[]): void {
  for (let r = 0; r <= ROUNDS; r++) {
    for (let k = 0; k < cases.length; k++) {
      const c = cases[(k + r) % cases.length]!;
      for (const [req, out] of [[c.allowReq, c.allow], [c.denyReq, c.deny]] as const) {
        const t0 = process.hrtime.bigint();
        c.run(req, c.loops);
        if (r > 0) out.push(Number(process.hrtime.bigint() - t0) / c.loops); // round 0 warms the JIT
      }
    }
  }
}

export async function benchPolicyScale(ctx: BenchContext): Promise<BenchResult> {
  const sizes = [10, 1_000, 10_000];
  const cases: Case[] = [];
  for (const sameClient of [false, true]) {
    for (const n of sizes) cases.push(prepare(n, sameClient, sameClient && n >= 1000 ? Math.max(2_000, 2_000_000 / n) : 100_000));
  }
  timeAll(cases);
  const rows: { rules: number; layout: string; allowNs: number; denyNs: number; check: string }[] = [];
  for (const c of cases) {
    const r = { allowNs: round(median(c.allow)), denyNs: round(median(c.deny)), check: c.check };
    rows.push({ rules: c.n, layout: c.sameClient ? 'all rules name one client (worst case)' : 'one rule per client (plant layout)', ...r });
    ctx.log(`${c.n} rules, ${c.sameClient ? 'same client' : 'spread'}: allow ${r.allowNs} ns, deny ${r.denyNs} ns (${r.check}; ${ROUNDS} interleaved rounds)`);
  }
  const spread = rows.filter((r) => r.layout.startsWith('one'));
  const at10 = spread[0]!;
  const at10k = spread[2]!;
  const allowRatio = ratio(at10k.allowNs, at10.allowNs);
  const denyRatio = ratio(at10k.denyNs, at10.denyNs);
  return {
    name: 'policy-scale',
    title: 'Per-decision cost (rulesFor + evaluateModbus, in process) by policy size',
    setup: { conduits: CONDUITS, note: 'deny builds its reason text; allow returns a prebuilt verdict' },
    data: rows,
    table: {
      head: ['rules', 'layout', 'allow ns/decision', 'deny ns/decision', 'allow/deny'],
      rows: rows.map((r) => [r.rules, r.layout, r.allowNs, r.denyNs, r.check]),
    },
    budget: [
      { what: '10,000 vs 10 rules per decision (allow)', target: '≤ 1.2×', reached: `×${allowRatio}`, met: allowRatio <= 1.2 },
      { what: '10,000 vs 10 rules per decision (deny)', target: '≤ 1.2×', reached: `×${denyRatio}`, met: denyRatio <= 1.2 },
    ],
  };
}
