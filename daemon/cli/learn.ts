/** `otgate learn --pcap FILE… [--out policy.yaml] [--min-observations K]`: propose a policy from traffic. */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { formatDiagnostic } from '../../rules/diagnostics';
import { PolicyLearner, type LearnObservation } from '../../rules/learn';
import { loadPolicyText } from '../../rules/load';
import { analyzeCaptures, summaryText } from '../monitor/analyze';
import type { DecisionEvent } from '../pipeline/contract';

interface LearnOpts {
  pcap: string[];
  out?: string;
  minObservations: string;
  site?: string;
  filter?: string;
}

/** A request event the learner can use: decoded, with protocol fields. */
export function observationOf(e: DecisionEvent): LearnObservation | null {
  if (e.dir !== 'request' || Object.keys(e.fields).length === 0) return null;
  return { ts: e.ts, proto: e.proto, client: splitEndpoint(e.src), server: splitEndpoint(e.dst), fields: e.fields };
}

function splitEndpoint(s: string): { ip: string; port: number } {
  const i = s.lastIndexOf(':');
  const host = s.slice(0, i);
  return { ip: host.startsWith('[') ? host.slice(1, -1) : host, port: Number(s.slice(i + 1)) };
}

/** Learn from captures: the YAML text and whether it passes the loader. */
export async function learnFromCaptures(files: readonly string[], minWrite: number, site?: string, filter?: string) {
  const learner = new PolicyLearner();
  const r = await analyzeCaptures(files, null, (e) => {
    const o = observationOf(e);
    if (o !== null) learner.add(o);
  }, { filter, summaries: false });
  const yaml = learner.toYaml({ minWriteObservations: minWrite, site });
  const check = loadPolicyText(yaml, 'learned.yaml');
  return { yaml, check, analysis: r, observations: learner.observations };
}

export function registerLearn(program: Command): void {
  program
    .command('learn')
    .description('propose a least-privilege policy from captured traffic (every rule with its evidence)')
    .requiredOption('--pcap <file...>', 'capture file(s)')
    .option('-o, --out <file>', 'write the policy here (default: stdout)')
    .option('-k, --min-observations <K>', 'propose a write function only when seen at least K times per pair', '3')
    .option('--site <name>', 'site name for the policy', 'learned')
    .option('--filter <bpf>', 'libpcap filter applied first')
    .action(async (o: LearnOpts) => {
      const k = Number(o.minObservations);
      if (!Number.isInteger(k) || k < 1) {
        process.stderr.write('otgate learn: --min-observations must be a positive integer\n');
        process.exit(2);
      }
      const r = await learnFromCaptures(o.pcap, k, o.site, o.filter);
      process.stderr.write(`${summaryText(r.analysis)}\nlearned from ${r.observations} request(s)\n`);
      if (!r.check.ok) {
        for (const d of r.check.errors) process.stderr.write(`${formatDiagnostic(d)}\n`);
        process.stderr.write('otgate learn: the proposed policy does not pass `otgate check` (an otgate bug); printing it anyway\n');
      }
      if (o.out) writeFileSync(o.out, r.yaml);
      else process.stdout.write(r.yaml);
      if (!r.check.ok) process.exitCode = 1;
    });
}
