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

/** ns per decision (rulesFor + evaluateModbus), median of 5 timed loops. */
function timeDecisions(n: number, sameClient: boolean, loops: number): { allowNs: number; denyNs: number; check: string } {
  const p = compilePolicy(spec(n, sameClient), { file: 'scale.yaml', hash: 'h' });
  // Client i = 0 on conduit k0 (rule r0); the same-client case allows only at its last rule.
  const idx = sameClient ? n - CONDUITS : 0;
  const conduit = p.conduits.get('k0')!;
  const addr = ip(0);
  const unit = sameClient ? 1 : (idx % 200) + 1;
  const allowReq = request(unit, 3, idx % 500, 10);
  const denyReq = request(unit, 6, idx % 100, 101); // value above the envelope
  const check = `${evaluateModbus(conduit.rulesFor(addr), allowReq, 0).allow}/${evaluateModbus(conduit.rulesFor(addr), denyReq, 0).allow}`;
  const time = (req: ModbusRequest): number => {
    const xs: number[] = [];
    let sink = 0;
    for (let r = 0; r < 6; r++) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < loops; i++) if (evaluateModbus(conduit.rulesFor(addr), req, i).allow) sink++;
      if (r > 0) xs.push(Number(process.hrtime.bigint() - t0) / loops); // first loop warms the JIT
    }
    if (sink < 0) throw new Error('unreachable');
    return median(xs);
  };
  return { allowNs: round(time(allowReq)), denyNs: round(time(denyReq)), check };
}

export async function benchPolicyScale(ctx: BenchContext): Promise<BenchResult> {
  const sizes = [10, 1_000, 10_000];
  const rows: { rules: number; layout: string; allowNs: number; denyNs: number; check: string }[] = [];
  for (const sameClient of [false, true]) {
    for (const n of sizes) {
      const loops = sameClient && n >= 1000 ? Math.max(2_000, 2_000_000 / n) : 200_000;
      const r = timeDecisions(n, sameClient, loops);
      rows.push({ rules: n, layout: sameClient ? 'all rules name one client (worst case)' : 'one rule per client (plant layout)', ...r });
      ctx.log(`${n} rules, ${sameClient ? 'same client' : 'spread'}: allow ${r.allowNs} ns, deny ${r.denyNs} ns (${r.check})`);
    }
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
