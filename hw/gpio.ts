/**
 * The `gpio` relay driver: Linux GPIO character device (libgpiod) on a Raspberry Pi or an
 * industrial gateway. An output line drives the relay coil through a driver stage (high =
 * energized = connected); an optional input reads the relay's auxiliary contact; an optional
 * output is toggled every heartbeat for an external hardware watchdog; an optional input reads
 * the restore key-switch. Wiring and the fail-safe argument: docs/relay.md.
 *
 * Binding: libgpiod's own command-line tools (`gpioset`/`gpioget`, Debian package `gpiod`)
 * behind the small GpioBackend interface, not a native addon. Why:
 * - nothing to compile on the gateway (node-libgpiod needs node-gyp + libgpiod-dev per
 *   architecture and per Node ABI, and is tied to libgpiod v1 while Debian 13 / RPi OS trixie
 *   ship v2: the tools cover both with an argument switch, `tools: v1|v2`);
 * - the coil is held by a separate `gpioset` process started under `setpriv --pdeathsig
 *   SIGTERM`: when the daemon dies, the kernel signals the holder, it exits and the line is
 *   freed (on Raspberry Pi pinctrl the freed pin returns to input and the board's pull-down
 *   drops the coil). systemd's KillMode=control-group does the same on a restart. A hung event
 *   loop leaves the holder alive, which is why the heartbeat line and an external watchdog exist;
 * - sysfs GPIO is deprecated and absent from current kernels' defaults.
 * Cost: one short process per feedback read and per heartbeat-line toggle (a few ms each).
 * Tests inject a GpioBackend (this machine has no GPIO chip and no gpio-sim).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { RelayError, type ContactState, type Relay, type RelayFeedback, type RelayState } from './relay';

export interface GpioOutputLine {
  set(value: boolean): Promise<void>;
  /** Free the line (after driving it low where the backend can). */
  release(): Promise<void>;
}

export interface GpioInputLine {
  get(): Promise<boolean>;
  release(): Promise<void>;
}

/** How the driver reaches GPIO lines; swapped for an in-memory one in tests. */
export interface GpioBackend {
  output(chip: string, line: number, initial: boolean): Promise<GpioOutputLine>;
  input(chip: string, line: number): Promise<GpioInputLine>;
}

export interface GpioRelayOptions {
  readonly chip: string;
  readonly coilLine: number;
  readonly feedbackLine: number | null;
  /** The feedback input reads low when the main contact is closed (NC auxiliary contact). */
  readonly feedbackInverted: boolean;
  readonly heartbeatLine: number | null;
  readonly keyswitchLine: number | null;
}

export class GpioRelay implements Relay {
  readonly driver = 'gpio';
  readonly target: string;
  private coil: GpioOutputLine | null = null;
  private hb: GpioOutputLine | null = null;
  private feedback: GpioInputLine | null = null;
  private keyswitch: GpioInputLine | null = null;
  private ready: Promise<void> | null = null;
  private last: RelayState | null = null;
  private hbLevel = false;
  private detached = false;

  constructor(private readonly o: GpioRelayOptions, private readonly backend: GpioBackend) {
    const extra = [o.feedbackLine !== null ? `feedback ${o.feedbackLine}` : '', o.heartbeatLine !== null ? `heartbeat ${o.heartbeatLine}` : '', o.keyswitchLine !== null ? `key-switch ${o.keyswitchLine}` : '']
      .filter((s) => s !== '')
      .join(', ');
    this.target = `gpio ${o.chip} coil ${o.coilLine}${extra ? ` (${extra})` : ''}`;
  }

  async open(): Promise<void> {
    this.last = 'isolated';
    await this.init();
    await this.coil!.set(false);
  }

  async close(): Promise<void> {
    await this.init();
    await this.coil!.set(true);
    this.last = 'connected';
  }

  commanded(): RelayState | null {
    return this.last;
  }

  async read(): Promise<RelayFeedback> {
    try {
      await this.init();
      let contact: ContactState = 'unknown';
      if (this.feedback !== null) {
        const v = await this.feedback.get();
        contact = v !== this.o.feedbackInverted ? 'connected' : 'isolated';
      }
      const keyswitch = this.keyswitch !== null ? await this.keyswitch.get() : null;
      return { contact, keyswitch, watchdogTripped: null };
    } catch {
      return { contact: 'unknown', keyswitch: null, watchdogTripped: null };
    }
  }

  /** Toggles the heartbeat line: the external watchdog sees an edge every period. */
  async heartbeat(): Promise<void> {
    if (this.o.heartbeatLine === null) return;
    await this.init();
    this.hbLevel = !this.hbLevel;
    await this.hb!.set(this.hbLevel);
  }

  async detach(): Promise<void> {
    if (this.detached) return;
    this.detached = true;
    const lines = [this.coil, this.hb, this.feedback, this.keyswitch];
    this.last = 'isolated';
    for (const l of lines) {
      try {
        await l?.release();
      } catch {
        // freeing a line cannot be retried usefully; the process exit frees it anyway
      }
    }
  }

