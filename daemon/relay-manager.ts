/**
 * The daemon side of the fail-safe relay: the only owner of the hardware. It drives the relay,
 * pulses the heartbeat from the event loop, keeps the latch, watches the feedback contact,
 * turns violations into trips through hw/trip-policy, and audits every change with its cause,
 * actor and timings (trigger → command → feedback-confirmed).
 *
 * Trips come from: an operator (`otgate relay isolate`), the policy (`relay.trip` rules, fed by
 * env.violation), heartbeat loss (the external watchdog opened the contact: seen as
 * `watchdogTripped`, or at start after an unclean exit), and a contact found open while
 * commanded closed. A trip latches: the contact stays open across restarts until `restore` with
 * a reason (and the key-switch when required). Nothing here closes the contact by itself,
 * except a start after a *clean* stop, which returns to the state the operator left.
 */
import { ModbusAnomalies } from '../protocols/modbus/anomalies';
import { MqttAnomalies } from '../protocols/mqtt/anomalies';
import type { CompiledPolicy } from '../rules/compiled';
import type { CompiledRelay } from '../rules/relay';
import { createRelay } from '../hw/create-relay';
import { INITIAL_LATCH, LatchFile, type LatchState } from '../hw/latch';
import { RelayError, type ContactState, type Relay, type RelayFeedback, type RelayState } from '../hw/relay';
import { TripPolicy, type TripDecision } from '../hw/trip-policy';
import { HeartbeatSource } from '../hw/watchdog';
import type { RelayEventInput } from './audit/store';
import type { DecisionEvent } from './pipeline/contract';
import { GatewayAnomalies } from './proxy/gateway-anomalies';
import { StreamAnomalies } from './monitor/anomalies';

/** The audit store's relay-event writer (daemon/audit/store.ts), or a test double. */
export interface RelayAudit {
  recordRelayEvent(row: RelayEventInput): number;
}

export interface RelayLog {
  info(message: string, meta?: Record<string, unknown>): unknown;
  warn(message: string, meta?: Record<string, unknown>): unknown;
  error(message: string, meta?: Record<string, unknown>): unknown;
}

export type RelaySettings = Pick<CompiledRelay, 'heartbeatMs' | 'feedbackTimeoutMs' | 'feedbackPollMs' | 'requireKeyswitch' | 'trip'>;

export interface RelayManagerOptions {
  readonly relay: Relay;
  readonly settings: RelaySettings;
  /** The latch file, e.g. `<state dir>/relay-latch.json`. */
  readonly latchFile: string;
  readonly audit?: RelayAudit | null;
  /** The running policy: trip rules are re-read from it (`policy().relay.trip`) when present. */
  readonly policy?: () => CompiledPolicy | null;
  readonly log?: RelayLog;
  /** Anomaly code → family; defaults to every anomaly list otgate declares. */
  readonly familyOf?: (code: string) => string | null;
  /**
   * Called when the commanded state changes (true = isolated): software isolation (nftables
   * island mode) accompanies the physical one. Must not throw; it is not awaited.
   */
  readonly onIsolation?: (isolated: boolean) => void;
}

/** Stable relay event causes (audit `cause` column), declared in one place. */
export const RelayCauses = {
  operator: 'an operator isolated through the management socket',
  'heartbeat-lost': 'the external watchdog opened the relay: heartbeats stopped (daemon died or hung)',
  'feedback-mismatch': 'the feedback contact disagrees with the command',
  'latch-unreadable': 'the latch file could not be read: treated as tripped',
  restore: 'an operator restored the connection',
  'daemon-start': 'the daemon started and took the relay over',
  'daemon-stop': 'the daemon stopped cleanly and let go of the relay (isolated)',
} as const;
/** Policy trips use `policy:<rule>:<trigger>`. */
export type RelayCause = keyof typeof RelayCauses | `policy:${string}`;

export interface RelayStatusReport {
  readonly driver: string;
  readonly target: string;
  readonly commanded: RelayState | null;
  readonly contact: ContactState;
  readonly keyswitch: boolean | null;
  readonly watchdogTripped: boolean | null;
  readonly tripped: boolean;
  readonly trip: LatchState['trip'];
  readonly mismatch: boolean;
  readonly requireKeyswitch: boolean;
  readonly heartbeat: { readonly periodMs: number; readonly beats: number; readonly failures: number };
}

