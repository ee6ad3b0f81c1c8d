/**
 * `otgate replay --pcap FILE --policy NEW [--against OLD]`: which recorded PDUs change verdict.
 * Both policies judge the same capture in one pass (two passive runners fed the same packets);
 * without --against, the baseline is "no policy": every PDU NEW would deny is listed.
 */
import type { Command } from 'commander';
import type { CompiledPolicy } from '../../rules/compiled';
import { auditLine } from '../monitor/audit-line';
import { PassiveRunner } from '../monitor/passive-runner';
import { readCaptureFile } from '../monitor/pcap-source';
import type { DecisionEvent } from '../pipeline/contract';
import { LineWriter, loadPolicyOrExit } from './audit';

export interface VerdictChange {
  readonly before: DecisionEvent | null;
  readonly after: DecisionEvent;
}

export interface ReplayResult {
  readonly pdus: number;
  readonly changes: VerdictChange[];
  readonly allowToDeny: number;
  readonly denyToAllow: number;
  readonly denies: number;
}

/** Judge captures with `next` (and `prev`, when given); report the PDUs whose verdict differs. */
export async function replayCaptures(files: readonly string[], next: CompiledPolicy, prev: CompiledPolicy | null, onChange?: (c: VerdictChange) => void): Promise<ReplayResult> {
  const a: DecisionEvent[] = [];
  const b: DecisionEvent[] = [];
  const ra = new PassiveRunner({ policy: next, onEvent: (e) => a.push(e) });
  const rb = prev === null ? null : new PassiveRunner({ policy: prev, onEvent: (e) => b.push(e) });
  const res = { pdus: 0, changes: [] as VerdictChange[], allowToDeny: 0, denyToAllow: 0, denies: 0 };
  const settle = () => {
    // Same capture, same decoders: both runners emit the same PDUs in the same order.
    for (let i = 0; i < a.length; i++) {
      const after = a[i]!;
      const before = rb === null ? null : b[i] ?? null;
      res.pdus++;
      if (after.verdict === 'deny') res.denies++;
      const was = before?.verdict ?? null;
      const changed = rb === null ? after.verdict === 'deny' : after.verdict !== was;
      if (!changed) continue;
      if (after.verdict === 'deny' && was !== 'deny') res.allowToDeny++;
      if (after.verdict === 'allow' && was === 'deny') res.denyToAllow++;
      const c = { before, after };
      res.changes.length < 100_000 && res.changes.push(c);
      onChange?.(c);
    }
    a.length = 0;
    b.length = 0;
  };
  for (const f of files) {
    await readCaptureFile(f, (ts, link, frame) => {
      ra.packet(ts, link, frame);
      rb?.packet(ts, link, frame);
      settle();
    });
  }
  ra.finish();
  rb?.finish();
  settle();
  return res;
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('judge a capture with a new policy (against the old one) and list the PDUs whose verdict changes')
    .requiredOption('--pcap <file...>', 'capture file(s)')
    .requiredOption('-p, --policy <new>', 'proposed policy')
    .option('--against <old>', 'current policy (default: no policy, list every deny)')
    .option('--json', 'one JSON line per changed PDU')
    .action(async (o: { pcap: string[]; policy: string; against?: string; json?: boolean }) => {
      const next = loadPolicyOrExit(o.policy);
      const prev = o.against === undefined ? null : loadPolicyOrExit(o.against);
      const out = new LineWriter();
      const r = await replayCaptures(o.pcap, next, prev, (c) => {
        const line = auditLine(c.after, true);
        const before = c.before === null ? null : { verdict: c.before.verdict, rule: c.before.rule, reason: c.before.reason };
        out.write(o.json ? JSON.stringify({ ...line, before }) : `${new Date(c.after.ts).toISOString()} ${c.after.src} → ${c.after.dst} ${c.after.summary}: ${before?.verdict ?? '-'} → ${c.after.verdict}${c.after.reason ? ` (${c.after.reason})` : ''}`);
      });
      await out.end();
      process.stderr.write(`${r.pdus} event(s); ${r.changes.length} change verdict: ${r.allowToDeny} now denied, ${r.denyToAllow} now allowed; ${r.denies} denied under ${o.policy}\n`);
    });
}
