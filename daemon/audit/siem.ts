/**
 * Forwards decision events to a SIEM as RFC 5424 syslog messages, over UDP (RFC 5426, one
 * message per datagram) or TCP (RFC 6587 §3.4.1 octet counting: "LEN SP MSG", so a message may
 * hold any byte and framing never depends on newlines).
 *
 * MSG is the event as one JSON object — the same shape as the audit store, `otgate events
 * --json` and the logs — rather than CEF: the event has nested protocol fields that CEF's flat,
 * vendor-keyed extension would have to flatten and escape, and every common SIEM parses JSON
 * out of syslog. STRUCTURED-DATA is NILVALUE: an SD-ID of our own would need an IANA enterprise
 * number. The JSON is ASCII-only (non-ASCII escaped as \uXXXX), so MSG needs no BOM (§6.4).
 *
 * `send` never blocks and never throws: events go on a bounded queue that is encoded and written
 * on later ticks; a full queue drops the incoming event and counts it. TCP reconnects with
 * exponential backoff; sockets and timers are unref'd so they never keep the process alive.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import os from 'node:os';
import type { DecisionEvent } from '../pipeline/contract';
import { countSiem } from '../stats';
import { isViolation, type AuditLog } from './store';

export interface SiemTarget {
  readonly transport: 'udp' | 'tcp';
  readonly host: string;
  readonly port: number;
}

export interface SiemOptions extends SiemTarget {
  /** Which events go out: deny/anomaly/enforcement only (default), or every recorded one. */
  readonly include?: 'violations' | 'all';
  /** Syslog facility (RFC 5424 §6.2.1). Default 16 (local0). */
  readonly facility?: number;
  readonly hostname?: string;
  readonly appName?: string;
  readonly procId?: string;
  /** Events waiting to be sent. Default 10,000. */
  readonly maxQueue?: number;
  /** A longer message is sent without its protocol fields. Default 8,192 bytes (UDP-safe on loopback/jumbo; 2,048 is the RFC 5426 floor). */
  readonly maxMessageBytes?: number;
  readonly reconnectMinMs?: number;
  readonly reconnectMaxMs?: number;
  readonly log?: AuditLog;
}

export interface SiemStats {
  readonly queued: number;
  readonly sent: number;
  readonly dropped: number;
  readonly errors: number;
  readonly connected: boolean;
}

export interface SyslogHeader {
  readonly facility: number;
  readonly hostname: string;
  readonly appName: string;
  readonly procId: string;
}

/** "udp://host:port" | "tcp://host:port" | "[::1]:port" forms; throws on anything else. */
export function parseSiemTarget(url: string): SiemTarget {
  const m = /^(udp|tcp):\/\/(\[[0-9a-fA-F:.]+\]|[^:/\s]+):(\d{1,5})\/?$/.exec(url.trim());
  const port = m ? Number(m[3]) : 0;
  if (!m || port < 1 || port > 65535) throw new Error(`bad SIEM target "${url}" (expected udp://host:port or tcp://host:port)`);
  return { transport: m[1] as 'udp' | 'tcp', host: m[2]!.replace(/^\[|\]$/g, ''), port };
}

// RFC 5424 §6.2.1 severities.
const SEV_WARNING = 4;
const SEV_INFO = 6;

/** PRINTUSASCII without spaces, bounded length (§6.2.4–6.2.7); "-" when empty. */
function headerField(s: string, max: number): string {
  const v = s.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return v === '' ? '-' : v;
}

function asciiJson(v: unknown): string {
  const s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) ?? 'null';
  return s.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function msgId(e: DecisionEvent): string {
  if (e.anomaly !== null) return 'anomaly';
  if (e.verdict === 'deny') return 'deny';
  if (e.verdict === 'allow') return 'allow';
  return 'event';
}

/** One RFC 5424 message: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - {json}`. */
export function formatSyslog(e: DecisionEvent, h: SyslogHeader, maxBytes = Infinity): string {
  const pri = h.facility * 8 + (isViolation(e) ? SEV_WARNING : SEV_INFO);
  const ts = Number.isFinite(e.ts) ? new Date(e.ts).toISOString() : '-';
  const head = `<${pri}>1 ${ts} ${headerField(h.hostname, 255)} ${headerField(h.appName, 48)} ${headerField(h.procId, 128)} ${msgId(e)} - `;
  let body = asciiJson(e);
  if (head.length + body.length > maxBytes) {
    body = asciiJson({ ...e, summary: e.summary.slice(0, 256), fields: { truncated: true } });
  }
  return head + body;
}

