/**
 * Measure 1 — Modbus TCP FC 3 (read 10 holding registers) and FC 16 (write 10) with 1, 16 and
 * 64 clients, one outstanding request each: latency p50/p99/p99.9 and tx/s, directly, through a
 * plain Node relay, socat, and otgate (100-rule policy, enforce, audit allowed: sample).
 */
import { nodeArgsFromEnv, startGateway } from './lib/gateway';
import { BENCH, modbusPolicy, ruleCount } from './lib/policy';
import { cpuUs, startPeer } from './lib/proc';
import { ratio } from './lib/stats';
import { interleave, startRelays, type Target, type TargetFigures } from './lib/targets';
import type { LoadResult, LoadSpec } from './peers/modbus-load';
import type { BenchContext, BenchResult } from './lib/types';

export async function runModbusLoad(spec: LoadSpec): Promise<LoadResult> {
  const c = await startPeer<LoadResult & { error?: string }>('modbus-load', [JSON.stringify(spec)], { timeoutMs: spec.warmupMs + spec.durationMs + 30_000 });
  if (c.ready.error) throw new Error(`load generator: ${c.ready.error}`);
  return c.ready;
}

export interface ModbusCase {
  readonly fc: 3 | 16;
  readonly clients: number;
  readonly figures: TargetFigures[];
  readonly loads: number[];
  /** otgate's added latency ÷ the Node relay's, and its tx/s ÷ the Node relay's. */
  readonly vsNodeRelay: { p50: number; p99: number; p999: number; txps: number; cpu: number };
  readonly budget: { p50: boolean; p99: boolean; txps: boolean | null };
}

export async function benchModbus(ctx: BenchContext): Promise<BenchResult> {
  const server = await startPeer<{ port: number }>('modbus-server', [BENCH.plcHost, '0']);
  const relays = await startRelays({ host: BENCH.plcHost, port: server.ready.port }, { node: BENCH.relayHost, socat: BENCH.socatHost });
  const { freePort } = await import('./lib/gateway');
  const ALT_HOST = '127.0.20.8';
  const listenPort = await freePort(BENCH.gatewayHost);
  const policy = modbusPolicy({ listenPort, plcPort: server.ready.port });
  const gw = await startGateway(policy);
  // Optional A/B, interleaved with the rest: the daemon with other Node flags
  // (BENCH_OTGATE_ALT_ARGS, e.g. a V8 memory flag) and/or another build (BENCH_OTGATE_ALT_MAIN).
  const altArgs = nodeArgsFromEnv('BENCH_OTGATE_ALT_ARGS');
  const altMain = process.env.BENCH_OTGATE_ALT_MAIN;
  const withAlt = altArgs.length > 0 || altMain !== undefined;
  const altPort = withAlt ? await freePort(ALT_HOST) : 0;
  const alt = withAlt
    ? await startGateway(modbusPolicy({ listenPort: altPort, plcPort: server.ready.port }).replace(`listen: ${BENCH.gatewayHost}:`, `listen: ${ALT_HOST}:`), { nodeArgs: altArgs, main: altMain })
    : null;
  const targets: Target[] = [
    { name: 'direct', host: BENCH.plcHost, port: server.ready.port },
    ...relays.targets,
    { name: 'otgate', host: BENCH.gatewayHost, port: listenPort, pid: gw.pid },
    ...(alt === null ? [] : [{ name: 'otgate-alt', host: ALT_HOST, port: altPort, pid: alt.pid }]),
  ].filter((t) => ctx.targets === null || ctx.targets.includes(t.name)) as Target[];
  const cases: ModbusCase[] = [];
  try {
    for (const fc of ctx.modbusFcs) {
      for (const clients of ctx.modbusClients) {
        ctx.log(`modbus FC ${fc}, ${clients} client(s): ${ctx.rounds} rounds × ${targets.length} targets × ${ctx.seconds} s`);
        const { figures, loads } = await interleave(targets, ctx.rounds, async (t) => {
          const cpu0 = t.pid === undefined ? NaN : cpuUs(t.pid);
          const r = await runModbusLoad({
            host: t.host, port: t.port, clients, fc, warmupMs: 300, durationMs: ctx.seconds * 1000, maxTx: 5_000_000, localAddress: BENCH.client,
          });
          const cpuUsPerTx = t.pid === undefined ? NaN : (cpuUs(t.pid) - cpu0) / r.txAll;
          return { txps: r.txps, hist: r.hist, errors: r.errors, cpuUsPerTx };
        });
        const og = figures.find((f) => f.target === 'otgate')!;
        const nr = figures.find((f) => f.target === 'node-relay')!;
        const vs = {
          p50: ratio(og.addedUs!.p50, nr.addedUs!.p50),
          p99: ratio(og.addedUs!.p99, nr.addedUs!.p99),
          p999: ratio(og.addedUs!.p999, nr.addedUs!.p999),
          txps: ratio(og.txps, nr.txps),
          cpu: ratio(og.cpuUsPerTx, nr.cpuUsPerTx),
        };
        cases.push({
          fc, clients, figures, loads, vsNodeRelay: vs,
          budget: { p50: vs.p50 <= 1.1, p99: vs.p99 <= 1.15, txps: clients >= 16 ? vs.txps >= 0.85 : null },
        });
        ctx.log(`  ${figures.map((f) => `${f.target} p50 ${f.latencyUs.p50} p99 ${f.latencyUs.p99} µs ${f.txps} tx/s${Number.isFinite(f.cpuUsPerTx) ? ` ${f.cpuUsPerTx} cpu µs/tx` : ''}`).join(' | ')}`);
        ctx.log(`  otgate/node-relay added: p50 ×${vs.p50} p99 ×${vs.p99}; tx/s ×${vs.txps}; cpu/tx ×${vs.cpu}`);
        const oa = figures.find((f) => f.target === 'otgate-alt');
        if (oa) {
          ctx.log(`  otgate-alt (${[...altArgs, altMain ?? ''].join(' ').trim()})/node-relay added: p50 ×${ratio(oa.addedUs!.p50, nr.addedUs!.p50)} p99 ×${ratio(oa.addedUs!.p99, nr.addedUs!.p99)}; tx/s ×${ratio(oa.txps, nr.txps)}; cpu/tx ×${ratio(oa.cpuUsPerTx, nr.cpuUsPerTx)}`);
        }
      }
    }
  } finally {
    await alt?.stop();
    await gw.stop();
    await relays.stop();
    await server.stop();
  }
  return {
    name: 'modbus',
    title: 'Modbus TCP FC 3 / FC 16, 10 registers, one outstanding request per client',
    setup: { rules: ruleCount(policy), mode: 'enforce', otgateNodeArgs: nodeArgsFromEnv('BENCH_OTGATE_NODE_ARGS'), otgateAltNodeArgs: altArgs, otgateAltMain: altMain ?? null, auditAllowed: 'sample (1 in 100)', rounds: ctx.rounds, secondsPerRound: ctx.seconds },
    data: cases,
    table: modbusTable(cases),
    budget: modbusBudget(cases),
  };
}

