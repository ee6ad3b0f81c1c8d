/**
 * `otgate events`: read the audit store (read-only; safe while the daemon writes, WAL) and
 * print decisions as a table, or as JSON lines with --json (one StoredEvent per line).
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { AuditStore, type EventQuery, type StoredEvent } from '../audit/store';
import type { ProtocolName } from '../pipeline/contract';
import { defaultDbPath } from '../paths';

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "10m", "2h", "7d", "90s", "1w" (before now) or an ISO 8601 date/time; throws when neither. */
export function parseSince(text: string, now: number = Date.now()): number {
  const t = text.trim();
  const rel = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(t);
  if (rel) return now - Number(rel[1]) * UNITS[rel[2]!.toLowerCase()]!;
  if (/^\d{4}-\d{2}-\d{2}/.test(t)) {
    const ms = Date.parse(t);
    if (Number.isFinite(ms)) return ms;
  }
  throw new Error(`bad time "${text}" (expected e.g. 10m, 2h, 7d or an ISO date like 2025-01-31T08:00)`);
}

export interface RenderOptions {
  readonly json?: boolean;
  /** Times in UTC instead of local time. */
  readonly utc?: boolean;
  /** Cut the summary column to this many characters (table only). Default 72. */
  readonly summaryWidth?: number;
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}

export function formatTime(ts: number, utc = false): string {
  const d = new Date(ts);
  if (!Number.isFinite(d.getTime())) return '-';
  const [y, mo, da, h, mi, s, ms] = utc
    ? [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()]
    : [d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds(), d.getMilliseconds()];
  return `${y}-${two(mo)}-${two(da)} ${two(h)}:${two(mi)}:${two(s)}.${String(ms).padStart(3, '0')}${utc ? 'Z' : ''}`;
}

function party(asset: string | null, addr: string): string {
  return asset !== null ? `${asset} (${addr})` : addr;
}

function cut(s: string, w: number): string {
  return s.length <= w ? s : `${s.slice(0, Math.max(1, w - 1))}…`;
}

export const TABLE_HEADER = ['TIME', 'CONDUIT', 'CLIENT → SERVER', 'VERDICT/ACTION', 'SUMMARY', 'REASON/ANOMALY', 'TECHNIQUE'] as const;

/** One table row's cells (client → server regardless of the PDU's direction). */
export function eventCells(e: StoredEvent, o: RenderOptions = {}): string[] {
  const [client, server] = e.dir === 'request' ? [e.src, e.dst] : [e.dst, e.src];
  const why = [e.reason, e.anomaly].filter((x): x is string => x !== null).join(' / ');
  return [
    formatTime(e.ts, o.utc),
    e.conduit ?? '-',
    `${party(e.clientAsset, client)} → ${party(e.serverAsset, server)}`,
    `${e.verdict ?? '-'}/${e.action}`,
    cut(`${e.dir === 'response' ? '← ' : ''}${e.summary}`, o.summaryWidth ?? 72),
    why || '-',
    e.technique ?? '-',
  ];
}

/** The text `otgate events` prints: an aligned table, or JSON lines with `json`. */
export function renderEvents(rows: readonly StoredEvent[], o: RenderOptions = {}): string {
  if (o.json === true) return rows.map((r) => `${JSON.stringify(r)}\n`).join('');
  if (rows.length === 0) return 'no events\n';
  const table = [TABLE_HEADER.slice() as string[], ...rows.map((r) => eventCells(r, o))];
  const widths = TABLE_HEADER.map((_, c) => Math.max(...table.map((cells) => [...cells[c]!].length)));
  return table
    .map((cells) => cells.map((v, c) => (c === cells.length - 1 ? v : v + ' '.repeat(widths[c]! - [...v].length))).join('  ').trimEnd())
    .join('\n') + '\n';
}

export interface EventsCommandOptions {
  readonly db: string;
  readonly since?: string;
  readonly until?: string;
  readonly verdict?: string;
  readonly conduit?: string;
  readonly proto?: string;
  readonly anomalies?: boolean;
  readonly limit?: string;
  readonly json?: boolean;
  readonly utc?: boolean;
}

/** Options → store query; throws a readable Error on a bad value. */
export function eventQueryOf(o: EventsCommandOptions, now: number = Date.now()): EventQuery {
  if (o.verdict !== undefined && o.verdict !== 'allow' && o.verdict !== 'deny') throw new Error(`--verdict must be allow or deny, not "${o.verdict}"`);
  if (o.proto !== undefined && !['modbus', 'opcua', 'mqtt'].includes(o.proto)) throw new Error(`--proto must be modbus, opcua or mqtt, not "${o.proto}"`);
  const limit = o.limit === undefined ? 100 : Number(o.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`--limit must be a positive integer, not "${o.limit}"`);
  return {
    ...(o.since !== undefined ? { since: parseSince(o.since, now) } : {}),
    ...(o.until !== undefined ? { until: parseSince(o.until, now) } : {}),
    ...(o.verdict !== undefined ? { verdict: o.verdict } : {}),
    ...(o.conduit !== undefined ? { conduit: o.conduit } : {}),
    ...(o.proto !== undefined ? { proto: o.proto as ProtocolName } : {}),
    ...(o.anomalies === true ? { anomalyOnly: true } : {}),
    limit,
  };
}

/** Reads the store and returns the text to print. */
export function readEvents(o: EventsCommandOptions, now: number = Date.now()): string {
  const q = eventQueryOf(o, now);
  if (!existsSync(o.db)) throw new Error(`no audit store at ${o.db} (use --db or OTGATE_STATE_DIR)`);
  const store = AuditStore.open(o.db, { readonly: true });
  try {
    return renderEvents(store.query(q), { json: o.json === true, utc: o.utc === true });
  } finally {
    store.close();
  }
}

export function registerEvents(program: Command): void {
  program
    .command('events')
    .description('show recorded decisions from the audit store (newest last)')
    .option('--db <file>', 'audit store (SQLite)', defaultDbPath())
    .option('--since <when>', 'only events since: 10m, 2h, 7d, or an ISO date/time')
    .option('--until <when>', 'only events before: same forms as --since')
    .option('--verdict <v>', 'allow | deny')
    .option('--conduit <name>', 'only this conduit')
    .option('--proto <p>', 'modbus | opcua | mqtt')
    .option('--anomalies', 'only events with an anomaly')
    .option('--limit <n>', 'the newest N matching events', '100')
    .option('--json', 'one JSON object per line')
    .option('--utc', 'times in UTC')
    .action((o: EventsCommandOptions) => {
      process.stdout.write(readEvents(o));
    });
}
