/**
 * `otgate monitor --interface IF --policy FILE`: the passive pipeline on a live SPAN/mirror port.
 * Denies and anomalies go to the audit store (allowed PDUs only as the policy's audit setting
 * samples them); every violation is reported to `onViolation`, the relay trip hook.
 */
import type { Command } from 'commander';
import { AuditStore, isViolation } from '../audit/store';
import { PassiveRunner } from '../monitor/passive-runner';
import { openLiveCapture } from '../monitor/pcap-source';
import type { DecisionEvent } from '../pipeline/contract';
import { defaultDbPath } from '../paths';
import { loadPolicyOrExit } from './audit';

interface MonitorOpts {
  interface: string;
  policy: string;
  db: string;
  filter: string;
  json?: boolean;
}

/** Hooks a composition root can add (the relay trip policy). */
export interface MonitorHooks {
  onViolation?: (e: DecisionEvent, arrivedAt: bigint) => void;
}

export function registerMonitor(program: Command, hooks: MonitorHooks = {}): void {
  program
    .command('monitor')
    .description('watch a SPAN/mirror interface: decode and judge every PDU, record denies and anomalies (never acts on traffic)')
    .requiredOption('-i, --interface <if>', 'capture interface (needs CAP_NET_RAW)')
    .requiredOption('-p, --policy <file>', 'policy file (YAML)')
    .option('--db <file>', 'audit store (SQLite)', defaultDbPath())
    .option('--filter <bpf>', 'libpcap filter', 'tcp')
    .option('--json', 'also print every event as a JSON line on stdout')
    .action((o: MonitorOpts) => {
      const policy = loadPolicyOrExit(o.policy);
      const store = AuditStore.open(o.db);
      store.setPolicyHash(policy.hash);
      let sampled = 0;
      const runner = new PassiveRunner({
        policy,
        onEvent: (e) => {
          if (o.json) process.stdout.write(`${JSON.stringify(e)}\n`);
          if (isViolation(e)) return store.enqueue(e);
          const a = policy.audit;
          if (a.allowed === 'all' || (a.allowed === 'sample' && ++sampled % a.sampleEvery === 0)) store.enqueue(e);
        },
        onViolation: (e, t) => {
          process.stderr.write(`otgate monitor: ${e.verdict === 'deny' ? `deny ${e.reason}` : `anomaly ${e.anomaly}`} ${e.src} → ${e.dst}: ${e.summary}\n`);
          hooks.onViolation?.(e, t);
        },
      });
      const capture = openLiveCapture(o.interface, (ts, link, frame) => runner.packet(ts, link, frame), (err) => {
        process.stderr.write(`otgate monitor: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
      }, o.filter);
      process.stderr.write(`otgate monitor: capturing on ${o.interface} (policy ${policy.hash.slice(0, 12)})\n`);
      const stop = (sig: string) => {
        process.stderr.write(`otgate monitor: ${sig}, stopping\n`);
        capture.close();
        runner.finish();
        store.flush();
        store.close();
        // libpcap's live poll handle stays referenced after close() until another packet arrives.
        process.exit(0);
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
    });
}
