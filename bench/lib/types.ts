/** What every benchmark receives and returns (the runner prints and stores it). */
export interface BenchContext {
  /** Interleaved rounds per comparison. */
  readonly rounds: number;
  /** Seconds measured per target per round. */
  readonly seconds: number;
  readonly modbusClients: readonly number[];
  readonly modbusFcs: readonly (3 | 16)[];
  /** Only these forwarding targets (direct, node-relay, socat, otgate); null = all. */
  readonly targets: readonly string[] | null;
  log(line: string): void;
}

export interface BenchResult {
  readonly name: string;
  readonly title: string;
  readonly setup: Readonly<Record<string, unknown>>;
  readonly data: unknown;
  /** Measures that could not run yet (a missing feature), with why. */
  readonly pending?: readonly string[];
  /** A printable table of the headline figures (the runner prints it; BENCHMARKS.md copies it). */
  readonly table?: Table;
  /** Budget lines: what was asked, what was reached, met or not. */
  readonly budget?: readonly BudgetLine[];
}

export interface Table {
  readonly head: readonly string[];
  readonly rows: readonly (readonly (string | number)[])[];
}

export interface BudgetLine {
  readonly what: string;
  readonly target: string;
  readonly reached: string;
  readonly met: boolean | null;
}

/** Markdown-ish fixed-width table. */
export function formatTable(t: Table): string {
  const cells = [t.head.map(String), ...t.rows.map((r) => r.map((c) => (typeof c === 'number' && !Number.isFinite(c) ? '-' : String(c))))];
  const w = t.head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(w[i]!)).join(' | ')} |`;
  return [line(cells[0]!), `|${w.map((x) => '-'.repeat(x + 2)).join('|')}|`, ...cells.slice(1).map(line)].join('\n');
}
