/**
 * Measure 1 — Modbus TCP FC 3 (read 10 holding registers) and FC 16 (write 10) with 1, 16 and
 * 64 clients, one outstanding request each: latency p50/p99/p99.9 and tx/s, directly, through a
 * plain Node relay (and a second copy of it, the A/A control), socat, and otgate (100-rule
 * policy, enforce, audit allowed: sample).
 *
 * Two passes (BENCHMARKS.md, Method):
 * - throughput: each target alone for a round, rounds interleaved, closed loop (the next
 *   request as soon as the response is in): tx/s and CPU µs/tx. At 16/64 clients this saturates
 *   the slowest process on the path, so latency there is clients ÷ tx/s (reported, not judged);
 * - latency: every target in the same run, request by request (each client's successive polls
 *   go to the targets in turn), so all of them meet the same moments of a shared machine; one
 *   client closed loop, 16 and 64 clients paced (each polls on a scan cycle, the same offered
 *   load in all). The added-latency lines are judged here.
 */
import { nodeArgsFromEnv, startGateway } from './lib/gateway';
import { BENCH, modbusPolicy, ruleCount } from './lib/policy';
import { cpuUs, startPeer, type Child } from './lib/proc';
import { loadNow } from './lib/machine';
import { describePinning, pinningFromEnv, type Pinning } from './lib/pin';
import { fmtSpread, Histogram, ratio, spread, summarize, type Spread } from './lib/stats';
import { startProxyVariants } from './lib/proxy-variants';
import { figuresOf, interleave, startRelays, type RoundResult, type Target, type TargetFigures, type TargetName } from './lib/targets';
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
  /** closed: back-to-back polls (saturates at 16/64 clients); paced: one poll per `pollUs` per client. */
  readonly load: 'closed' | 'paced';
  readonly pollUs: number | null;
  /** rounds: one target at a time per round (throughput pass); requests: all targets in turn, request by request (latency pass). */
  readonly interleaving: 'rounds' | 'requests';
  readonly figures: TargetFigures[];
  readonly loads: number[];
  /** otgate's added latency ÷ the Node relay's, and its tx/s ÷ the Node relay's. */
  readonly vsNodeRelay: { p50: number; p99: number; p999: number; txps: number; cpu: number };
  /**
   * The same ratios round by round (each round's own direct, relay and otgate runs): median and
   * range over rounds — how far one round's verdict can be trusted on this machine.
   */
  readonly perRound: { p50: Spread; p99: Spread; txps: Spread; cpu: Spread };
  /**
   * The A/A control: node-relay-b's added latency ÷ node-relay's, pooled, and the median of the
   * same ratio round by round (null without node-relay-b). How far each statistic strays between
   * two identical relays says which of otgate's two figures to trust on this machine.
   */
  readonly aa: { p50: number; p99: number; roundsP50: number; roundsP99: number } | null;
  /**
   * Judged lines: latency from the latency pass (1 client closed loop, 16/64 paced); tx/s from
   * the throughput pass at 16/64 clients. null: not a budget line for this case (reported only).
   */
  readonly budget: { p50: boolean | null; p99: boolean | null; txps: boolean | null };
}

