/**
 * The `modbus` relay driver: a coil on a Modbus TCP relay / remote I/O module drives the relay
 * (ON = energized = connected), an optional discrete input reads its auxiliary contact, an
 * optional discrete input reads the restore key-switch, and an optional holding register
 * receives a counter every heartbeat (modules with a communication watchdog drop their outputs
 * when writes stop: configure that timeout in the module, it is the external watchdog here).
 *
 * Functions used: FC 1 Read Coils (MB-AP §6.1), FC 2 Read Discrete Inputs (§6.2), FC 5 Write
 * Single Coil (§6.5), FC 6 Write Single Register (§6.6). One transaction at a time: the module
 * sees the same order otgate decided in, and a slow bus cannot pile requests up.
 */
import ModbusRTU from 'modbus-serial';
import { RelayError, type ContactState, type Relay, type RelayFeedback, type RelayState } from './relay';

export interface ModbusRelayOptions {
  readonly host: string;
  readonly port: number;
  readonly unitId: number;
  readonly coil: number;
  readonly feedbackInput: number | null;
  readonly keyswitchInput: number | null;
  readonly heartbeatRegister: number | null;
  /** Per transaction and per connect. */
  readonly timeoutMs: number;
}

/** Queued operations beyond this are refused (heartbeats are skipped, commands fail loudly). */
const MAX_QUEUE = 8;

export class ModbusRelay implements Relay {
  readonly driver = 'modbus';
  readonly target: string;
  private client: ModbusRTU | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private last: RelayState | null = null;
  private counter = 0;
  private detached = false;

  constructor(private readonly o: ModbusRelayOptions) {
    this.target = `modbus ${o.host}:${o.port} unit ${o.unitId} coil ${o.coil}`;
  }

  async open(): Promise<void> {
    this.last = 'isolated';
    await this.op((c) => c.writeCoil(this.o.coil, false));
  }

  async close(): Promise<void> {
    await this.op((c) => c.writeCoil(this.o.coil, true));
    this.last = 'connected';
  }

  commanded(): RelayState | null {
    return this.last;
  }

  async read(): Promise<RelayFeedback> {
    let contact: ContactState = 'unknown';
    let keyswitch: boolean | null = null;
    try {
      if (this.o.feedbackInput !== null) {
        const r = await this.op((c) => c.readDiscreteInputs(this.o.feedbackInput!, 1));
        contact = r.data[0] === true ? 'connected' : 'isolated';
      }
      if (this.o.keyswitchInput !== null) {
        const r = await this.op((c) => c.readDiscreteInputs(this.o.keyswitchInput!, 1));
        keyswitch = r.data[0] === true;
      }
    } catch {
      return { contact: 'unknown', keyswitch: null, watchdogTripped: null };
    }
    return { contact, keyswitch, watchdogTripped: null };
  }

  /** Reads the coil back: a module whose communication watchdog dropped the output shows up here. */
  async readCoil(): Promise<boolean> {
    const r = await this.op((c) => c.readCoils(this.o.coil, 1));
    return r.data[0] === true;
  }

  async heartbeat(): Promise<void> {
    if (this.queued >= 2) return; // the bus is busy with commands; this period's pulse is skipped
    if (this.o.heartbeatRegister !== null) {
      this.counter = (this.counter + 1) & 0xffff;
      const v = this.counter;
      await this.op((c) => c.writeRegister(this.o.heartbeatRegister!, v));
    } else {
      await this.op((c) => c.readCoils(this.o.coil, 1));
    }
  }

  /** Best effort: de-energize the coil, then hang up. */
  async detach(): Promise<void> {
    try {
      await this.open();
    } catch {
      // the module's communication watchdog will drop the output
    }
    this.detached = true;
    const c = this.client;
    this.client = null;
    if (c !== null) await new Promise<void>((r) => c.close(() => r()));
  }

  /** Serialises every transaction; reconnects lazily after a failure. */
  private op<T>(fn: (c: ModbusRTU) => Promise<T>): Promise<T> {
    if (this.detached) return Promise.reject(new RelayError('detached', 'modbus relay detached'));
    if (this.queued >= MAX_QUEUE) return Promise.reject(new RelayError('timeout', `modbus relay: ${MAX_QUEUE} operations queued`));
    this.queued++;
    const run = async (): Promise<T> => {
      try {
        const c = await this.connected();
        return await withTimeout(fn(c), this.o.timeoutMs, `modbus relay ${this.o.host}:${this.o.port}`);
      } catch (err) {
        this.drop();
        if (err instanceof RelayError) throw err;
        throw new RelayError('io', `modbus relay ${this.o.host}:${this.o.port}: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        this.queued--;
      }
    };
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  private async connected(): Promise<ModbusRTU> {
    if (this.client !== null && this.client.isOpen) return this.client;
    this.drop();
    const c = new ModbusRTU();
    c.setTimeout(this.o.timeoutMs);
    await withTimeout(c.connectTCP(this.o.host, { port: this.o.port, timeout: this.o.timeoutMs } as never), this.o.timeoutMs, `modbus relay connect ${this.o.host}:${this.o.port}`);
    c.setID(this.o.unitId);
    this.client = c;
    return c;
  }

  private drop(): void {
    const c = this.client;
    this.client = null;
    if (c !== null) {
      try {
        c.close(() => undefined);
      } catch {
        // already closed
      }
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new RelayError('timeout', `${what}: no answer within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
