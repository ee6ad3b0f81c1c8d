/**
 * The compiled `relay:` section: driver settings with defaults applied, and trip rules in the
 * form hw/trip-policy.ts evaluates. Pure; built once per policy load.
 */
import { RELAY_DEFAULTS } from './schema/constants';
import type { RelaySpec } from './schema/relay';

export type CompiledRelayDriver =
  | {
      readonly kind: 'gpio';
      readonly chip: string;
      readonly coilLine: number;
      readonly feedbackLine: number | null;
      readonly feedbackInverted: boolean;
      readonly heartbeatLine: number | null;
      readonly keyswitchLine: number | null;
      readonly tools: 'v1' | 'v2';
    }
  | {
      readonly kind: 'modbus';
      readonly host: string;
      readonly port: number;
      readonly unitId: number;
      readonly coil: number;
      readonly feedbackInput: number | null;
      readonly keyswitchInput: number | null;
      readonly heartbeatRegister: number | null;
      readonly timeoutMs: number;
    }
  | { readonly kind: 'sim'; readonly socket: string };

export interface CompiledTripRule {
  readonly name: string;
  /** null = any conduit. */
  readonly conduits: ReadonlySet<string> | null;
  /** null = any asset; 'safety_critical' = every asset marked so (resolved per event). */
  readonly assets: ReadonlySet<string> | 'safety_critical' | null;
  readonly onViolation: boolean;
  readonly deniedWrites: { readonly count: number; readonly withinMs: number } | null;
  /** Exact codes, `prefix.` (from "prefix.*") and families. */
  readonly anomalies: { readonly codes: ReadonlySet<string>; readonly prefixes: readonly string[]; readonly families: ReadonlySet<string> } | null;
  readonly monitor: boolean;
}

export interface CompiledRelay {
  readonly driver: CompiledRelayDriver;
  readonly heartbeatMs: number;
  readonly watchdogTimeoutMs: number;
  readonly feedbackTimeoutMs: number;
  readonly feedbackPollMs: number;
  readonly requireKeyswitch: boolean;
  readonly trip: readonly CompiledTripRule[];
}

const FAMILIES = new Set(['malformed', 'state', 'resource']);

export function compileRelay(spec: RelaySpec | undefined): CompiledRelay | null {
  if (spec === undefined) return null;
  return Object.freeze({
    driver: Object.freeze(compileDriver(spec)),
    heartbeatMs: spec.heartbeat_ms ?? RELAY_DEFAULTS.heartbeat_ms,
    watchdogTimeoutMs: spec.watchdog_timeout_ms ?? RELAY_DEFAULTS.watchdog_timeout_ms,
    feedbackTimeoutMs: spec.feedback_timeout_ms ?? RELAY_DEFAULTS.feedback_timeout_ms,
    feedbackPollMs: spec.feedback_poll_ms ?? RELAY_DEFAULTS.feedback_poll_ms,
    requireKeyswitch: spec.require_keyswitch === true,
    trip: Object.freeze((spec.trip ?? []).map((t) => {
      const anomalies = t.anomalies === undefined ? null : {
        codes: new Set(t.anomalies.filter((a) => !a.endsWith('*') && !FAMILIES.has(a))),
        prefixes: Object.freeze(t.anomalies.filter((a) => a.endsWith('*')).map((a) => a.slice(0, -1))),
        families: new Set(t.anomalies.filter((a) => FAMILIES.has(a))),
      };
      return Object.freeze({
        name: t.name,
        conduits: t.conduits === undefined ? null : new Set(t.conduits),
        assets: t.assets === undefined ? null : t.assets === 'safety_critical' ? 'safety_critical' as const : new Set(t.assets),
        onViolation: t.on_violation === 'isolate',
        deniedWrites: t.denied_writes === undefined ? null : Object.freeze({ count: t.denied_writes.count, withinMs: Math.round(t.denied_writes.within_s * 1000) }),
        anomalies,
        monitor: t.monitor === true,
      });
    })),
  });
}