export class RelayCommandError extends Error {
  constructor(readonly code: 'reason_required' | 'keyswitch' | 'relay_io' | 'stopped', message: string) {
    super(message);
  }
}

interface TripRequest {
  readonly cause: RelayCause;
  readonly actor: string | null;
  readonly reason: string | null;
  /** process.hrtime.bigint() of the trigger (frame arrival for policy trips). */
  readonly triggerHr: bigint;
  readonly detail?: Record<string, unknown>;
}

const NS_PER_MS = 1_000_000n;

export class RelayManager {
  private latch: LatchState = INITIAL_LATCH;
  private readonly file: LatchFile;
  private readonly trips: TripPolicy;
  private readonly heartbeat: HeartbeatSource;
  private poll: NodeJS.Timeout | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private busy = 0;
  private stopped = false;
  private lastFeedback: RelayFeedback = { contact: 'unknown', keyswitch: null, watchdogTripped: null };
  private mismatchSince: number | null = null;
  private mismatchReported = false;
  /** Hrtime ↔ wall clock anchor: trigger times are taken with hrtime, audited as epoch ms. */
  private readonly hr0 = process.hrtime.bigint();
  private readonly wall0 = Date.now();
  private heartbeatErrorLogged = false;
  private currentRules: RelaySettings['trip'];

  private constructor(private readonly o: RelayManagerOptions) {
    this.file = new LatchFile(o.latchFile);
    this.currentRules = o.settings.trip;
    this.trips = new TripPolicy(o.settings.trip, {
      isSafetyCritical: (a) => o.policy?.()?.assets.get(a)?.safetyCritical === true,
      familyOf: o.familyOf ?? defaultFamilyOf,
    });
    this.heartbeat = new HeartbeatSource({
      periodMs: o.settings.heartbeatMs,
      beat: () => o.relay.heartbeat(),
      onError: (err) => {
        // One line per outage, not one per pulse.
        if (this.heartbeatErrorLogged) return;
        this.heartbeatErrorLogged = true;
        o.log?.error(`relay heartbeat failing: ${err instanceof Error ? err.message : String(err)}`);
      },
    });
  }

  /** The usual way in: the policy's compiled `relay:` section → driver → manager. */
  static fromPolicy(relay: CompiledRelay, o: Omit<RelayManagerOptions, 'relay' | 'settings'> & { readonly relay?: Relay }): Promise<RelayManager> {
    return RelayManager.start({ ...o, relay: o.relay ?? createRelay(relay.driver), settings: relay });
  }

  /**
   * Take the relay over: read the latch, decide (stay tripped / latch a heartbeat loss after an
   * unclean exit / reconnect after a clean stop), start the heartbeat and the feedback watch.
   */
  static async start(o: RelayManagerOptions): Promise<RelayManager> {
    const m = new RelayManager(o);
    await m.takeOver();
    return m;
  }

  /** The env.violation hook: synchronous, never throws, never blocks the data path. */
  violation(event: DecisionEvent, arrivedAt: bigint): void {
    if (this.stopped || this.latch.tripped) return;
    try {
      const rules = this.o.policy?.()?.relay?.trip;
      if (rules !== undefined && rules !== this.currentRules) {
        this.currentRules = rules;
        this.trips.setRules(rules);
      }
      const d = this.trips.evaluate(event, Number(arrivedAt / 1000n) / 1000);
      if (d === null) return;
      void this.trip({ cause: d.cause as RelayCause, actor: 'policy', reason: d.detail, triggerHr: arrivedAt, detail: policyDetail(d, event) }).catch((err: unknown) =>
        this.o.log?.error(`relay trip (${d.cause}) failed: ${err instanceof Error ? err.message : String(err)}`),
      );
    } catch (err) {
      this.o.log?.error(`relay trip policy error: ${err instanceof Error ? err.stack : String(err)}`);
    }
  }

  /** Operator isolation (management socket). */
  async isolate(actor: string, reason: string): Promise<RelayStatusReport> {
    const triggerHr = process.hrtime.bigint();
    if (reason.trim() === '') throw new RelayCommandError('reason_required', 'isolate needs a reason');
    await this.trip({ cause: 'operator', actor, reason, triggerHr });
    return this.status();
  }

