/**
 * Measure 4 — the daemon's resident memory: idle after start, with 1,000 open idle connections
 * (each with its upstream leg), and drift over 1,000,000 Modbus transactions (16 clients, FC 3;
 * bounded by BENCH_DRIFT_SECONDS, default 90 s — the count reached is reported).
 *
 * Idle is read twice: 1.5 s after "otgate serving" (the start-up transient: module loading and
 * the policy's YAML parse grow V8's young generation, which stays committed) and settled, once
 * V8's memory reducer has run on the idle daemon (it gives the young generation back ~10–25 s
 * after start; polled every second up to BENCH_IDLE_SETTLE_SECONDS, default 45).
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { freePort, nodeArgsFromEnv, startGateway } from './lib/gateway';
import { BENCH, modbusPolicy } from './lib/policy';
import { rssMb, sleep, startPeer } from './lib/proc';
import { round } from './lib/stats';
import type { BenchContext, BenchResult } from './lib/types';
import { runModbusLoad } from './modbus';

/** Resident memory split from /proc/PID/smaps_rollup, MB (kB / 1024, as VmRSS). */
function rollup(pid: number): { rssMb: number; anonMb: number; fileMb: number } {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  const rss = kb('Rss');
  const anon = kb('Anonymous');
  return { rssMb: round(rss / 1024), anonMb: round(anon / 1024), fileMb: round((rss - anon) / 1024) };
}

/**
 * RSS once the idle daemon has settled: sampled every second until it has dropped ≥ 5 MB below
 * `startMb` and held for 3 more samples (the memory reducer does up to 3 GCs 0.5 s apart), or
 * until `capS` seconds. `atS`: seconds after the first sample when the drop was seen (null: none).
 */
async function settledRss(pid: number, startMb: number, capS: number): Promise<{ mb: number; atS: number | null }> {
  let mb = rssMb(pid);
  let atS: number | null = null;
  for (let s = 1; s <= capS; s++) {
    await sleep(1000);
    mb = rssMb(pid);
    if (atS === null && mb <= startMb - 5) atS = s;
    if (atS !== null && s >= atS + 3) break;
  }
  return { mb, atS };
}

async function openIdle(n: number, host: string, port: number): Promise<net.Socket[]> {
  const socks: net.Socket[] = [];
  for (let i = 0; i < n; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, n - i) }, () => new Promise<void>((resolve, reject) => {
        const s = net.connect({ host, port, localAddress: BENCH.client }, () => resolve());
        s.on('error', reject);
        socks.push(s);
      })),
    );
  }
  return socks;
}

