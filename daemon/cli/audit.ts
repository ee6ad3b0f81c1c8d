/** `otgate audit --pcap FILE [--policy FILE] [--json]`: decode (and judge) every PDU of a capture. */
import { writeSync } from 'node:fs';
import type { Command } from 'commander';
import { analyzeCaptures, summaryText } from '../monitor/analyze';
import { humanLine, LineBuffer, writeAuditJson } from '../monitor/audit-line';
import type { DecisionEvent } from '../pipeline/contract';
import type { CompiledPolicy } from '../../rules/compiled';

interface AuditOpts {
  pcap: string[];
  policy?: string;
  json?: boolean;
  filter?: string;
}

export function registerAudit(program: Command): void {
  program
    .command('audit')
    .description('read pcap/pcapng captures, decode every Modbus/OPC UA/MQTT PDU with the proxy\'s decoders and, with a policy, judge it')
    .requiredOption('--pcap <file...>', 'capture file(s), read in order')
    .option('-p, --policy <file>', 'policy to evaluate against (without it: decode only)')
    .option('--json', 'one JSON line per PDU (docs/audit-json.md)')
    .option('--filter <bpf>', 'libpcap filter applied first, e.g. "tcp port 502"')
    .action(async (o: AuditOpts) => {
      const policy = o.policy === undefined ? null : loadPolicyOrExit(o.policy);
      const withPolicy = policy !== null;
      const out = new LineWriter();
      const r = await analyzeCaptures(o.pcap, policy, (e) => {
        if (o.json) out.json(e, withPolicy);
        else out.write(humanLine(e, withPolicy));
      }, { filter: o.filter, summaries: !o.json });
      await out.end();
      process.stderr.write(`${summaryText(r)}\n`);
    });
}

/* eslint-disable @typescript-eslint/no-require-imports -- deliberate lazy loading */
/**
 * Load + compile or print diagnostics and exit 2 (like `otgate check`). The policy loader
 * (yaml, the schema validator, OPC UA node ids: ~120 modules, ~0.1 s) is required here, so a
 * decode-only audit never loads it.
 */
export function loadPolicyOrExit(file: string): CompiledPolicy {
  const { loadAndCompile } = require('../policy-holder') as typeof import('../policy-holder');
  const { formatDiagnostic } = require('../../rules/diagnostics') as typeof import('../../rules/diagnostics');
  const r = loadAndCompile(file);
  if (r.ok) return r.policy;
  for (const d of r.errors) process.stderr.write(`${formatDiagnostic(d)}\n`);
  process.stderr.write(`otgate: policy ${file} rejected\n`);
  process.exit(2);
}

/**
 * Batches lines into large, blocking stdout writes. libpcap reads a whole file in one
 * synchronous loop, so the source cannot be paused; writing synchronously keeps memory flat
 * whatever stdout is (file, pipe, terminal). A closed pipe (`| head`) ends the command quietly.
 *
 * `--json` events are held in groups of JSON_BATCH and encoded together: interleaved with
 * decoding, one line cost about twice what it costs in a run of lines (the encoder's code and
 * its per-flow templates fall out of the CPU caches between two PDUs). Events are immutable
 * once recorded, so encoding a little later gives the same bytes, in the same order.
 */
export class LineWriter {
  /** Lines are encoded straight into this buffer (see LineBuffer). */
  private readonly out = new LineBuffer(1 << 20);
  private closed = false;
  private readonly held: (DecisionEvent | null)[] = new Array<DecisionEvent | null>(JSON_BATCH).fill(null);
  private readonly heldPolicy: boolean[] = new Array<boolean>(JSON_BATCH).fill(false);
  private nHeld = 0;

  write(line: string): void {
    if (this.closed) return;
    if (this.nHeld > 0) this.encodeHeld();
    this.out.utf8(line);
    this.out.byte(0x0a);
    if (this.out.off >= FLUSH_AT) this.flush();
  }

  /** One `--json` line for `e`, encoded (later, with its group) without building the string. */
  json(e: DecisionEvent, withPolicy: boolean): void {
    if (this.closed) return;
    const n = this.nHeld;
    this.held[n] = e;
    this.heldPolicy[n] = withPolicy;
    this.nHeld = n + 1;
    if (n + 1 === JSON_BATCH) this.encodeHeld();
  }

  private encodeHeld(): void {
    const n = this.nHeld;
    this.nHeld = 0;
    const out = this.out;
    for (let i = 0; i < n; i++) {
      const e = this.held[i]!;
      this.held[i] = null; // let the event die young
      if (this.closed) continue;
      writeAuditJson(e, this.heldPolicy[i]!, out);
      out.byte(0x0a);
      if (out.off >= FLUSH_AT) this.flush();
    }
  }

  flush(): void {
    if (this.nHeld > 0) this.encodeHeld();
    if (this.out.off === 0 || this.closed) return;
    const n = this.out.off;
    this.out.off = 0;
    this.writeOut(this.out.buf.subarray(0, n));
  }

  private writeOut(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length && !this.closed) {
      try {
        off += writeSync(1, chunk, off);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') {
          Atomics.wait(PAUSE, 0, 0, 1); // non-blocking pipe full: wait 1 ms for the reader
          continue;
        }
        if (code === 'EPIPE') {
          this.closed = true;
          return;
        }
        throw err;
      }
    }
  }

  async end(): Promise<void> {
    this.flush();
  }
}

const FLUSH_AT = 1 << 18;
/** Events encoded together (a few hundred KB of events and fields: they stay in L2). */
const JSON_BATCH = 256;
const PAUSE = new Int32Array(new SharedArrayBuffer(4));