function compileDriver(spec: RelaySpec): CompiledRelayDriver {
  switch (spec.driver) {
    case 'gpio': {
      const g = spec.gpio;
      // The loader reports a missing `gpio:` block (relay.driver_settings_missing); compile stays total.
      return {
        kind: 'gpio',
        chip: g?.chip ?? RELAY_DEFAULTS.gpio.chip,
        coilLine: g?.coil_line ?? 0,
        feedbackLine: g?.feedback_line ?? null,
        feedbackInverted: g?.feedback_inverted === true,
        heartbeatLine: g?.heartbeat_line ?? null,
        keyswitchLine: g?.keyswitch_line ?? null,
        tools: g?.tools ?? RELAY_DEFAULTS.gpio.tools,
      };
    }
    case 'modbus': {
      const m = spec.modbus;
      return {
        kind: 'modbus',
        host: m?.host ?? '127.0.0.1',
        port: m?.port ?? RELAY_DEFAULTS.modbus.port,
        unitId: m?.unit_id ?? RELAY_DEFAULTS.modbus.unit_id,
        coil: m?.coil ?? RELAY_DEFAULTS.modbus.coil,
        feedbackInput: m?.feedback_input ?? null,
        keyswitchInput: m?.keyswitch_input ?? null,
        heartbeatRegister: m?.heartbeat_register ?? null,
        timeoutMs: m?.timeout_ms ?? RELAY_DEFAULTS.modbus.timeout_ms,
      };
    }
    case 'sim':
      return { kind: 'sim', socket: spec.sim?.socket ?? RELAY_DEFAULTS.sim.socket };
  }
}

/** A semantic problem in the relay section, for the loader to report at its node (rules/load.ts). */
export interface RelayIssue {
  /** Path segments from the policy root, e.g. ['relay', 'trip', 0, 'assets', 1]. */
  readonly segments: readonly (string | number)[];
  /** Policy diagnostic codes (rules/diagnostics.ts). */
  readonly code: 'policy.unknown_asset' | 'policy.bad_relay' | 'policy.ineffective';
  readonly message: string;
}

/** Name resolution and consistency checks the schema cannot express. */
export function checkRelay(spec: RelaySpec | undefined, names: { readonly assets: ReadonlySet<string>; readonly conduits: ReadonlySet<string> }): RelayIssue[] {
  if (spec === undefined) return [];
  const out: RelayIssue[] = [];
  if (spec.driver !== 'sim' && spec[spec.driver] === undefined) {
    out.push({ segments: ['relay', 'driver'], code: 'policy.bad_relay', message: `driver ${spec.driver} needs a relay.${spec.driver} block` });
  }
  const hb = spec.heartbeat_ms ?? RELAY_DEFAULTS.heartbeat_ms;
  const wd = spec.watchdog_timeout_ms ?? RELAY_DEFAULTS.watchdog_timeout_ms;
  if (wd < 2 * hb) {
    out.push({ segments: spec.watchdog_timeout_ms !== undefined ? ['relay', 'watchdog_timeout_ms'] : ['relay'], code: 'policy.bad_relay', message: `watchdog_timeout_ms (${wd}) must be at least twice heartbeat_ms (${hb}), or one late pulse trips the plant` });
  }
  if (spec.require_keyswitch === true) {
    const wired = spec.driver === 'gpio' ? spec.gpio?.keyswitch_line !== undefined : spec.driver === 'modbus' ? spec.modbus?.keyswitch_input !== undefined : true;
    if (!wired) out.push({ segments: ['relay', 'require_keyswitch'], code: 'policy.bad_relay', message: 'require_keyswitch needs keyswitch_line (gpio) or keyswitch_input (modbus): restore would be impossible' });
  }
  (spec.trip ?? []).forEach((t, i) => {
    if (t.on_violation === undefined && t.denied_writes === undefined && t.anomalies === undefined) {
      out.push({ segments: ['relay', 'trip', i], code: 'policy.ineffective', message: `trip rule ${t.name} has no on_violation, denied_writes or anomalies: it never trips` });
    }
    (t.conduits ?? []).forEach((c, j) => {
      if (!names.conduits.has(c)) out.push({ segments: ['relay', 'trip', i, 'conduits', j], code: 'policy.bad_relay', message: `trip rule ${t.name}: unknown conduit '${c}'` });
    });
    if (Array.isArray(t.assets)) {
      t.assets.forEach((a, j) => {
        if (!names.assets.has(a)) out.push({ segments: ['relay', 'trip', i, 'assets', j], code: 'policy.unknown_asset', message: `trip rule ${t.name}: unknown asset '${a}'` });
      });
    }
  });
  return out;
}