function aaControl(nb: TargetFigures, nr: TargetFigures, perRound: ReadonlyMap<TargetName, readonly RoundResult[]>): NonNullable<ModbusCase['aa']> {
  const rounds = perRoundRatios(perRound, 'node-relay-b');
  return { p50: ratio(nb.addedUs!.p50, nr.addedUs!.p50), p99: ratio(nb.addedUs!.p99, nr.addedUs!.p99), roundsP50: rounds.p50.median, roundsP99: rounds.p99.median };
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
/**
 * Paced cases: the offered load of all clients together (tx/s), the same for every target and
 * client count: 16 clients poll every 4 ms, 64 every 16 ms. About a sixth of what the Node relay
 * carries closed loop on this machine (21–26k tx/s at 16/64 clients), and low enough that the
 * load generator and server, which share one core, keep up at 64 clients (at 8,000 tx/s their
 * core queued polls: direct's own p99 reached 6.6–7.8 ms, one poll in ten late). Every target
 * keeps up, and the latency is what each hop adds, bursts of polls included.
 * BENCH_POLL_TXPS=0: no paced cases.
 */
const POLL_TXPS = Number(process.env.BENCH_POLL_TXPS ?? 4000);
/** Which passes run: BENCH_MODBUS_PASSES=throughput, =latency, or both (default). */
const PASSES = process.env.BENCH_MODBUS_PASSES ?? 'throughput,latency';
/**
 * Latency pass, paced cases: BENCH_SLICE_MS > 0 turns targets by time slice (all clients poll
 * one target for that long, then the next; modbus-load `sliceMs`) instead of at every poll.
 * Off by default: tried at 50 ms on 12-07, its A/A ratios were wider (p50 ×0.82–×1.55) than
 * turning at every poll (×0.81–×1.17 over six runs) — see BENCHMARKS.md, eighth round.
 */
const SLICE_MS = Number(process.env.BENCH_SLICE_MS ?? 0);
/** Latency pass: seconds per round (every target shares them; BENCH_IN_TURN_SECONDS). */
const IN_TURN_SECONDS = Number(process.env.BENCH_IN_TURN_SECONDS ?? 2);
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
  const relays = await startRelays({ host: BENCH.plcHost, port: server.ready.port }, { node: BENCH.relayHost, nodeB: BENCH.relayBHost, socat: BENCH.socatHost }, pin?.forwarder);
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
    // Throughput pass: one target at a time, closed loop.
    for (const fc of PASSES.includes('throughput') ? ctx.modbusFcs : []) {
      for (const clients of ctx.modbusClients) {
        ctx.log(`modbus FC ${fc}, ${clients} client(s), closed loop, one target at a time: ${ctx.rounds} rounds × ${targets.length} targets × ${ctx.seconds} s`);
        const { figures, loads, perRound } = await interleave(targets, ctx.rounds, async (t) => {
          const cpu0 = t.pid === undefined ? NaN : cpuUs(t.pid);
          const r = await runModbusLoad({
            host: t.host, port: t.port, clients, fc, warmupMs: WARMUP_MS, durationMs: ctx.seconds * 1000, maxTx: 5_000_000, localAddress: BENCH.client,
          }, pin?.peers, gen);
          const cpuUsPerTx = t.pid === undefined ? NaN : (cpuUs(t.pid) - cpu0) / r.txAll;
          return { txps: r.txps, hist: r.hist, errors: r.errors, cpuUsPerTx };
        });
        const c = modbusCase(fc, clients, null, 'rounds', figures, loads, perRound);
        cases.push(c);
        logCase(ctx, c, [...altArgs, altMain ?? ''].join(' ').trim(), perRound);
      }
    }
    // Latency pass: every target in each run, request by request.
    for (const fc of PASSES.includes('latency') ? ctx.modbusFcs : []) {
      for (const clients of ctx.modbusClients) {
        const pollUs = clients > 1 && POLL_TXPS > 0 ? (clients * 1e6) / POLL_TXPS : null;
        ctx.log(`modbus FC ${fc}, ${clients} client(s), ${pollUs === null ? 'closed loop' : `paced (one poll per ${pollUs} µs per client)`}, all targets request by request: ${ctx.rounds} rounds × ${IN_TURN_SECONDS} s`);
        const { perTarget, loads } = await inTurnRounds(targets, ctx.rounds, {
          host: '', port: 0, clients, fc, warmupMs: WARMUP_MS, durationMs: IN_TURN_SECONDS * 1000, maxTx: 50_000_000, localAddress: BENCH.client,
          ...(pollUs === null ? {} : { pollUs, ...(SLICE_MS > 0 ? { sliceMs: SLICE_MS } : {}) }),
        }, pin?.peers, gen);
        const perRound = new Map(targets.map((t, k) => [t.name, perTarget[k]!.map((x, r) => ({ ...x, target: t.name, load: loads[r]! }))]));
        const c = modbusCase(fc, clients, pollUs, 'requests', figuresOf(targets, perRound), loads, perRound);
        cases.push(c);
        logCase(ctx, c, [...altArgs, altMain ?? ''].join(' ').trim(), perRound);
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
    setup: { rules: ruleCount(policy), mode: 'enforce', otgateNodeArgs: nodeArgsFromEnv('BENCH_OTGATE_NODE_ARGS'), otgateAltNodeArgs: altArgs, otgateAltMain: altMain ?? null, auditAllowed: 'sample (1 in 100)', pacedOfferedTxps: POLL_TXPS, rounds: ctx.rounds, secondsPerRound: ctx.seconds, pinning: pin === null ? 'off' : pin },
    data: cases,
    table: modbusTable(cases),
    budget: modbusBudget(cases),
  };
}

/** One case's ratios and verdicts from its interleaved rounds. */
function modbusCase(fc: 3 | 16, clients: number, pollUs: number | null, interleaving: ModbusCase['interleaving'], figures: TargetFigures[], loads: number[], perRound: ReadonlyMap<TargetName, readonly RoundResult[]>): ModbusCase {
  const og = figures.find((f) => f.target === 'otgate');
  const nr = figures.find((f) => f.target === 'node-relay');
  if (og === undefined || nr === undefined) throw new Error('the Modbus budget compares otgate with node-relay: BENCH_TARGETS must name both (and direct)');
  const nb = figures.find((f) => f.target === 'node-relay-b');
  const vs = {
    p50: ratio(og.addedUs!.p50, nr.addedUs!.p50),
    p99: ratio(og.addedUs!.p99, nr.addedUs!.p99),
    p999: ratio(og.addedUs!.p999, nr.addedUs!.p999),
    txps: ratio(og.txps, nr.txps),
    cpu: ratio(og.cpuUsPerTx, nr.cpuUsPerTx),
  };
  const load = pollUs === null ? 'closed' : 'paced';
  // Latency is judged in the latency pass; tx/s in the throughput pass at 16/64 clients.
  const latencyJudged = interleaving === 'requests';
  return {
    fc, clients, load, pollUs, interleaving, figures, loads, vsNodeRelay: vs, perRound: perRoundRatios(perRound),
    aa: nb?.addedUs ? aaControl(nb, nr, perRound) : null,
    budget: {
      p50: latencyJudged ? vs.p50 <= 1.1 : null,
      p99: latencyJudged ? vs.p99 <= 1.15 : null,
      txps: interleaving === 'rounds' && clients >= 16 ? vs.txps >= 0.85 : null,
    },
  };
}

function logCase(ctx: BenchContext, c: ModbusCase, altWhat: string, perRound: ReadonlyMap<TargetName, readonly RoundResult[]>): void {
  const { figures, vsNodeRelay: vs, perRound: rounds } = c;
  const nr = figures.find((f) => f.target === 'node-relay')!;
  ctx.log(`  ${figures.map((f) => `${f.target} p50 ${f.latencyUs.p50} p99 ${f.latencyUs.p99} µs ${f.txps} tx/s${Number.isFinite(f.cpuUsPerTx) ? ` ${f.cpuUsPerTx} cpu µs/tx` : ''}${f.late > 0 ? ` ${f.late} late` : ''}`).join(' | ')}`);
  ctx.log(`  otgate/node-relay added: p50 ×${vs.p50} p99 ×${vs.p99}; tx/s ×${vs.txps}; cpu/tx ×${vs.cpu}${c.aa ? ` (A/A node-relay-b/node-relay: p50 ×${c.aa.p50} p99 ×${c.aa.p99})` : ''}`);
  ctx.log(`  per round (median, min–max): p50 ${fmtSpread(rounds.p50)} p99 ${fmtSpread(rounds.p99)} tx/s ${fmtSpread(rounds.txps)} cpu/tx ${fmtSpread(rounds.cpu)}`);
  const oa = figures.find((f) => f.target === 'otgate-alt');
  if (oa) {
    const ar = perRoundRatios(perRound, 'otgate-alt');
    ctx.log(`  otgate-alt per round: p50 ${fmtSpread(ar.p50)} p99 ${fmtSpread(ar.p99)} tx/s ${fmtSpread(ar.txps)} cpu/tx ${fmtSpread(ar.cpu)}`);
    ctx.log(`  otgate-alt (${altWhat})/node-relay added: p50 ×${ratio(oa.addedUs!.p50, nr.addedUs!.p50)} p99 ×${ratio(oa.addedUs!.p99, nr.addedUs!.p99)}; tx/s ×${ratio(oa.txps, nr.txps)}; cpu/tx ×${ratio(oa.cpuUsPerTx, nr.cpuUsPerTx)}`);
  }
  for (const v of figures.filter((f) => f.target.startsWith('proxy-'))) {
    ctx.log(`  ${v.target}/node-relay added: p50 ×${ratio(v.addedUs!.p50, nr.addedUs!.p50)} p99 ×${ratio(v.addedUs!.p99, nr.addedUs!.p99)}; tx/s ×${ratio(v.txps, nr.txps)}; cpu/tx ×${ratio(v.cpuUsPerTx, nr.cpuUsPerTx)}`);
  }
}

/** One target's share of one in-turn run. */
export type InTurnRound = Omit<RoundResult, 'target' | 'load'>;

/**
 * `rounds` runs of the load generator with every target at once (spec.targets), each client's
 * polls going to them in turn; per target (in the order given), one result per run: its
 * histogram, its tx/s, its forwarder's CPU µs per transaction over the run. Used by the latency
 * pass and by bench/daemons.ts.
 */
export async function inTurnRounds(targets: readonly { host: string; port: number; pid?: number }[], rounds: number, spec: LoadSpec, cpus: string | undefined, gen: Child): Promise<{ perTarget: InTurnRound[][]; loads: number[] }> {
  const perTarget: InTurnRound[][] = targets.map(() => []);
  const loads: number[] = [];
  for (let r = 0; r < rounds; r++) {
    loads.push(loadNow());
    // Rotate the order per round so no target always takes the first client's first poll.
    const order = targets.map((_, i) => (i + r) % targets.length);
    const cpu0 = order.map((k) => (targets[k]!.pid === undefined ? NaN : cpuUs(targets[k]!.pid!)));
    const res = await runModbusLoad({ ...spec, targets: order.map((k) => ({ host: targets[k]!.host, port: targets[k]!.port })) }, cpus, gen);
    order.forEach((k, i) => {
      const mine = res.perTarget![i]!;
      const pid = targets[k]!.pid;
      perTarget[k]!.push({
        txps: mine.tx / res.seconds, hist: mine.hist, errors: mine.errors, late: mine.late,
        cpuUsPerTx: pid === undefined ? NaN : (cpuUs(pid) - cpu0[i]!) / mine.txAll,
      });
    });
  }
  return { perTarget, loads };
}

export function modbusTable(cases: readonly ModbusCase[]): { head: string[]; rows: (string | number)[][] } {
  const rows: (string | number)[][] = [];
  for (const c of cases) {
    for (const f of c.figures) {
      const isOg = f.target === 'otgate';
      const isB = f.target === 'node-relay-b' && c.aa !== null;
      rows.push([
        `FC ${c.fc}`, c.clients, loadLabel(c), f.target, f.latencyUs.p50, f.latencyUs.p99, f.latencyUs.p999,
        f.addedUs ? `${signed(f.addedUs.p50)} / ${signed(f.addedUs.p99)}` : '',
        c.load === 'paced' ? `${f.txps}${f.late > 0 ? ` (${f.late} late)` : ''}` : f.txps,
        Number.isFinite(f.cpuUsPerTx) ? f.cpuUsPerTx : '',
        isOg ? `×${c.vsNodeRelay.p50} / ×${c.vsNodeRelay.p99} / ×${c.vsNodeRelay.txps} / ×${c.vsNodeRelay.cpu}` : isB ? `A/A ×${c.aa!.p50} / ×${c.aa!.p99}` : '',
        isOg ? `${range(c.perRound.p50)} / ${range(c.perRound.p99)} / ${range(c.perRound.txps)}` : '',
      ]);
    }
  }
  return { head: ['FC', 'clients', 'load (targets)', 'target', 'p50 µs', 'p99 µs', 'p99.9 µs', 'added p50/p99 µs', 'tx/s', 'cpu µs/tx', 'otgate ÷ node relay: added p50 / p99, tx/s, cpu/tx', 'per-round range: p50 / p99 / tx/s'], rows };
}

/** "closed (one at a time)", "closed (in turn)", "paced 4 ms (in turn)". */
const loadLabel = (c: ModbusCase): string => `${c.load === 'closed' ? 'closed' : `paced ${c.pollUs! / 1000} ms`} (${c.interleaving === 'rounds' ? 'one at a time' : 'in turn'})`;
const signed = (x: number): string => (x < 0 ? `${x}` : `+${x}`);
const range = (s: Spread): string => (Number.isFinite(s.min) ? `${s.min}–${s.max}` : '-');

/** " (rounds on both sides)" when single rounds alone would have judged either way: the verdict is within the noise. */
const straddles = (sp: Spread, limit: number): string => (Number.isFinite(sp.min) && sp.min <= limit && sp.max >= limit ? ', rounds on both sides' : '');

/** "; A/A ×r, rounds ×m" — how far a second copy of the relay landed from the first in the same rounds (pooled; median of rounds). */
const aaNote = (c: ModbusCase, q: 'p50' | 'p99'): string =>
  c.aa === null ? '' : `; A/A ×${c.aa[q]}, rounds ×${c.aa[q === 'p50' ? 'roundsP50' : 'roundsP99']}`;

export function modbusBudget(cases: readonly ModbusCase[]) {
  return cases.flatMap((c) => {
    const label = `FC ${c.fc} ${c.clients} cl ${loadLabel(c)}`;
    const latency = (q: 'p50' | 'p99', limit: number) => ({
      what: `${label}: added ${q} vs node relay`,
      target: c.budget[q] === null ? `≤ ${limit}× judged in turn; one at a time it is reported only` : `≤ ${limit}×`,
      reached: `×${c.vsNodeRelay[q]}; rounds ${fmtSpread(c.perRound[q])}${straddles(c.perRound[q], limit)}${aaNote(c, q)}`,
      met: c.budget[q],
    });
    return [
      latency('p50', 1.1),
      latency('p99', 1.15),
      ...(c.budget.txps === null ? [] : [{ what: `${label}: tx/s vs node relay`, target: '≥ 0.85×', reached: `×${c.vsNodeRelay.txps}; rounds ${fmtSpread(c.perRound.txps)}${straddles(c.perRound.txps, 0.85)}`, met: c.budget.txps }]),
    ];
  });
}