  private init(): Promise<void> {
    if (this.detached) return Promise.reject(new RelayError('detached', 'gpio relay detached'));
    if (this.ready === null) {
      this.ready = (async () => {
        const { chip } = this.o;
        // The coil is requested low: whatever happened before, otgate starts isolated.
        this.coil = await this.backend.output(chip, this.o.coilLine, false);
        if (this.o.heartbeatLine !== null) this.hb = await this.backend.output(chip, this.o.heartbeatLine, false);
        if (this.o.feedbackLine !== null) this.feedback = await this.backend.input(chip, this.o.feedbackLine);
        if (this.o.keyswitchLine !== null) this.keyswitch = await this.backend.input(chip, this.o.keyswitchLine);
      })().catch((err: unknown) => {
        this.ready = null; // retry on the next command
        throw err instanceof RelayError ? err : new RelayError('io', `gpio ${this.o.chip}: ${err instanceof Error ? err.message : String(err)}`);
      });
    }
    return this.ready;
  }
}

export interface GpiodToolsOptions {
  /** libgpiod tools generation: v1 (Debian 12, RPi OS bookworm) or v2 (Debian 13, RPi OS trixie). */
  readonly version: 'v1' | 'v2';
  readonly gpioset?: string;
  readonly gpioget?: string;
  /** Wrap holders in `setpriv --pdeathsig SIGTERM` (default true; tests may turn it off). */
  readonly pdeathsig?: boolean;
  readonly setpriv?: string;
  /** How long a fresh gpioset must survive to count as holding the line. Default 60 ms. */
  readonly settleMs?: number;
  /** Per gpioget. Default 1000 ms. */
  readonly timeoutMs?: number;
}

/** Argument vectors for the two generations of libgpiod tools (pure; tested). */
export const gpiodArgs = {
  /** Hold `line` at `value` until signalled. v1: --mode=signal; v2 holds by default. */
  set(version: 'v1' | 'v2', chip: string, line: number, value: boolean): string[] {
    const v = value ? '1' : '0';
    return version === 'v1' ? ['--mode=signal', chip, `${line}=${v}`] : ['-c', chip, '-C', 'otgate', `${line}=${v}`];
  },
  /** Read `line` once with the pull-down enabled (an open input reads 0 = isolated / key off). */
  get(version: 'v1' | 'v2', chip: string, line: number): string[] {
    return version === 'v1' ? ['-B', 'pull-down', chip, String(line)] : ['-c', chip, '-b', 'pull-down', '--numeric', String(line)];
  },
};

/** GpioBackend over libgpiod's gpioset / gpioget. */
export class GpiodToolsBackend implements GpioBackend {
  private readonly holders = new Set<ChildProcess>();

  constructor(private readonly o: GpiodToolsOptions) {}

  async output(chip: string, line: number, initial: boolean): Promise<GpioOutputLine> {
    let holder: ChildProcess | null = await this.hold(chip, line, initial);
    return {
      set: async (value: boolean) => {
        // The kernel allows one requester per line: stop the old holder, then start the new one.
        // Between the two the line is free (reads low with the pull-down): never a spurious "high".
        if (holder !== null) await this.stop(holder);
        holder = null;
        holder = await this.hold(chip, line, value);
      },
      release: async () => {
        if (holder !== null) await this.stop(holder);
        holder = null;
      },
    };
  }

  async input(chip: string, line: number): Promise<GpioInputLine> {
    return {
      get: () => this.read(chip, line),
      release: async () => undefined,
    };
  }

  /** Stop every holder (daemon shutdown). */
  async releaseAll(): Promise<void> {
    await Promise.all([...this.holders].map((h) => this.stop(h)));
  }

  private hold(chip: string, line: number, value: boolean): Promise<ChildProcess> {
    const tool = this.o.gpioset ?? 'gpioset';
    const args = gpiodArgs.set(this.o.version, chip, line, value);
    const [cmd, argv] = this.o.pdeathsig === false ? [tool, args] : [this.o.setpriv ?? 'setpriv', ['--pdeathsig', 'SIGTERM', '--', tool, ...args]];
    return new Promise<ChildProcess>((resolve, reject) => {
      const child = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr!.on('data', (d: Buffer) => {
        if (err.length < 2000) err += d.toString('utf8');
      });
      const early = (code: number | null, signal: string | null) => {
        clearTimeout(timer);
        this.holders.delete(child);
        reject(new RelayError('io', `${tool} ${args.join(' ')} exited (${code ?? signal}): ${err.trim() || 'no output'}`));
      };
      child.once('exit', early);
      child.once('error', (e) => {
        clearTimeout(timer);
        this.holders.delete(child);
        reject(new RelayError('io', `${tool}: ${e.message}`));
      });
      this.holders.add(child);
      const timer = setTimeout(() => {
        child.off('exit', early);
        child.once('exit', () => this.holders.delete(child));
        resolve(child);
      }, this.o.settleMs ?? 60);
    });
  }

  private stop(child: ChildProcess): Promise<void> {
    return new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        resolve();
        return;
      }
      const t = setTimeout(() => child.kill('SIGKILL'), 1000);
      child.once('exit', () => {
        clearTimeout(t);
        this.holders.delete(child);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  private read(chip: string, line: number): Promise<boolean> {
    const tool = this.o.gpioget ?? 'gpioget';
    return new Promise<boolean>((resolve, reject) => {
      execFile(tool, gpiodArgs.get(this.o.version, chip, line), { timeout: this.o.timeoutMs ?? 1000 }, (err, stdout, stderr) => {
        if (err) {
          reject(new RelayError('io', `${tool} ${chip} ${line}: ${String(stderr).trim() || err.message}`));
          return;
        }
        const t = String(stdout).trim();
        if (t === '1' || t === '0') resolve(t === '1');
        else reject(new RelayError('io', `${tool} ${chip} ${line}: unexpected output ${JSON.stringify(t.slice(0, 40))}`));
      });
    });
  }
}
