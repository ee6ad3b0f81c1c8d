/**
 * Measure 8 — start-up to serving (spawn → "otgate serving" and → first Modbus answer through
 * the gateway), and policy reload (SIGHUP) while 16 clients poll: reload time from the daemon's
 * own log line, the gap in answers around it, and connections dropped (must be zero).
 */
import net from 'node:net';
import { freePort, startGateway } from './lib/gateway';
import { BENCH, modbusPolicy } from './lib/policy';
import { sleep, startPeer } from './lib/proc';
import { median, round } from './lib/stats';
import type { BenchContext, BenchResult } from './lib/types';
import { requestFor } from './peers/modbus-load';

/** Polls FC 3 once through `host:port` until it answers; ms. */
async function firstAnswer(host: string, port: number, t0: bigint, deadlineMs: number): Promise<number> {
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host, port, localAddress: BENCH.client });
      s.once('connect', () => s.write(requestFor(3, 1)));
      s.once('data', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (ok) return ms;
    if (ms > deadlineMs) return NaN;
    await sleep(2);
  }
}

/** 16 polling clients that count answers, errors and closed connections. */
function pollers(host: string, port: number, n: number) {
  const stats = { answers: 0, closed: 0, errors: 0, maxGapMs: 0 };
  let last = process.hrtime.bigint();
  let stopping = false;
  const socks: net.Socket[] = [];
  for (let i = 0; i < n; i++) {
    const s = net.connect({ host, port, localAddress: BENCH.client, noDelay: true });
    socks.push(s);
    let tid = 0;
    const send = () => {
      tid = (tid + 1) & 0xffff;
      const b = requestFor(3, tid);
      s.write(b);
    };
    s.on('connect', send);
    s.on('data', () => {
      const now = process.hrtime.bigint();
      stats.maxGapMs = Math.max(stats.maxGapMs, Number(now - last) / 1e6);
      last = now;
      stats.answers++;
      if (!stopping) send();
    });
    s.on('close', () => {
      if (!stopping) stats.closed++;
    });
    s.on('error', () => stats.errors++);
  }
  return {
    stats,
    resetGap: () => {
      stats.maxGapMs = 0;
      last = process.hrtime.bigint();
    },
    stop: () => {
      stopping = true;
      for (const s of socks) s.destroy();
    },
  };
}

export async function benchStartup(ctx: BenchContext): Promise<BenchResult> {
  const server = await startPeer<{ port: number }>('modbus-server', [BENCH.plcHost, '0']);
  const starts: { servingMs: number; answerMs: number; selfMs: number }[] = [];
  const reloads: { reloadMs: number; maxGapMs: number; dropped: number; answers: number }[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const port = await freePort(BENCH.gatewayHost);
      const t0 = process.hrtime.bigint();
      const gwP = startGateway(modbusPolicy({ listenPort: port, plcPort: server.ready.port }));
      const answerMs = await firstAnswer(BENCH.gatewayHost, port, t0, 20_000);
      const gw = await gwP;
      const self = /in (\d+) ms/.exec(gw.child.output().split('\n').find((l) => l.includes('otgate serving')) ?? '');
      starts.push({ servingMs: round(gw.startMs), answerMs: round(answerMs), selfMs: self ? Number(self[1]) : NaN });
      ctx.log(`start-up: serving line after ${gw.startMs.toFixed(0)} ms, first answer after ${answerMs.toFixed(0)} ms (daemon's own count ${self?.[1]} ms)`);
      if (i === 0) {
        // Reloads under load: the setpoint envelope flips between two values on each SIGHUP.
        const load = pollers(BENCH.gatewayHost, port, 16);
        await sleep(1000);
        for (let k = 0; k < 5; k++) {
          gw.writePolicy(modbusPolicy({ listenPort: port, plcPort: server.ready.port, maxSetpoint: k % 2 ? 250 : 240 }));
          const before = gw.child.output().length;
          load.resetGap();
          const a0 = load.stats.answers;
          gw.child.proc.kill('SIGHUP');
          let line: RegExpExecArray | null = null;
          for (let w = 0; w < 500 && !line; w++) {
            await sleep(10);
            line = /policy reloaded \([0-9a-f]+\) in ([\d.]+) ms/.exec(gw.child.output().slice(before));
          }
          await sleep(500);
          reloads.push({ reloadMs: line ? Number(line[1]) : NaN, maxGapMs: round(load.stats.maxGapMs, 2), dropped: load.stats.closed, answers: load.stats.answers - a0 });
          ctx.log(`reload ${k + 1}: ${line?.[1] ?? '?'} ms, longest gap between answers ${load.stats.maxGapMs.toFixed(1)} ms, dropped so far ${load.stats.closed}`);
        }
        load.stop();
      }
      await gw.stop();
    }
  } finally {
    await server.stop();
  }
  const servingMs = median(starts.map((s) => s.servingMs));
  const answerMs = median(starts.map((s) => s.answerMs));
  const reloadMs = Math.max(...reloads.map((r) => r.reloadMs));
  const dropped = reloads.length ? reloads[reloads.length - 1]!.dropped : NaN;
  return {
    name: 'startup',
    title: 'Start-up to serving; policy reload (SIGHUP) with 16 clients polling',
    setup: { policyRules: 100, starts: starts.length, reloads: reloads.length },
    data: { starts, reloads },
    table: {
      head: ['measure', 'value'],
      rows: [
        ['spawn → "otgate serving" (median of 3)', `${round(servingMs)} ms`],
        ['spawn → first FC 3 answer through otgate (median of 3)', `${round(answerMs)} ms`],
        ["daemon's own start count (policy → listening)", `${median(starts.map((s) => s.selfMs))} ms`],
        ['reload time, worst of 5 (daemon log)', `${round(reloadMs, 2)} ms`],
        ['longest gap between answers during a reload, worst of 5', `${Math.max(...reloads.map((r) => r.maxGapMs))} ms`],
        ['connections dropped across 5 reloads', dropped],
      ],
    },
    budget: [
      { what: 'start-up (spawn → serving)', target: '< 1 s', reached: `${round(servingMs)} ms`, met: servingMs < 1000 },
      { what: 'reload time', target: '< 100 ms', reached: `${round(reloadMs, 2)} ms`, met: reloadMs < 100 },
      { what: 'connections dropped during reloads', target: '0', reached: String(dropped), met: dropped === 0 },
    ],
  };
}