export function modbusTable(cases: readonly ModbusCase[]): { head: string[]; rows: (string | number)[][] } {
  const rows: (string | number)[][] = [];
  for (const c of cases) {
    for (const f of c.figures) {
      const isOg = f.target === 'otgate';
      rows.push([
        `FC ${c.fc}`, c.clients, f.target, f.latencyUs.p50, f.latencyUs.p99, f.latencyUs.p999,
        f.addedUs ? `+${f.addedUs.p50} / +${f.addedUs.p99}` : '',
        f.txps,
        Number.isFinite(f.cpuUsPerTx) ? f.cpuUsPerTx : '',
        isOg ? `×${c.vsNodeRelay.p50} / ×${c.vsNodeRelay.p99} / ×${c.vsNodeRelay.txps} / ×${c.vsNodeRelay.cpu}` : '',
      ]);
    }
  }
  return { head: ['FC', 'clients', 'target', 'p50 µs', 'p99 µs', 'p99.9 µs', 'added p50/p99 µs', 'tx/s', 'cpu µs/tx', 'otgate ÷ node relay: added p50 / p99, tx/s, cpu/tx'], rows };
}

export function modbusBudget(cases: readonly ModbusCase[]) {
  return cases.flatMap((c) => [
    { what: `FC ${c.fc} ${c.clients} cl: added p50 vs node relay`, target: '≤ 1.1×', reached: `×${c.vsNodeRelay.p50}`, met: c.budget.p50 },
    { what: `FC ${c.fc} ${c.clients} cl: added p99 vs node relay`, target: '≤ 1.15×', reached: `×${c.vsNodeRelay.p99}`, met: c.budget.p99 },
    ...(c.budget.txps === null ? [] : [{ what: `FC ${c.fc} ${c.clients} cl: tx/s vs node relay`, target: '≥ 0.85×', reached: `×${c.vsNodeRelay.txps}`, met: c.budget.txps }]),
  ]);
}
