/**
 * The relay simulator: a relay and an external heartbeat watchdog in one small process, with a
 * Unix socket (hw/sim/protocol.ts) and a state file (JSON, replaced atomically on every change).
 * Used by the demo, the testbed and the tests in place of hardware.
 *
 * Behaviour, modelled on a watchdog module in series with the relay coil:
 * - power-up: coil de-energized, contact open (isolated);
 * - `set coil:true` needs a fresh heartbeat (no pulses = the watchdog keeps the coil unpowered);
 * - no heartbeat for longer than the timeout: the watchdog drops the coil → contact opens, and
 *   stays open when pulses resume. It never closes by itself: only a new `set coil:true` does.
 */
import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { parseObject, readLines, writeLine } from '../line-json';
import { PulseWatchdog } from '../watchdog';
import type { SimRequest, SimResponse, SimStatus } from './protocol';

export interface SimulatorOptions {
  readonly socket: string;
  readonly stateFile?: string | null;
  readonly timeoutMs: number;
  /** Socket mode (default 0660). */
  readonly mode?: number;
  readonly log?: (line: string) => void;
}

export class RelaySimulator {
  private coil = false;
  private tripped = false;
  private keyswitch = false;
  private stuck: 'open' | 'closed' | null = null;
  private trips = 0;
  private changedAt = Date.now();
  private trippedAt: number | null = null;
  private lastContact: 'connected' | 'isolated' = 'isolated';
  private readonly watchdog: PulseWatchdog;
  private readonly server: net.Server;
  private readonly clients = new Set<net.Socket>();

  private constructor(private readonly o: SimulatorOptions) {
    this.watchdog = new PulseWatchdog({ timeoutMs: o.timeoutMs, onExpire: (silent) => this.expire(silent) });
    this.server = net.createServer((s) => this.accept(s));
  }

  static async start(o: SimulatorOptions): Promise<RelaySimulator> {
    const sim = new RelaySimulator(o);
    mkdirSync(path.dirname(o.socket), { recursive: true });
    rmSync(o.socket, { force: true });
    await new Promise<void>((resolve, reject) => {
      sim.server.once('error', reject);
      sim.server.listen(o.socket, () => {
        sim.server.off('error', reject);
        resolve();
      });
    });
    chmodSync(o.socket, o.mode ?? 0o660);
    sim.persist();
    return sim;
  }

  status(): SimStatus {
    return {
      coil: this.coil,
      contact: this.contact(),
      watchdogTripped: this.tripped,
      silenceMs: this.watchdog.silence(),
      timeoutMs: this.o.timeoutMs,
      keyswitch: this.keyswitch,
      stuck: this.stuck,
      watchdogTrips: this.trips,
      changedAt: this.changedAt,
      watchdogTrippedAt: this.trippedAt,
    };
  }

  async stop(): Promise<void> {
    this.watchdog.stop();
    for (const c of this.clients) c.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
    rmSync(this.o.socket, { force: true });
  }

  private contact(): 'connected' | 'isolated' {
    if (this.stuck === 'open') return 'isolated';
    if (this.stuck === 'closed') return 'connected';
    return this.coil && !this.tripped ? 'connected' : 'isolated';
  }

  private accept(s: net.Socket): void {
    this.clients.add(s);
    s.on('close', () => this.clients.delete(s));
    s.on('error', () => s.destroy());
    readLines(s, (line) => writeLine(s, this.handle(line)), () => s.destroy());
  }

  private handle(line: string): SimResponse {
    const req = parseObject(line) as Partial<SimRequest> | undefined;
    const id = typeof req?.id === 'number' ? req.id : 0;
    if (req === undefined) return { id, ok: false, error: 'not a JSON object' };
    switch (req.op) {
      case 'heartbeat':
        this.watchdog.pulse();
        break;
      case 'set':
        if (typeof req.coil !== 'boolean') return { id, ok: false, error: 'set needs coil: true|false' };
        if (req.coil) {
          const silence = this.watchdog.silence();
          if (silence === null || silence >= this.o.timeoutMs) return { id, ok: false, error: 'watchdog: no fresh heartbeat, coil stays unpowered' };
          this.tripped = false;
        }
        this.coil = req.coil;
        break;
      case 'status':
        break;
      case 'fault':
        if (req.stuck !== 'open' && req.stuck !== 'closed' && req.stuck !== null) return { id, ok: false, error: 'fault needs stuck: open|closed|null' };
        this.stuck = req.stuck;
        break;
      case 'keyswitch':
        if (typeof req.on !== 'boolean') return { id, ok: false, error: 'keyswitch needs on: true|false' };
        this.keyswitch = req.on;
        break;
      default:
        return { id, ok: false, error: `unknown op ${String(req.op)}` };
    }
    this.changed();
    return { id, ok: true, status: this.status() };
  }

  private expire(silentMs: number): void {
    if (!this.coil || this.tripped) return; // nothing to open
    this.tripped = true;
    this.coil = false;
    this.trips++;
    this.trippedAt = Date.now();
    this.o.log?.(`watchdog: no heartbeat for ${silentMs} ms (timeout ${this.o.timeoutMs} ms): relay opened`);
    this.changed();
  }

  private changed(): void {
    const c = this.contact();
    if (c !== this.lastContact) {
      this.lastContact = c;
      this.changedAt = Date.now();
    }
    this.persist();
  }

  private persist(): void {
    const f = this.o.stateFile;
    if (f == null) return;
    try {
      const tmp = `${f}.tmp`;
      writeFileSync(tmp, `${JSON.stringify({ ...this.status(), pid: process.pid, ts: Date.now() })}\n`);
      renameSync(tmp, f);
    } catch (err) {
      this.o.log?.(`state file ${f}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
