/**
 * The one relay interface the daemon sees (IEC 62443-3-3 SR 5.2 RE2 "island mode", RE3 "fail
 * close"). The relay's normally-open contact sits in the OT uplink; the coil is energized only
 * while otgate commands "connected". Loss of power, of the process, or of the heartbeat
 * de-energizes it: the contact opens and the OT side is isolated. Nothing here ever closes the
 * contact by itself.
 *
 * Words: "open" = contact open = isolated; "close" = contact closed = connected.
 */

/** What otgate commanded (coil energized = connected). */
export type RelayState = 'connected' | 'isolated';

/** What the feedback contact reports; 'unknown' when no feedback input is wired or it cannot be read. */
export type ContactState = RelayState | 'unknown';

export interface RelayFeedback {
  readonly contact: ContactState;
  /** Key-switch input (restore permitted) when wired; null when not wired. */
  readonly keyswitch: boolean | null;
  /**
   * True when an external watchdog reports it opened the contact itself (heartbeat lost).
   * Only drivers that can know say so (the simulator); others report null.
   */
  readonly watchdogTripped: boolean | null;
}

export interface Relay {
  /** Driver name for logs and audit rows: 'gpio' | 'modbus' | 'sim' | … */
  readonly driver: string;
  /** Human description of the hardware target (chip/line, host:port/coil, socket path). */
  readonly target: string;
  /** Open the contact: isolate. Resolves when the command has been issued to the hardware. */
  open(): Promise<void>;
  /** Close the contact: connect. Resolves when the command has been issued to the hardware. */
  close(): Promise<void>;
  /** The last command issued through this instance, or null before the first. */
  commanded(): RelayState | null;
  /** Read the feedback contact (and the key-switch input when wired). Never rejects: faults read 'unknown'. */
  read(): Promise<RelayFeedback>;
  /** One pulse to the external watchdog. Must be cheap; called from the event loop every heartbeat period. */
  heartbeat(): Promise<void>;
  /**
   * Let go of the hardware (daemon stop). For every driver this leaves the coil de-energized or
   * to the external watchdog, i.e. it isolates: a stopped otgate does not keep the plant connected.
   */
  detach(): Promise<void>;
}

/** A relay command or read that failed (bus error, timeout, helper process died). */
export class RelayError extends Error {
  constructor(readonly code: RelayErrorCode, message: string) {
    super(message);
    this.name = 'RelayError';
  }
}

/** Stable codes, declared in one place (they appear in audit rows and the management socket). */
export const RelayErrorCodes = {
  io: 'the driver could not talk to the hardware',
  timeout: 'the hardware did not answer in time',
  detached: 'the driver has been detached',
  keyswitch: 'restore requires the key-switch in the restore position',
} as const;
export type RelayErrorCode = keyof typeof RelayErrorCodes;

/** Relay feedback when nothing is wired. */
export const NO_FEEDBACK: RelayFeedback = Object.freeze({ contact: 'unknown', keyswitch: null, watchdogTripped: null });
