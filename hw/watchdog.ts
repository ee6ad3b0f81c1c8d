/**
 * Both ends of the heartbeat.
 *
 * HeartbeatSource runs on the daemon's event loop and pulses every `periodMs`. Because the pulse
 * is a timer callback, a hung loop stops the pulses: the external watchdog (hardware module,
 * the simulator, systemd's WatchdogSec) then sees silence, which is exactly the failure to catch.
 *
 * PulseWatchdog is the receiving side (used by the simulator, and a model of a retriggerable
 * hardware watchdog): it fires once when no pulse arrived for `timeoutMs`, and re-arms on the
 * next pulse. Firing opens the relay; re-arming never closes it.
 */

export interface TimerApi {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export const realTimers: TimerApi = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  now: () => Date.now(),
};

export interface HeartbeatOptions {
  readonly periodMs: number;
  /** One pulse; a rejection is reported to onError and the next period tries again. */
  readonly beat: () => Promise<void> | void;
  readonly onError?: (err: unknown) => void;
  /** Keep the process alive while beating (the daemon's listeners do that already). Default false. */
  readonly ref?: boolean;
}

export class HeartbeatSource {
  private timer: NodeJS.Timeout | null = null;
  private inFlight = false;
  private beats = 0;
  private failures = 0;

  constructor(private readonly o: HeartbeatOptions) {
    if (!(o.periodMs > 0)) throw new Error(`heartbeat period must be > 0 ms (got ${o.periodMs})`);
  }

  start(): void {
    if (this.timer !== null) return;
    this.pulse();
    this.timer = setInterval(() => this.pulse(), this.o.periodMs);
    if (this.o.ref !== true) this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  get running(): boolean {
    return this.timer !== null;
  }

  stats(): { beats: number; failures: number } {
    return { beats: this.beats, failures: this.failures };
  }

  private pulse(): void {
    // A slow bus must not pile pulses up: skip this period if the last one has not finished.
    if (this.inFlight) return;
    this.inFlight = true;
    let p: Promise<void> | void;
    try {
      p = this.o.beat();
    } catch (err) {
      this.done(err);
      return;
    }
    if (p instanceof Promise) p.then(() => this.done(null), (err: unknown) => this.done(err));
    else this.done(null);
  }

  private done(err: unknown): void {
    this.inFlight = false;
    if (err === null) {
      this.beats++;
      return;
    }
    this.failures++;
    this.o.onError?.(err);
  }
}

export interface PulseWatchdogOptions {
  readonly timeoutMs: number;
  /** Called once per silence longer than timeoutMs, with the silence measured at firing time. */
  readonly onExpire: (silentMs: number) => void;
  readonly timers?: TimerApi;
}

export class PulseWatchdog {
  private handle: unknown = null;
  private last: number | null = null;
  private expired = false;
  private readonly t: TimerApi;

  constructor(private readonly o: PulseWatchdogOptions) {
    if (!(o.timeoutMs > 0)) throw new Error(`watchdog timeout must be > 0 ms (got ${o.timeoutMs})`);
    this.t = o.timers ?? realTimers;
  }

  /** One heartbeat: (re)arm. */
  pulse(): void {
    this.last = this.t.now();
    this.expired = false;
    this.arm(this.o.timeoutMs);
  }

  /** ms since the last pulse, or null before the first. */
  silence(): number | null {
    return this.last === null ? null : this.t.now() - this.last;
  }

  get hasExpired(): boolean {
    return this.expired;
  }

  get armed(): boolean {
    return this.handle !== null;
  }

  stop(): void {
    if (this.handle !== null) this.t.clearTimeout(this.handle);
    this.handle = null;
  }

  private arm(ms: number): void {
    if (this.handle !== null) this.t.clearTimeout(this.handle);
    this.handle = this.t.setTimeout(() => this.check(), ms);
  }

  private check(): void {
    this.handle = null;
    const silent = this.silence() ?? this.o.timeoutMs;
    // A late timer (busy loop) may find a fresher pulse than the one it was armed for.
    if (silent < this.o.timeoutMs) {
      this.arm(this.o.timeoutMs - silent);
      return;
    }
    this.expired = true;
    this.o.onExpire(silent);
  }
}