export async function benchMemory(ctx: BenchContext): Promise<BenchResult> {
  const server = await startPeer<{ port: number }>('modbus-server', [BENCH.plcHost, '0']);
  const port = await freePort(BENCH.gatewayHost);
  const gw = await startGateway(modbusPolicy({ listenPort: port, plcPort: server.ready.port, maxConnections: 2000 }));
  const relay = await startPeer<{ port: number }>('node-relay', [BENCH.relayHost, '0', BENCH.plcHost, String(server.ready.port)]);
  const driftTarget = Number(process.env.BENCH_DRIFT_TX ?? 1_000_000);
  const driftSeconds = Number(process.env.BENCH_DRIFT_SECONDS ?? 90);
  const settleCap = Number(process.env.BENCH_IDLE_SETTLE_SECONDS ?? 45);
  try {
    await sleep(1500);
    const idleStart = rssMb(gw.pid);
    const relayStart = rssMb(relay.pid);
    ctx.log(`idle RSS 1.5 s after serving ${idleStart.toFixed(1)} MB (node relay ${relayStart.toFixed(1)} MB)`);
    const settled = await settledRss(gw.pid, idleStart, settleCap);
    const idle = settled.mb;
    const idleSplit = rollup(gw.pid);
    const relayIdle = rssMb(relay.pid);
    ctx.log(`idle RSS settled ${idle.toFixed(1)} MB (${settled.atS === null ? `no drop within ${settleCap} s` : `dropped ${settled.atS} s after the first sample`}; anonymous ${idleSplit.anonMb} MB, file-backed ${idleSplit.fileMb} MB; node relay ${relayIdle.toFixed(1)} MB)`);
    const socks = await openIdle(1000, BENCH.gatewayHost, port);
    const rsocks = await openIdle(1000, BENCH.relayHost, relay.ready.port);
    await sleep(1500);
    const with1000 = rssMb(gw.pid);
    const refused = (gw.child.output().match(/connection refused/g) ?? []).length;
    const open = socks.filter((s) => !s.destroyed).length;
    ctx.log(`${open} of 1,000 connections open through otgate, ${refused} refused`);
    const relay1000 = rssMb(relay.pid);
    ctx.log(`1,000 idle connections: RSS ${with1000.toFixed(1)} MB (node relay ${relay1000.toFixed(1)} MB)`);
    for (const s of [...socks, ...rsocks]) s.destroy();
    await sleep(1500);
    // Drift: warm up (JIT, pools, audit store pages) with 100k transactions, then the long run.
    await runModbusLoad({ host: BENCH.gatewayHost, port, clients: 16, fc: 3, warmupMs: 200, durationMs: 30_000, maxTx: 100_000, localAddress: BENCH.client });
    await sleep(1000);
    const before = rssMb(gw.pid);
    const run = await runModbusLoad({ host: BENCH.gatewayHost, port, clients: 16, fc: 3, warmupMs: 0, durationMs: driftSeconds * 1000, maxTx: driftTarget, localAddress: BENCH.client });
    await sleep(1000);
    const after = rssMb(gw.pid);
    const growth = (100 * (after - before)) / before;
    ctx.log(`drift: ${run.tx} tx in ${run.seconds.toFixed(1)} s (${Math.round(run.txps)} tx/s): RSS ${before.toFixed(1)} → ${after.toFixed(1)} MB (${growth.toFixed(1)} %)`);
    const full = run.tx >= driftTarget;
    // Optional A/B: the same daemon with other Node flags (BENCH_OTGATE_ALT_ARGS, e.g. a V8
    // memory flag) and/or another build (BENCH_OTGATE_ALT_MAIN): idle, then after the same
    // 100k-transaction warm-up.
    const altArgs = nodeArgsFromEnv('BENCH_OTGATE_ALT_ARGS');
    const altMain = process.env.BENCH_OTGATE_ALT_MAIN;
    const altName = [...altArgs, ...(altMain ? [altMain] : [])].join(' ');
    const altRows: (string | number)[][] = [];
    let altData: { args: string[]; main: string | null; idleStartMb: number; idleMb: number; afterWarmupMb: number } | null = null;
    if (altArgs.length > 0 || altMain) {
      const altPort = await freePort(BENCH.gatewayHost);
      const alt = await startGateway(modbusPolicy({ listenPort: altPort, plcPort: server.ready.port, maxConnections: 2000 }), { nodeArgs: altArgs, main: altMain });
      try {
        await sleep(1500);
        const altStart = rssMb(alt.pid);
        const altIdle = (await settledRss(alt.pid, altStart, settleCap)).mb;
        await runModbusLoad({ host: BENCH.gatewayHost, port: altPort, clients: 16, fc: 3, warmupMs: 200, durationMs: 30_000, maxTx: 100_000, localAddress: BENCH.client });
        await sleep(1000);
        const altWarm = rssMb(alt.pid);
        ctx.log(`otgate-alt (${altName}): idle RSS ${altStart.toFixed(1)} MB at 1.5 s, settled ${altIdle.toFixed(1)} MB, after 100k tx ${altWarm.toFixed(1)} MB`);
        altData = { args: altArgs, main: altMain ?? null, idleStartMb: round(altStart), idleMb: round(altIdle), afterWarmupMb: round(altWarm) };
        altRows.push(
          [`idle 1.5 s after serving, otgate-alt (${altName})`, round(altStart), ''],
          [`idle settled, otgate-alt (${altName})`, round(altIdle), ''],
          [`after 100k tx, otgate-alt (${altName})`, round(altWarm), ''],
        );
      } finally {
        await alt.stop();
      }
    }
    return {
      name: 'memory',
      title: 'Daemon resident memory (RSS, /proc/PID/status VmRSS)',
      setup: { policyRules: 100, driftClients: 16, driftFc: 3, driftTarget, driftSecondsCap: driftSeconds, idleSettleCapSeconds: settleCap },
      data: { nodeArgs: nodeArgsFromEnv('BENCH_OTGATE_NODE_ARGS'), alt: altData, idleStartMb: round(idleStart), relayStartMb: round(relayStart), idleMb: round(idle), idleSettledAfterS: settled.atS, idleSplit, with1000Mb: round(with1000), relayIdleMb: round(relayIdle), relay1000Mb: round(relay1000), drift: { tx: run.tx, seconds: round(run.seconds), txps: Math.round(run.txps), beforeMb: round(before), afterMb: round(after), growthPct: round(growth, 2) } },
      table: {
        head: ['state', 'otgate RSS MB', 'node relay RSS MB'],
        rows: [
          ['idle 1.5 s after "otgate serving" (start-up transient)', round(idleStart), round(relayStart)],
          [`idle, settled (${settled.atS === null ? `no drop within ${settleCap} s` : `RSS dropped by ~${settled.atS + 1.5} s after serving`}; anon ${idleSplit.anonMb} / file ${idleSplit.fileMb})`, round(idle), round(relayIdle)],
          [`1,000 open idle connections (${open} open, ${refused} refused)`, round(with1000), round(relay1000)],
          [`after warm-up (100k tx)`, round(before), ''],
          [`after ${run.tx.toLocaleString('en-US')} more tx (${Math.round(run.txps)} tx/s)`, `${round(after)} (${growth >= 0 ? '+' : ''}${round(growth, 2)} %)`, ''],
          ...altRows,
        ],
      },
      budget: [
        { what: 'RSS idle (settled)', target: '≤ 80 MB', reached: `${round(idle)} MB (1.5 s after serving: ${round(idleStart)} MB)`, met: idle <= 80 },
        { what: 'RSS with 1,000 connections', target: '≤ 150 MB', reached: `${round(with1000)} MB`, met: with1000 <= 150 },
        { what: `RSS growth over ${run.tx.toLocaleString('en-US')} tx${full ? '' : ' (time cap hit before 1,000,000)'}`, target: '≤ 5 %', reached: `${round(growth, 2)} %`, met: growth <= 5 },
      ],
    };
  } finally {
    await relay.stop();
    await gw.stop();
    await server.stop();
  }
}
