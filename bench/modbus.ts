/**
 * Measure 1 — Modbus TCP FC 3 (read 10 holding registers) and FC 16 (write 10) with 1, 16 and
 * 64 clients, one outstanding request each: latency p50/p99/p99.9 and tx/s, directly, through a
 * plain Node relay, socat, and otgate (100-rule policy, enforce, audit allowed: sample).
 */
import { nodeArgsFromEnv, startGateway } from './lib/gateway';
import { BENCH, modbusPolicy, ruleCount } from './lib/policy';
import { cpuUs, startPeer, type Child } from './lib/proc';
import { describePinning, pinningFromEnv, type Pinning } from './lib/pin';
import { fmtSpread, Histogram, ratio, spread, summarize, type Spread } from './lib/stats';
import { startProxyVariants } from './lib/proxy-variants';
import { interleave, startRelays, type RoundResult, type Target, type TargetFigures, type TargetName } from './lib/targets';
import type { LoadResult, LoadSpec } from './peers/modbus-load';
import type { BenchContext, BenchResult } from './lib/types';

/** One load run: in `gen` (a `modbus-load --serve` process kept for the whole benchmark) or a fresh process. */
export async function runModbusLoad(spec: LoadSpec, cpus?: string, gen?: Child): Promise<LoadResult> {
  if (gen !== undefined) {
    gen.send(spec);
    const r = await gen.next<LoadResult & { error?: string }>(spec.warmupMs + spec.durationMs + 30_000);
    if (r.error) throw new Error(`load generator: ${r.error}`);
    return r;
  }
  const c = await startPeer<LoadResult & { error?: string }>('modbus-load', [JSON.stringify(spec)], { timeoutMs: spec.warmupMs + spec.durationMs + 30_000, cpus });
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
  /**
   * The same ratios round by round (each round's own direct, relay and otgate runs): median and
   * range over rounds — how far one round's verdict can be trusted on this machine.
   */
  readonly perRound: { p50: Spread; p99: Spread; txps: Spread; cpu: Spread };
  readonly budget: { p50: boolean; p99: boolean; txps: boolean | null };
}

/** Per-round otgate ÷ node-relay ratios of added p50 / p99, tx/s and CPU per tx. */
function perRoundRatios(per: ReadonlyMap<TargetName, readonly RoundResult[]>, og: TargetName = 'otgate'): ModbusCase['perRound'] {
  const d = per.get('direct') ?? [];
  const n = per.get('node-relay') ?? [];
  const o = per.get(og) ?? [];
  const q = (r: RoundResult | undefined) => (r === undefined ? null : summarize(new Histogram().merge(r.hist)));
  const p50: number[] = [];
  const p99: number[] = [];
  const txps: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < o.length; i++) {
    const [dq, nq, oq] = [q(d[i]), q(n[i]), q(o[i])];
    if (dq && nq && oq) {
      p50.push(ratio(oq.p50 - dq.p50, nq.p50 - dq.p50));
      p99.push(ratio(oq.p99 - dq.p99, nq.p99 - dq.p99));
    }
    if (n[i]) {
      txps.push(ratio(o[i]!.txps, n[i]!.txps));
      cpu.push(ratio(o[i]!.cpuUsPerTx, n[i]!.cpuUsPerTx));
    }
  }
  return { p50: spread(p50), p99: spread(p99), txps: spread(txps), cpu: spread(cpu) };
}

/**
 * Modbus's own defaults when neither `--rounds`/BENCH_ROUNDS nor `--seconds`/BENCH_SECONDS is
 * given: twice the runner's rounds at half the length (same measured time, ~2 min in all),
 * so background load on a shared machine is sampled more often and per-round ratios have a median.
 */
const DEFAULT_ROUNDS = 6;
const DEFAULT_SECONDS = 0.5;
const WARMUP_MS = 250;
/** Per target and function code, once, before any case (JIT warm-up; see benchModbus). */
const WARMUP_PER_TARGET_MS = 1000;
const given = (flag: string, env: string): boolean => process.env[env] !== undefined || process.argv.includes(flag);

