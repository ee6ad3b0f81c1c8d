/** `otgate audit --pcap FILE [--policy FILE] [--json]`: decode (and judge) every PDU of a capture. */
import { writeSync } from 'node:fs';
import type { Command } from 'commander';
import { analyzeCaptures, summaryText } from '../monitor/analyze';
import { humanLine, LineBuffer, writeAuditJson } from '../monitor/audit-line';
import type { DecisionEvent } from '../pipeline/contract';
import { loadAndCompile } from '../policy-holder';
import type { CompiledPolicy } from '../../rules/compiled';
import { formatDiagnostic } from '../../rules/diagnostics';

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

/** Load + compile or print diagnostics and exit 2 (like `otgate check`). */
export function loadPolicyOrExit(file: string): CompiledPolicy {
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
 */
export class LineWriter {
  /** Lines are encoded straight into this buffer (see LineBuffer). */
  private readonly out = new LineBuffer(1 << 20);
  private closed = false;

  write(line: string): void {
    if (this.closed) return;
    this.out.utf8(line);
    this.out.byte(0x0a);
    if (this.out.off >= FLUSH_AT) this.flush();
  }

  /** One `--json` line for `e`, encoded without building the string. */
  json(e: DecisionEvent, withPolicy: boolean): void {
    if (this.closed) return;
    writeAuditJson(e, withPolicy, this.out);
    this.out.byte(0x0a);
    if (this.out.off >= FLUSH_AT) this.flush();
  }

  flush(): void {
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
const PAUSE = new Int32Array(new SharedArrayBuffer(4));