/** RFC 6587 §3.4.1 octet-counting frame. */
export function octetFrame(msg: string): Buffer {
  const body = Buffer.from(msg, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}

export class SiemForwarder {
  private queue: DecisionEvent[] = [];
  private readonly header: SyslogHeader;
  private readonly maxQueue: number;
  private readonly maxBytes: number;
  private readonly minBackoff: number;
  private readonly maxBackoff: number;
  private readonly all: boolean;
  private readonly log: AuditLog | null;

  private udp: dgram.Socket | null = null;
  private tcp: net.Socket | null = null;
  private connected = false;
  private writable = true;
  private backoff: number;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private drainScheduled = false;
  private inflight = 0;
  private closed = false;
  private lastError = '';
  private idleWaiters: (() => void)[] = [];

  private sent = 0;
  private dropped = 0;
  private errors = 0;

  constructor(private readonly o: SiemOptions) {
    this.header = {
      facility: Math.max(0, Math.min(23, Math.floor(o.facility ?? 16))),
      hostname: o.hostname ?? os.hostname(),
      appName: o.appName ?? 'otgate',
      procId: o.procId ?? String(process.pid),
    };
    this.maxQueue = Math.max(1, o.maxQueue ?? 10_000);
    this.maxBytes = Math.max(512, o.maxMessageBytes ?? 8192);
    this.minBackoff = Math.max(1, o.reconnectMinMs ?? 500);
    this.maxBackoff = Math.max(this.minBackoff, o.reconnectMaxMs ?? 30_000);
    this.backoff = this.minBackoff;
    this.all = o.include === 'all';
    this.log = o.log ?? null;
    if (o.transport === 'udp') {
      this.udp = dgram.createSocket(net.isIPv6(o.host) ? 'udp6' : 'udp4');
      this.udp.on('error', (err) => this.onError(err));
      this.udp.unref();
      this.connected = true;
    } else {
      this.connect();
    }
  }

  /** Queue one event for the SIEM. O(1); never blocks, never throws. */
  send(e: DecisionEvent): void {
    if (this.closed || (!this.all && !isViolation(e))) return;
    if (this.queue.length >= this.maxQueue) {
      this.dropped++;
      countSiem('dropped');
      return;
    }
    this.queue.push(e);
    this.scheduleDrain();
  }

  stats(): SiemStats {
    return { queued: this.queue.length, sent: this.sent, dropped: this.dropped, errors: this.errors, connected: this.connected };
  }

  /** Stops accepting; waits up to `timeoutMs` for the queue to go out, then closes the socket. */
  async close(timeoutMs = 1000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.queue.length > 0 || this.inflight > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, timeoutMs);
        t.unref();
        this.idleWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const left = this.queue.length;
    if (left > 0) {
      this.dropped += left;
      countSiem('dropped', left);
      this.queue = [];
    }
    if (this.udp) {
      const u = this.udp;
      this.udp = null;
      await new Promise<void>((r) => u.close(() => r()));
    }
    if (this.tcp) {
      const s = this.tcp;
      this.tcp = null;
      await new Promise<void>((r) => {
        s.once('close', () => r());
        s.end();
        setTimeout(() => s.destroy(), timeoutMs).unref();
      });
    }
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    if (this.udp) this.drainUdp(this.udp);
    else if (this.tcp && this.connected) this.drainTcp(this.tcp);
    this.checkIdle();
  }

  private drainUdp(u: dgram.Socket): void {
    // Bounded in-flight datagrams: the rest wait for callbacks (RFC 5426 has no flow control).
    while (this.queue.length > 0 && this.inflight < 256) {
      const e = this.queue.shift()!;
      const buf = Buffer.from(formatSyslog(e, this.header, this.maxBytes), 'utf8');
      this.inflight++;
      try {
        u.send(buf, this.o.port, this.o.host, (err) => {
          this.inflight--;
          if (err) this.onSendError(err);
          else {
            this.sent++;
            countSiem('sent');
          }
          if (this.queue.length > 0) this.scheduleDrain();
          else this.checkIdle();
        });
      } catch (err) {
        this.inflight--;
        this.onSendError(err);
      }
    }
  }

  private drainTcp(s: net.Socket): void {
    while (this.queue.length > 0 && this.writable) {
      const e = this.queue.shift()!;
      this.writable = s.write(octetFrame(formatSyslog(e, this.header)));
      this.sent++;
      countSiem('sent');
    }
  }

  private checkIdle(): void {
    if (this.queue.length > 0 || this.inflight > 0) return;
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of w) f();
  }

  private connect(): void {
    if (this.closed && this.queue.length === 0) return;
    const s = net.createConnection({ host: this.o.host, port: this.o.port });
    this.tcp = s;
    s.setNoDelay(true);
    s.setKeepAlive(true, 30_000);
    s.unref();
    s.on('connect', () => {
      this.connected = true;
      this.writable = true;
      this.backoff = this.minBackoff;
      if (this.lastError !== '') this.log?.warn(`SIEM ${this.o.host}:${this.o.port} reconnected`);
      this.lastError = '';
      this.drain();
    });
    s.on('drain', () => {
      this.writable = true;
      this.drain();
    });
    s.on('data', () => {}); // a syslog receiver sends nothing; ignore whatever it does
    s.on('error', (err) => this.onError(err));
    s.on('close', () => {
      if (this.tcp !== s) return;
      this.tcp = null;
      this.connected = false;
      this.writable = true;
      if (this.closed) {
        this.checkIdle();
        return;
      }
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = null;
        this.connect();
      }, this.backoff);
      this.reconnectTimer.unref();
      this.backoff = Math.min(this.maxBackoff, this.backoff * 2);
    });
  }

  private onSendError(err: unknown): void {
    this.errors++;
    countSiem('error');
    this.onError(err);
  }

  private onError(err: unknown): void {
    const msg = err instanceof Error ? err.message : String(err);
    // Log a changed condition once, not every retry.
    if (msg !== this.lastError) this.log?.warn(`SIEM ${this.o.transport}://${this.o.host}:${this.o.port}: ${msg}`);
    this.lastError = msg;
  }
}
