/** The `sim` relay driver: talks to the relay simulator (hw/sim/simulator.ts) over its Unix socket. */
import net from 'node:net';
import { parseObject, readLines } from '../line-json';
import { RelayError, type Relay, type RelayFeedback, type RelayState } from '../relay';
import type { SimResponse, SimStatus } from './protocol';

export interface SimRelayOptions {
  readonly socket: string;
  /** Per request. Default 500 ms. */
  readonly timeoutMs?: number;
}

type Pending = { resolve: (s: SimStatus) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

/** Requests in flight are bounded: a stuck simulator cannot make the daemon grow. */
const MAX_PENDING = 64;

export class SimRelay implements Relay {
  readonly driver = 'sim';
  readonly target: string;
  private sock: net.Socket | null = null;
  private connecting: Promise<net.Socket> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private last: RelayState | null = null;
  private detached = false;
  private readonly timeoutMs: number;

  constructor(private readonly o: SimRelayOptions) {
    this.target = `sim ${o.socket}`;
    this.timeoutMs = o.timeoutMs ?? 500;
  }

  async open(): Promise<void> {
    this.last = 'isolated';
    await this.request({ op: 'set', coil: false });
  }

  async close(): Promise<void> {
    await this.request({ op: 'set', coil: true });
    this.last = 'connected';
  }

  commanded(): RelayState | null {
    return this.last;
  }

  async read(): Promise<RelayFeedback> {
    try {
      const s = await this.request({ op: 'status' });
      return { contact: s.contact, keyswitch: s.keyswitch, watchdogTripped: s.watchdogTripped };
    } catch {
      return { contact: 'unknown', keyswitch: null, watchdogTripped: null };
    }
  }

  async heartbeat(): Promise<void> {
    await this.request({ op: 'heartbeat' });
  }

  /** The full simulator status (tests, `otgate relay status` details). */
  status(): Promise<SimStatus> {
    return this.request({ op: 'status' });
  }

  /** Test / demo hooks. */
  fault(stuck: 'open' | 'closed' | null): Promise<SimStatus> {
    return this.request({ op: 'fault', stuck });
  }

  keyswitch(on: boolean): Promise<SimStatus> {
    return this.request({ op: 'keyswitch', on });
  }

  /** Stops talking; the simulator's watchdog then opens the relay once its timeout passes. */
  async detach(): Promise<void> {
    this.detached = true;
    this.sock?.destroy();
    this.sock = null;
    this.failAll(new RelayError('detached', 'sim relay detached'));
  }

  private async request(body: Record<string, unknown>): Promise<SimStatus> {
    if (this.detached) throw new RelayError('detached', 'sim relay detached');
    if (this.pending.size >= MAX_PENDING) throw new RelayError('timeout', `relay simulator: ${MAX_PENDING} requests unanswered`);
    const sock = await this.connect();
    const id = this.nextId++;
    return new Promise<SimStatus>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RelayError('timeout', `relay simulator did not answer ${String(body.op)} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      sock.write(`${JSON.stringify({ id, ...body })}\n`);
    });
  }

  private connect(): Promise<net.Socket> {
    if (this.sock !== null && !this.sock.destroyed) return Promise.resolve(this.sock);
    if (this.connecting !== null) return this.connecting;
    this.connecting = new Promise<net.Socket>((resolve, reject) => {
      const s = net.createConnection(this.o.socket);
      const timer = setTimeout(() => {
        s.destroy();
        reject(new RelayError('timeout', `relay simulator ${this.o.socket}: connect timed out`));
      }, this.timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        this.sock = s;
        resolve(s);
      });
      s.on('error', (err) => {
        clearTimeout(timer);
        reject(new RelayError('io', `relay simulator ${this.o.socket}: ${err.message}`));
      });
      s.on('close', () => {
        if (this.sock === s) this.sock = null;
        this.failAll(new RelayError('io', 'relay simulator connection closed'));
      });
      readLines(s, (line) => this.onLine(line), () => s.destroy());
    }).finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private onLine(line: string): void {
    const r = parseObject(line) as SimResponse | undefined;
    if (r === undefined || typeof r.id !== 'number') return;
    const p = this.pending.get(r.id);
    if (p === undefined) return;
    this.pending.delete(r.id);
    clearTimeout(p.timer);
    if (r.ok) p.resolve(r.status);
    else p.reject(new RelayError('io', `relay simulator: ${r.error}`));
  }

  private failAll(err: Error): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(err);
    }
  }
}