  /** Authorized restore: a reason, and the key-switch when required. Closes the contact. */
  restore(actor: string, reason: string): Promise<RelayStatusReport> {
    if (reason.trim() === '') return Promise.reject(new RelayCommandError('reason_required', 'restore needs a reason'));
    return this.serial(async () => {
      if (this.stopped) throw new RelayCommandError('stopped', 'relay manager stopped');
      const triggerHr = process.hrtime.bigint();
      if (!this.latch.tripped && this.o.relay.commanded() === 'connected') return this.statusNow();
      if (this.o.settings.requireKeyswitch) {
        const fb = await this.o.relay.read();
        if (fb.keyswitch !== true) {
          this.record({ kind: 'refused', cause: 'restore', actor, reason, triggerTs: this.wall(triggerHr), state: 'isolated', detail: { why: 'keyswitch', keyswitch: fb.keyswitch } });
          throw new RelayCommandError('keyswitch', 'restore requires the key-switch in the restore position');
        }
      }
      const commandHr = process.hrtime.bigint();
      try {
        await this.o.relay.heartbeat(); // an external watchdog needs a fresh pulse before it powers the coil
        await this.o.relay.close();
      } catch (err) {
        await this.o.relay.open().catch(() => undefined);
        throw new RelayCommandError('relay_io', `restore failed, relay stays isolated: ${err instanceof Error ? err.message : String(err)}`);
      }
      const previous = this.latch.trip;
      this.persist({ ...this.latch, state: 'connected', tripped: false, trip: null });
      this.trips.reset();
      this.clearMismatch();
      const confirmedHr = await this.confirm('connected');
      this.record({
        kind: 'reset', cause: 'restore', actor, reason, triggerTs: this.wall(triggerHr), commandTs: this.wall(commandHr),
        confirmedTs: confirmedHr === null ? null : this.wall(confirmedHr), state: 'connected',
        detail: { ...this.hwDetail(), previousTrip: previous, feedback: this.lastFeedback.contact, ...durations(triggerHr, commandHr, confirmedHr) },
      });
      this.o.log?.warn(`relay RESTORED by ${actor}: ${reason}`, { actor, reason });
      return this.statusNow();
    });
  }

  async status(): Promise<RelayStatusReport> {
    if (!this.stopped && this.busy === 0) this.lastFeedback = await this.o.relay.read();
    return this.statusNow();
  }

  /** Clean stop: heartbeat and watch end, the latch records the clean exit, the hardware is let go (isolated). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    await this.serial(async () => {
      this.stopped = true;
      this.heartbeat.stop();
      if (this.poll !== null) clearInterval(this.poll);
      this.poll = null;
      try {
        this.persist({ ...this.latch, running: false });
      } catch (err) {
        this.o.log?.error(`relay latch not written at stop: ${err instanceof Error ? err.message : String(err)}`);
      }
      await this.o.relay.detach();
      this.record({ kind: 'state', cause: 'daemon-stop', actor: null, state: 'isolated', detail: { ...this.hwDetail(), latched: this.latch.tripped } });
    });
  }

  /** Latched? (cheap; for /metrics and the CLI). */
  get tripped(): boolean {
    return this.latch.tripped;
  }

  // --- internals -------------------------------------------------------------------------------

