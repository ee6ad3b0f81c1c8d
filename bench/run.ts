/**
 * `npm run bench [-- NAME...] [-- --rounds N --seconds S]`: runs the benchmarks (all, or the
 * named ones), prints each table and the budget, and writes bench/results/<name>.json plus
 * bench/results/summary.json. Benchmarks are not tests: nothing here fails a build.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { machineInfo } from './lib/machine';
import { ROOT } from './lib/proc';
import { formatTable, type BenchContext, type BenchResult } from './lib/types';
import { benchAuditOffline } from './audit-offline';
import { benchMemory } from './memory';
import { benchModbus } from './modbus';
import { benchMqtt } from './mqtt';
import { benchOpcua } from './opcua';
import { benchPolicyScale } from './policy-scale';
import { benchRelay } from './relay';
import { benchStartup } from './startup';

type Bench = (ctx: BenchContext) => Promise<BenchResult>;

export const BENCHES: Readonly<Record<string, Bench>> = {
  modbus: benchModbus,
  opcua: benchOpcua,
  mqtt: benchMqtt,
  memory: benchMemory,
  'policy-scale': benchPolicyScale,
  'audit-offline': benchAuditOffline,
  relay: benchRelay,
  startup: benchStartup,
};

const RESULTS = path.join(ROOT, 'bench', 'results');

function parseArgs(argv: string[]): { names: string[]; rounds: number; seconds: number; clients: number[]; fcs: (3 | 16)[] } {
  const names: string[] = [];
  let rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  let seconds = Number(process.env.BENCH_SECONDS ?? 1);
  let clients = [1, 16, 64];
  let fcs: (3 | 16)[] = [3, 16];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--rounds') rounds = Number(argv[++i]);
    else if (a === '--seconds') seconds = Number(argv[++i]);
    else if (a === '--clients') clients = argv[++i]!.split(',').map(Number);
    else if (a === '--fc') fcs = argv[++i]!.split(',').map(Number) as (3 | 16)[];
    else names.push(a);
  }
  return { names, rounds, seconds, clients, fcs };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const names = args.names.length > 0 ? args.names : Object.keys(BENCHES);
  const unknown = names.filter((n) => !(n in BENCHES));
  if (unknown.length > 0) {
    process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}\n`);
    process.exit(2);
  }
  mkdirSync(RESULTS, { recursive: true });
  const machine = machineInfo();
  process.stdout.write(`otgate benchmarks on ${machine.nproc} × ${machine.cpu}, node ${machine.node}, load ${machine.loadavg.join(' ')}\n`);
  const ctx: BenchContext = {
    rounds: args.rounds,
    seconds: args.seconds,
    modbusClients: args.clients,
    modbusFcs: args.fcs,
    targets: process.env.BENCH_TARGETS ? process.env.BENCH_TARGETS.split(',') : null,
    log: (l) => process.stdout.write(`  ${l}\n`),
  };
  const summaryFile = path.join(RESULTS, 'summary.json');
  const summary: Record<string, unknown> = existsSync(summaryFile) ? (JSON.parse(readFileSync(summaryFile, 'utf8')) as Record<string, unknown>) : {};
  for (const name of names) {
    const t0 = Date.now();
    process.stdout.write(`\n== ${name}\n`);
    let result: BenchResult;
    try {
      result = await BENCHES[name]!(ctx);
    } catch (err) {
      process.stdout.write(`  ${name} failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      continue;
    }
    const record = { ...result, machine: { ...machine, loadavg: machineInfo().loadavg }, seconds: (Date.now() - t0) / 1000 };
    writeFileSync(path.join(RESULTS, `${name}.json`), `${JSON.stringify(record, null, 1)}\n`);
    summary[name] = { at: record.machine.at, load: record.machine.loadavg, table: result.table, budget: result.budget, pending: result.pending };
    process.stdout.write(`\n${result.title}\n`);
    if (result.table) process.stdout.write(`${formatTable(result.table)}\n`);
    for (const b of result.budget ?? []) process.stdout.write(`  ${b.met === null ? 'INFO' : b.met ? 'MET ' : 'MISS'} ${b.what}: ${b.reached} (budget ${b.target})\n`);
    for (const p of result.pending ?? []) process.stdout.write(`  PENDING ${p}\n`);
    process.stdout.write(`  (${record.seconds.toFixed(0)} s; load now ${record.machine.loadavg.join(' ')})\n`);
  }
  writeFileSync(summaryFile, `${JSON.stringify(summary, null, 1)}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
