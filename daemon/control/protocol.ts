/**
 * The management socket protocol: newline-delimited JSON over a Unix stream socket, one
 * request → one response, matched by `id`. Who may talk is decided by the socket file's owner,
 * group and mode (0660): the kernel checks them at connect(). Node cannot read SO_PEERCRED, so
 * the *name* of the actor is claimed by the client (its login name, from $SUDO_USER / the
 * process's user, or `--actor`) and recorded as claimed, next to the uid the client reports;
 * authorization never rests on it. docs/relay.md, "Management socket".
 */

export interface ControlRequest {
  readonly id: number;
  /** e.g. 'relay.status', 'relay.isolate', 'relay.restore'. */
  readonly op: string;
  /** Claimed by the client: login name (see above). */
  readonly actor?: string;
  /** Claimed by the client: its uid (process.getuid()). */
  readonly uid?: number;
  readonly reason?: string;
  readonly [key: string]: unknown;
}

export type ControlResponse =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly code: ControlErrorCode; readonly error: string };

/** Stable error codes of the management socket, declared in one place. */
export const ControlErrorCodes = {
  bad_request: 'not a JSON object with a numeric id and an op',
  unknown_op: 'no such operation',
  reason_required: 'this operation needs a non-empty reason',
  actor_required: 'this operation needs an actor',
  keyswitch: 'the key-switch is not in the restore position',
  relay_io: 'the relay could not be commanded',
  no_relay: 'no relay is configured (policy has no relay: section)',
  busy: 'too many requests on this connection',
  internal: 'internal error',
  stopped: 'the daemon is stopping',
} as const;
export type ControlErrorCode = keyof typeof ControlErrorCodes;

export class ControlError extends Error {
  constructor(readonly code: ControlErrorCode, message: string) {
    super(message);
  }
}

/** Bounds of an actor name and a reason, as recorded in the audit store. */
export const MAX_ACTOR = 64;
export const MAX_REASON = 500;

/** "alice (uid 1000, claimed)" — what the audit row says about who asked. */
export function actorText(req: ControlRequest): string {
  const name = typeof req.actor === 'string' && req.actor.trim() !== '' ? req.actor.trim().slice(0, MAX_ACTOR) : 'unknown';
  const uid = typeof req.uid === 'number' && Number.isInteger(req.uid) ? `uid ${req.uid}, ` : '';
  return `${name} (${uid}claimed)`;
}
