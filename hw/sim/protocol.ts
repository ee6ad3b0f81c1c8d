/**
 * The relay simulator's socket protocol: newline-delimited JSON, one request → one response,
 * matched by `id`. It models a relay (coil + main contact + auxiliary feedback contact), a
 * restore key-switch and a retriggerable external watchdog in series with the coil.
 */

export type SimRequest =
  | { readonly id: number; readonly op: 'heartbeat' }
  | { readonly id: number; readonly op: 'set'; readonly coil: boolean }
  | { readonly id: number; readonly op: 'status' }
  /** Test hook: weld the contact closed, stick it open, or heal it (null). */
  | { readonly id: number; readonly op: 'fault'; readonly stuck: 'open' | 'closed' | null }
  /** Test / demo hook: turn the key-switch. */
  | { readonly id: number; readonly op: 'keyswitch'; readonly on: boolean };

export interface SimStatus {
  /** Coil command as the simulator holds it (true = energized = asked to connect). */
  readonly coil: boolean;
  /** The main contact: closed = connected. */
  readonly contact: 'connected' | 'isolated';
  /** The watchdog opened the contact because heartbeats stopped; cleared only by a new `set coil:true`. */
  readonly watchdogTripped: boolean;
  /** ms since the last heartbeat, null before the first. */
  readonly silenceMs: number | null;
  readonly timeoutMs: number;
  readonly keyswitch: boolean;
  readonly stuck: 'open' | 'closed' | null;
  /** How many times the watchdog has opened the contact since the simulator started. */
  readonly watchdogTrips: number;
  /** ms since the epoch of the last contact change, and of the last watchdog trip. */
  readonly changedAt: number;
  readonly watchdogTrippedAt: number | null;
}

export type SimResponse =
  | { readonly id: number; readonly ok: true; readonly status: SimStatus }
  | { readonly id: number; readonly ok: false; readonly error: string };
