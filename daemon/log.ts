/**
 * The daemon's logger (winston 3). Off a terminal (systemd/journald, containers, pipes) every
 * record is one JSON line `{"ts","level","msg","fields"}`; on a terminal it is a readable,
 * coloured one-liner. Secret-looking fields (password, token, secret, key material, …) are
 * redacted by name at any depth, plus any explicit dotted paths, before anything is rendered —
 * MQTT CONNECT passwords and OPC UA user tokens end up in decision fields, never in logs.
 */
import './tick-shape';
import type { Writable } from 'node:stream';
import winston from 'winston';
import type { DecisionEvent } from './pipeline/contract';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  readonly level: string;
  /** JSON lines; default: true unless the output stream is a TTY. */
  readonly json?: boolean;
  /** ANSI colours in the readable form; default: the output stream is a TTY. */
  readonly color?: boolean;
  /** Where lines go (default process.stdout). */
  readonly stream?: Writable;
  /** Extra dotted field paths to redact, e.g. "peer.certificate". */
  readonly redact?: readonly string[];
}

export const REDACTED = '[redacted]';

const MESSAGE = Symbol.for('message');

/** Lower-cased field names with '_' and '-' removed that contain one of these are secrets. */
const SECRET_PARTS = [
  'password', 'passwd', 'passphrase', 'secret', 'token', 'apikey', 'privatekey', 'keymaterial',
  'signingkey', 'sessionkey', 'encryptionkey', 'authorization', 'credential', 'cookie',
] as const;
const SECRET_NAMES = new Set(['pwd', 'key', 'pin', 'psk']);

export function isSecretName(name: string): boolean {
  const n = name.toLowerCase().replace(/[-_]/g, '');
  if (SECRET_NAMES.has(n)) return true;
  for (const p of SECRET_PARTS) if (n.includes(p)) return true;
  return false;
}

const MAX_DEPTH = 8;

/**
 * A copy of `value` with secrets replaced. Objects are copied only when something under them
 * changes shape (Buffers, Errors, bigint); cycles and excessive depth are cut.
 */
export function redact(value: unknown, paths: ReadonlySet<string> = new Set(), prefix = '', depth = 0, seen: Set<object> = new Set()): unknown {
  if (typeof value === 'string') return value.includes('PRIVATE KEY-----') ? REDACTED : value;
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return value;
  if (Buffer.isBuffer(value)) return `<${value.length} bytes>`;
  if (value instanceof Error) return { message: value.message, ...(value.stack ? { stack: value.stack } : {}) };
  if (value instanceof Date) return value.toISOString();
  if (seen.has(value) || depth >= MAX_DEPTH) return '[…]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v, i) => redact(v, paths, `${prefix}${i}.`, depth + 1, seen));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const p = prefix + k;
      out[k] = isSecretName(k) || paths.has(p) ? REDACTED : redact(v, paths, `${p}.`, depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

const COLORS: Record<string, string> = { error: '\x1b[31m', warn: '\x1b[33m', info: '\x1b[32m', debug: '\x1b[90m' };
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

function fieldsOf(info: Record<string, unknown>): Record<string, unknown> | null {
  let out: Record<string, unknown> | null = null;
  for (const k of Object.keys(info)) {
    if (k === 'level' || k === 'message') continue;
    (out ??= {})[k] = info[k];
  }
  return out;
}

function inline(v: unknown): string {
  if (typeof v === 'string') return /[\s="]/.test(v) || v === '' ? JSON.stringify(v) : v;
  return JSON.stringify(v) ?? String(v);
}

function clock(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

export function createLogger(o: LoggerOptions): winston.Logger {
  if (!(LOG_LEVELS as readonly string[]).includes(o.level)) {
    throw new Error(`unknown log level "${o.level}" (expected ${LOG_LEVELS.join(' | ')})`);
  }
  const stream: Writable = o.stream ?? process.stdout;
  const tty = (stream as Writable & { isTTY?: boolean }).isTTY === true;
  const json = o.json ?? !tty;
  const color = o.color ?? tty;
  const paths = new Set(o.redact ?? []);

  const render = winston.format((info) => {
    const raw = fieldsOf(info as unknown as Record<string, unknown>);
    const fields = raw === null ? null : (redact(raw, paths) as Record<string, unknown>);
    const msg = typeof info.message === 'string' ? info.message : inline(redact(info.message, paths));
    const now = new Date();
    let line: string;
    if (json) {
      line = JSON.stringify(fields === null ? { ts: now.toISOString(), level: info.level, msg } : { ts: now.toISOString(), level: info.level, msg, fields });
    } else {
      const lvl = info.level.toUpperCase().padEnd(5);
      const kv = fields === null ? '' : ` ${Object.entries(fields).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => `${k}=${inline(v)}`).join(' ')}`;
      line = color
        ? `${DIM}${clock(now)}${RESET} ${COLORS[info.level] ?? ''}${lvl}${RESET} ${msg}${kv.trim() ? `${DIM}${kv}${RESET}` : ''}`
        : `${clock(now)} ${lvl} ${msg}${kv.trim() ? kv : ''}`;
    }
    (info as unknown as Record<symbol, string>)[MESSAGE] = line;
    return info;
  });

  return winston.createLogger({
    level: o.level,
    levels: { error: 0, warn: 1, info: 2, debug: 3 },
    format: render(),
    transports: [new winston.transports.Stream({ stream })],
  });
}

/** One decision in the log: denies and anomalies at info, allowed traffic at debug. */
export function logDecision(log: winston.Logger, e: DecisionEvent): void {
  const notable = e.verdict === 'deny' || e.anomaly !== null;
  if (!notable && !log.isLevelEnabled('debug')) return;
  const why = e.reason ?? e.anomaly;
  const line = `${e.action.toUpperCase()} ${e.conduit ?? '-'} ${e.src} → ${e.dst} ${e.summary}${why ? ` [${why}]` : ''}${e.technique ? ` ${e.technique}` : ''}`;
  const fields = { conduit: e.conduit, flow: e.flow, verdict: e.verdict, action: e.action, rule: e.rule, reason: e.reason, anomaly: e.anomaly, technique: e.technique };
  if (notable) log.info(line, fields);
  else log.debug(line, fields);
}