  private async takeOver(): Promise<void> {
    const read = this.file.read();
    const now = process.hrtime.bigint();
    let startTrip: TripRequest | null = null;
    if (read.kind === 'corrupt') {
      this.latch = { ...INITIAL_LATCH, tripped: false };
      startTrip = { cause: 'latch-unreadable', actor: null, reason: read.error, triggerHr: now };
    } else if (read.kind === 'ok') {
      this.latch = read.latch;
      if (!read.latch.tripped && read.latch.running && read.latch.state === 'connected') {
        // The previous daemon died while connected: its heartbeat stopped and the watchdog opened.
        startTrip = { cause: 'heartbeat-lost', actor: 'watchdog', reason: 'previous daemon exited without a clean stop while connected', triggerHr: now, detail: { previousUpdate: read.latch.updated } };
      }
    }
    // The relay starts isolated whatever it was: power-up state, and the safe one.
    await this.o.relay.open().catch((err: unknown) => this.o.log?.error(`relay: cannot command isolated at start: ${err instanceof Error ? err.message : String(err)}`));
    this.heartbeat.start();
    if (startTrip !== null) {
      await this.trip(startTrip);
    } else if (this.latch.tripped) {
      this.persist({ ...this.latch, running: true, state: 'isolated' });
      this.record({ kind: 'state', cause: 'daemon-start', actor: null, state: 'isolated', detail: { ...this.hwDetail(), latched: true, trip: this.latch.trip } });
      this.o.log?.warn(`relay stays ISOLATED (latched since ${new Date(this.latch.trip?.at ?? 0).toISOString()}: ${this.latch.trip?.cause ?? '?'}); restore with \`otgate relay restore --reason …\``);
    } else {
      const t0 = process.hrtime.bigint();
      try {
        await this.o.relay.heartbeat();
        await this.o.relay.close();
        this.persist({ ...this.latch, state: 'connected', running: true });
        const confirmed = await this.confirm('connected');
        this.record({ kind: 'state', cause: 'daemon-start', actor: null, state: 'connected', commandTs: this.wall(t0), confirmedTs: confirmed === null ? null : this.wall(confirmed), detail: this.hwDetail() });
        this.o.log?.info(`relay connected (${this.o.relay.target})`);
      } catch (err) {
        await this.o.relay.open().catch(() => undefined);
        this.persist({ ...this.latch, state: 'isolated', running: true });
        this.record({ kind: 'fault', cause: 'daemon-start', actor: null, state: 'isolated', detail: { ...this.hwDetail(), error: err instanceof Error ? err.message : String(err) } });
        this.o.log?.error(`relay: cannot connect at start, staying isolated: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    this.poll = setInterval(() => void this.watch(), this.o.settings.feedbackPollMs);
    this.poll.unref();
  }

  /** Open the contact, latch, confirm, audit. Serialised with every other command. */
  private trip(t: TripRequest): Promise<void> {
    return this.serial(async () => {
      if (this.stopped) return;
      if (this.latch.tripped && this.o.relay.commanded() === 'isolated' && t.cause !== 'latch-unreadable') return;
      const commandHr = process.hrtime.bigint();
      let error: string | null = null;
      try {
        await this.o.relay.open();
      } catch (err) {
        // Still latch: the command may have reached the hardware, and the watchdog backs it up.
        error = err instanceof Error ? err.message : String(err);
      }
      const at = this.wall(t.triggerHr);
      try {
        this.persist({ ...this.latch, state: 'isolated', tripped: true, running: true, trip: { cause: t.cause, actor: t.actor, reason: t.reason, at } });
      } catch (err) {
        this.latch = { ...this.latch, state: 'isolated', tripped: true, trip: { cause: t.cause, actor: t.actor, reason: t.reason, at } };
        this.o.log?.error(`relay latch NOT persisted: ${err instanceof Error ? err.message : String(err)}`);
      }
      this.trips.reset();
      const confirmedHr = error === null ? await this.confirm('isolated') : null;
      this.record({
        kind: 'trip', cause: t.cause, actor: t.actor, reason: t.reason, triggerTs: at, commandTs: this.wall(commandHr),
        confirmedTs: confirmedHr === null ? null : this.wall(confirmedHr), state: 'isolated',
        detail: { ...this.hwDetail(), ...t.detail, feedback: this.lastFeedback.contact, error, ...durations(t.triggerHr, commandHr, confirmedHr) },
      });
      this.o.log?.error(`relay TRIPPED (${t.cause}) by ${t.actor ?? 'otgate'}: ${t.reason ?? ''} — OT side isolated`, { cause: t.cause, actor: t.actor });
    });
  }

  /** Poll the feedback until it shows `want` (hrtime of the match) or feedbackTimeoutMs passes (null). */
  private async confirm(want: RelayState): Promise<bigint | null> {
    const deadline = Date.now() + this.o.settings.feedbackTimeoutMs;
    for (let i = 0; i < 1000; i++) {
      const fb = await this.o.relay.read();
      this.lastFeedback = fb;
      if (fb.contact === want) return process.hrtime.bigint();
      if (fb.contact === 'unknown' || Date.now() >= deadline) return null;
      await new Promise((r) => setTimeout(r, 10));
    }
    return null;
  }

  /** Periodic: watchdog trips the hardware did by itself, and feedback mismatches. */
  private async watch(): Promise<void> {
    if (this.stopped || this.busy > 0) return;
    const fb = await this.o.relay.read();
    if (this.stopped || this.busy > 0) return;
    this.lastFeedback = fb;
    const commanded = this.o.relay.commanded();
    if (fb.watchdogTripped === true && commanded === 'connected') {
      await this.trip({ cause: 'heartbeat-lost', actor: 'watchdog', reason: 'the external watchdog opened the relay (heartbeats stopped: event loop stalled or bus down)', triggerHr: process.hrtime.bigint() });
      return;
    }
    if (fb.contact === 'unknown' || commanded === null || fb.contact === commanded) {
      this.clearMismatch();
      return;
    }
    const now = Date.now();
    if (this.mismatchSince === null) this.mismatchSince = now;
    if (now - this.mismatchSince < this.o.settings.feedbackTimeoutMs || this.mismatchReported) return;
    this.mismatchReported = true;
    const detail = { ...this.hwDetail(), commanded, contact: fb.contact, sinceMs: now - this.mismatchSince };
    if (commanded === 'connected') {
      // The contact is open although we hold it closed: the plant is isolated already; latch it so it cannot come back unseen.
      this.record({ kind: 'fault', cause: 'feedback-mismatch', actor: null, state: 'isolated', detail });
      await this.trip({ cause: 'feedback-mismatch', actor: null, reason: 'contact open while commanded connected', triggerHr: process.hrtime.bigint(), detail });
    } else {
      // Commanded open, contact reads closed: welded contact or wiring fault. Alarm and command open again.
      this.record({ kind: 'fault', cause: 'feedback-mismatch', actor: null, state: 'isolated', detail });
      this.o.log?.error(`relay ALARM: commanded isolated but the contact reads CONNECTED (welded contact or wiring fault) — ${this.o.relay.target}`);
      await this.o.relay.open().catch(() => undefined);
    }
  }

  private clearMismatch(): void {
    this.mismatchSince = null;
    this.mismatchReported = false;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    this.busy++;
    const run = async () => {
      try {
        return await fn();
      } finally {
        this.busy--;
      }
    };
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  private persist(l: LatchState): void {
    const next = { ...l, updated: Date.now() };
    const changed = next.state !== this.latch.state;
    this.latch = next;
    if (changed) this.o.onIsolation?.(next.state === 'isolated');
    this.file.write(next);
  }

  private record(row: Omit<RelayEventInput, 'ts'>): void {
    try {
      this.o.audit?.recordRelayEvent({ ts: Date.now(), ...row });
    } catch (err) {
      this.o.log?.error(`relay event not audited (${row.kind} ${row.cause ?? ''}): ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private wall(hr: bigint): number {
    return this.wall0 + Number(hr - this.hr0) / 1e6;
  }

  private hwDetail(): Record<string, unknown> {
    return { driver: this.o.relay.driver, target: this.o.relay.target };
  }

  private statusNow(): RelayStatusReport {
    const fb = this.lastFeedback;
    const commanded = this.o.relay.commanded();
    const hb = this.heartbeat.stats();
    return {
      driver: this.o.relay.driver,
      target: this.o.relay.target,
      commanded,
      contact: fb.contact,
      keyswitch: fb.keyswitch,
      watchdogTripped: fb.watchdogTripped,
      tripped: this.latch.tripped,
      trip: this.latch.trip,
      mismatch: fb.contact !== 'unknown' && commanded !== null && fb.contact !== commanded,
      requireKeyswitch: this.o.settings.requireKeyswitch,
      heartbeat: { periodMs: this.o.settings.heartbeatMs, beats: hb.beats, failures: hb.failures },
    };
  }
}

function durations(trigger: bigint, command: bigint, confirmed: bigint | null): Record<string, number | null> {
  return {
    triggerToCommandMs: Number(command - trigger) / 1e6,
    commandToConfirmMs: confirmed === null ? null : Number(confirmed - command) / 1e6,
  };
}

function policyDetail(d: TripDecision, e: DecisionEvent): Record<string, unknown> {
  return { rule: d.rule, trigger: d.trigger, flow: e.flow, conduit: e.conduit, src: e.src, dst: e.dst, serverAsset: e.serverAsset, summary: e.summary, denyReason: e.reason, anomaly: e.anomaly };
}

let families: Map<string, string> | null = null;
/** Every anomaly list otgate declares, indexed by code. */
export function defaultFamilyOf(code: string): string | null {
  if (families === null) {
    families = new Map();
    for (const list of [ModbusAnomalies, MqttAnomalies, GatewayAnomalies, StreamAnomalies] as readonly Record<string, { code: string; family: string }>[]) {
      for (const s of Object.values(list)) families.set(s.code, s.family);
    }
  }
  return families.get(code) ?? null;
}

export { RelayError };
