/**
 * Measure 6 — offline audit throughput: a generated ≥ 100 MB synthetic Modbus TCP capture read
 * by `otgate audit --pcap FILE --json` (decode only, and judged against a policy) and by
 * `tshark -T fields` extracting comparable fields. Output goes to /dev/null; the capture is
 * deleted afterwards (bench/results/*.pcap is git-ignored).
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generate, policyFor } from '../scripts/gen-modbus-pcap';
import { MAIN, ROOT } from './lib/proc';
import { ratio, round } from './lib/stats';
import type { BenchContext, BenchResult } from './lib/types';

const TSHARK = '/usr/bin/tshark';

const CLIENTS = 64;

/** Runs `cmd args` with stdout to /dev/null; wall seconds and exit code. */
function timed(cmd: string, args: readonly string[], timeoutMs: number): Promise<{ seconds: number; code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const devnull = openSync('/dev/null', 'w');
    const t0 = process.hrtime.bigint();
    const p = spawn(cmd, args, { stdio: ['ignore', devnull, 'pipe'] });
    let stderr = '';
    p.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('exit', (code) => {
      clearTimeout(timer);
      closeSync(devnull);
      resolve({ seconds: Number(process.hrtime.bigint() - t0) / 1e9, code, stderr });
    });
  });
}

export async function benchAuditOffline(ctx: BenchContext): Promise<BenchResult> {
  const mb = Number(process.env.BENCH_PCAP_MB ?? 100);
  const file = path.join(ROOT, 'bench', 'results', `synthetic-modbus-${process.pid}.pcap`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'otgate-bench-audit-'));
  const policyFile = path.join(dir, 'policy.yaml');
  writeFileSync(policyFile, policyFor({ clients: CLIENTS }));
  const t0 = process.hrtime.bigint();
  const cap = generate({ out: file, mb, clients: CLIENTS, regs: 10, policyOut: null });
  const genS = Number(process.hrtime.bigint() - t0) / 1e9;
  const capMb = cap.bytes / 1e6;
  ctx.log(`capture: ${capMb.toFixed(1)} MB, ${cap.pdus} PDUs, ${CLIENTS} flows (generated in ${genS.toFixed(1)} s)`);
  const rows: { tool: string; command: string; seconds: number; mbps: number; pdups: number; code: number | null }[] = [];
  const pending: string[] = [];
  try {
    const add = (tool: string, command: string, r: { seconds: number; code: number | null; stderr: string }) => {
      rows.push({ tool, command, seconds: round(r.seconds, 2), mbps: round(capMb / r.seconds, 1), pdups: Math.round(cap.pdus / r.seconds), code: r.code });
      ctx.log(`${tool}: ${r.seconds.toFixed(1)} s, ${(capMb / r.seconds).toFixed(1)} MB/s, ${Math.round(cap.pdus / r.seconds)} PDUs/s (exit ${r.code})${r.code ? `\n${r.stderr}` : ''}`);
    };
    const rel = path.relative(ROOT, file);
    add('otgate audit --json (decode only)', `node dist/daemon/main.js audit --pcap ${rel} --json > /dev/null`, await timed(process.execPath, [MAIN, 'audit', '--pcap', file, '--json'], 600_000));
    add('otgate audit --json --policy (judged)', `node dist/daemon/main.js audit --pcap ${rel} --policy P --json > /dev/null`, await timed(process.execPath, [MAIN, 'audit', '--pcap', file, '--policy', policyFile, '--json'], 600_000));
    if (existsSync(TSHARK)) {
      const fields = ['frame.time_epoch', 'ip.src', 'tcp.srcport', 'ip.dst', 'tcp.dstport', 'mbtcp.trans_id', 'mbtcp.unit_id', 'modbus.func_code', 'modbus.reference_num', 'modbus.word_cnt'];
      const args = ['-r', file, '-n', '-T', 'fields', ...fields.flatMap((f) => ['-e', f])];
      add('tshark -T fields', `tshark -r ${rel} -n -T fields ${fields.map((f) => `-e ${f}`).join(' ')} > /dev/null`, await timed(TSHARK, args, 900_000));
    } else {
      pending.push('tshark is not installed');
    }
  } finally {
    rmSync(file, { force: true });
    rmSync(dir, { recursive: true, force: true });
  }
  const og = rows[0];
  const ts = rows.find((r) => r.tool.startsWith('tshark'));
  const x = og && ts ? ratio(og.mbps, ts.mbps) : NaN;
  const xj = rows[1] && ts ? ratio(rows[1].mbps, ts.mbps) : NaN;
  return {
    name: 'audit-offline',
    title: `Offline audit of a ${capMb.toFixed(0)} MB synthetic Modbus TCP capture (${cap.pdus.toLocaleString('en-US')} PDUs, ${CLIENTS} flows)`,
    setup: { captureMb: round(capMb), pdus: cap.pdus, flows: CLIENTS },
    data: rows,
    pending,
    table: {
      head: ['tool', 'seconds', 'MB/s', 'PDUs/s', 'vs tshark'],
      rows: rows.map((r) => [r.tool, r.seconds, r.mbps, r.pdups, ts ? `×${ratio(r.mbps, ts.mbps)}` : '']),
    },
    budget: [
      { what: 'offline audit (decode only) vs tshark', target: '≥ 10×', reached: `×${x}`, met: Number.isFinite(x) ? x >= 10 : null },
      { what: 'offline audit (judged against a policy) vs tshark', target: '≥ 10×', reached: `×${xj}`, met: Number.isFinite(xj) ? xj >= 10 : null },
    ],
  };
}