export async function benchModbus(ctxIn: BenchContext): Promise<BenchResult> {
  const ctx: BenchContext = {
    ...ctxIn,
    log: ctxIn.log,
    rounds: given('--rounds', 'BENCH_ROUNDS') ? ctxIn.rounds : DEFAULT_ROUNDS,
    seconds: given('--seconds', 'BENCH_SECONDS') ? ctxIn.seconds : DEFAULT_SECONDS,
  };
  const pin: Pinning | null = pinningFromEnv();
  ctx.log(`pinning: ${describePinning(pin)}`);
  const server = await startPeer<{ port: number }>('modbus-server', [BENCH.plcHost, '0'], { cpus: pin?.peers });
  // One load generator for the whole benchmark (on the peers' CPUs): no process start per round.
  const gen = await startPeer('modbus-load', ['--serve'], { stdin: true, cpus: pin?.peers });
  const relays = await startRelays({ host: BENCH.plcHost, port: server.ready.port }, { node: BENCH.relayHost, socat: BENCH.socatHost }, pin?.forwarder);
  const { freePort } = await import('./lib/gateway');
  const ALT_HOST = '127.0.20.8';
  const listenPort = await freePort(BENCH.gatewayHost);
  const policy = modbusPolicy({ listenPort, plcPort: server.ready.port });
  const gw = await startGateway(policy, { cpus: pin?.forwarder });
  // Optional A/B, interleaved with the rest: the daemon with other Node flags
  // (BENCH_OTGATE_ALT_ARGS, e.g. a V8 memory flag) and/or another build (BENCH_OTGATE_ALT_MAIN).
  const altArgs = nodeArgsFromEnv('BENCH_OTGATE_ALT_ARGS');
  const altMain = process.env.BENCH_OTGATE_ALT_MAIN;
  const withAlt = altArgs.length > 0 || altMain !== undefined;
  const altPort = withAlt ? await freePort(ALT_HOST) : 0;
  const alt = withAlt
    ? await startGateway(modbusPolicy({ listenPort: altPort, plcPort: server.ready.port }).replace(`listen: ${BENCH.gatewayHost}:`, `listen: ${ALT_HOST}:`), { nodeArgs: altArgs, main: altMain, cpus: pin?.forwarder })
    : null;
  // Optional: proxy variants (BENCH_VARIANTS=inspect,daemon-env,passthrough; bench/peers/proxy-variant.ts)
  // measured for latency in the same rounds, to tell the inspection from the daemon's env.
  const variants = await startProxyVariants((process.env.BENCH_VARIANTS ?? '').split(',').filter((v) => v !== ''), server.ready.port, pin?.forwarder);
  const targets: Target[] = [
    { name: 'direct', host: BENCH.plcHost, port: server.ready.port },
    ...relays.targets,
    { name: 'otgate', host: BENCH.gatewayHost, port: listenPort, pid: gw.pid },
    ...(alt === null ? [] : [{ name: 'otgate-alt', host: ALT_HOST, port: altPort, pid: alt.pid }]),
    ...variants.running.map((v) => ({ name: `proxy-${v.variant}` as const, host: v.host, port: v.port, pid: v.pid })),
  ].filter((t) => ctx.targets === null || ctx.targets.includes(t.name)) as Target[];
  const cases: ModbusCase[] = [];
  try {
    // One unmeasured warm-up per target before the first case: without it the first case (FC 3,
    // one client) also timed the JIT compiling each forwarder's code, and otgate has more code
    // to compile than the relay (its CPU/tx at FC 3 × 1 was ×1.2–×1.3 the relay's in every run,
    // at FC 16 × 1, measured later in the same runs, ×0.9–×1.2).
    for (const t of targets) {
      for (const fc of ctx.modbusFcs) {
        await runModbusLoad({ host: t.host, port: t.port, clients: 16, fc, warmupMs: 0, durationMs: WARMUP_PER_TARGET_MS, maxTx: 5_000_000, localAddress: BENCH.client }, pin?.peers, gen);
      }
    }
    for (const fc of ctx.modbusFcs) {
      for (const clients of ctx.modbusClients) {
        ctx.log(`modbus FC ${fc}, ${clients} client(s): ${ctx.rounds} rounds × ${targets.length} targets × ${ctx.seconds} s`);
        const { figures, loads, perRound } = await interleave(targets, ctx.rounds, async (t) => {
          const cpu0 = t.pid === undefined ? NaN : cpuUs(t.pid);
          const r = await runModbusLoad({
            host: t.host, port: t.port, clients, fc, warmupMs: WARMUP_MS, durationMs: ctx.seconds * 1000, maxTx: 5_000_000, localAddress: BENCH.client,
          }, pin?.peers, gen);
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
        const rounds = perRoundRatios(perRound);
        cases.push({
          fc, clients, figures, loads, vsNodeRelay: vs, perRound: rounds,
          budget: { p50: vs.p50 <= 1.1, p99: vs.p99 <= 1.15, txps: clients >= 16 ? vs.txps >= 0.85 : null },
        });
        ctx.log(`  ${figures.map((f) => `${f.target} p50 ${f.latencyUs.p50} p99 ${f.latencyUs.p99} µs ${f.txps} tx/s${Number.isFinite(f.cpuUsPerTx) ? ` ${f.cpuUsPerTx} cpu µs/tx` : ''}`).join(' | ')}`);
        ctx.log(`  otgate/node-relay added: p50 ×${vs.p50} p99 ×${vs.p99}; tx/s ×${vs.txps}; cpu/tx ×${vs.cpu}`);
        ctx.log(`  per round (median, min–max): p50 ${fmtSpread(rounds.p50)} p99 ${fmtSpread(rounds.p99)} tx/s ${fmtSpread(rounds.txps)} cpu/tx ${fmtSpread(rounds.cpu)}`);
        const oa = figures.find((f) => f.target === 'otgate-alt');
        if (oa) {
          const ar = perRoundRatios(perRound, 'otgate-alt');
          ctx.log(`  otgate-alt per round: p50 ${fmtSpread(ar.p50)} p99 ${fmtSpread(ar.p99)} tx/s ${fmtSpread(ar.txps)} cpu/tx ${fmtSpread(ar.cpu)}`);
          ctx.log(`  otgate-alt (${[...altArgs, altMain ?? ''].join(' ').trim()})/node-relay added: p50 ×${ratio(oa.addedUs!.p50, nr.addedUs!.p50)} p99 ×${ratio(oa.addedUs!.p99, nr.addedUs!.p99)}; tx/s ×${ratio(oa.txps, nr.txps)}; cpu/tx ×${ratio(oa.cpuUsPerTx, nr.cpuUsPerTx)}`);
        }
        for (const v of figures.filter((f) => f.target.startsWith('proxy-'))) {
          ctx.log(`  ${v.target}/node-relay added: p50 ×${ratio(v.addedUs!.p50, nr.addedUs!.p50)} p99 ×${ratio(v.addedUs!.p99, nr.addedUs!.p99)}; tx/s ×${ratio(v.txps, nr.txps)}; cpu/tx ×${ratio(v.cpuUsPerTx, nr.cpuUsPerTx)}`);
        }
      }
    }
  } finally {
    await variants.stop();
    await alt?.stop();
    await gw.stop();
    await relays.stop();
    await server.stop();
    await gen.stop();
  }
  return {
    name: 'modbus',
    title: 'Modbus TCP FC 3 / FC 16, 10 registers, one outstanding request per client',
    setup: { rules: ruleCount(policy), mode: 'enforce', otgateNodeArgs: nodeArgsFromEnv('BENCH_OTGATE_NODE_ARGS'), otgateAltNodeArgs: altArgs, otgateAltMain: altMain ?? null, auditAllowed: 'sample (1 in 100)', rounds: ctx.rounds, secondsPerRound: ctx.seconds, pinning: pin === null ? 'off' : pin },
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
        isOg ? `${range(c.perRound.p50)} / ${range(c.perRound.p99)} / ${range(c.perRound.txps)}` : '',
      ]);
    }
  }
  return { head: ['FC', 'clients', 'target', 'p50 µs', 'p99 µs', 'p99.9 µs', 'added p50/p99 µs', 'tx/s', 'cpu µs/tx', 'otgate ÷ node relay: added p50 / p99, tx/s, cpu/tx', 'per-round range: p50 / p99 / tx/s'], rows };
}

const range = (s: Spread): string => (Number.isFinite(s.min) ? `${s.min}–${s.max}` : '-');

/** " (rounds on both sides)" when single rounds alone would have judged either way: the verdict is within the noise. */
const straddles = (sp: Spread, limit: number): string => (Number.isFinite(sp.min) && sp.min <= limit && sp.max >= limit ? ', rounds on both sides' : '');

export function modbusBudget(cases: readonly ModbusCase[]) {
  return cases.flatMap((c) => [
    { what: `FC ${c.fc} ${c.clients} cl: added p50 vs node relay`, target: '≤ 1.1×', reached: `×${c.vsNodeRelay.p50}; rounds ${fmtSpread(c.perRound.p50)}${straddles(c.perRound.p50, 1.1)}`, met: c.budget.p50 },
    { what: `FC ${c.fc} ${c.clients} cl: added p99 vs node relay`, target: '≤ 1.15×', reached: `×${c.vsNodeRelay.p99}; rounds ${fmtSpread(c.perRound.p99)}${straddles(c.perRound.p99, 1.15)}`, met: c.budget.p99 },
    ...(c.budget.txps === null ? [] : [{ what: `FC ${c.fc} ${c.clients} cl: tx/s vs node relay`, target: '≥ 0.85×', reached: `×${c.vsNodeRelay.txps}; rounds ${fmtSpread(c.perRound.txps)}${straddles(c.perRound.txps, 0.85)}`, met: c.budget.txps }]),
  ]);
}

