/**
 * The compiled, frozen, indexed form of a policy: built once by rules/compile.ts from a
 * validated policy file, swapped whole on reload. Everything the data path needs is a Map
 * lookup away (rules per conduit and client address), so decision cost does not grow with the
 * number of rules in the file.
 *
 * Protocol-specific compiled rule bodies are declared next to their matchers
 * (rules/matchers/<protocol>.ts) and referenced here.
 */
import type { ProtocolName } from '../daemon/pipeline/contract';
import type { CompiledModbusRule, ModbusConduitOptions } from './matchers/modbus';
import type { CompiledRelay } from './relay';
import type { CompiledMqttRule, MqttConduitOptions } from './matchers/mqtt';
import type { CompiledOpcuaRule, OpcuaConduitOptions } from './matchers/opcua';
import type { CompiledTls } from './tls';

export type Mode = 'enforce' | 'monitor';

export interface CompiledZone {
  readonly name: string;
  /** Purdue level: 0, 1, 2, 3, 3.5 (DMZ), 4, 5. */
  readonly level: number;
  readonly networks: readonly string[];
}

export interface CompiledAsset {
  readonly name: string;
  readonly zone: string;
  readonly level: number;
  readonly address: string;
  readonly role: string | null;
  readonly vendor: string | null;
  readonly safetyCritical: boolean;
  readonly notes: string | null;
}

export interface ConduitLimits {
  readonly maxConnections: number;
  readonly maxConnectionsPerClient: number;
  readonly idleTimeoutMs: number;
  readonly maxPendingRequests: number;
  readonly requestTimeoutMs: number;
  /** Largest frame/message accepted (protocol default when not set). */
  readonly maxFrameBytes: number;
}

/** A time window in which a rule is active (maintenance windows); epoch ms, end exclusive. */
export interface RuleWindow {
  readonly start: number;
  readonly end: number;
}

/** Everything that applies to one client address on one conduit (only the rules naming it, in file order). */
export interface ClientRules {
  readonly asset: CompiledAsset;
  readonly modbus: readonly CompiledModbusRule[];
  /**
   * The same Modbus rules by function code (index 0..127; rules/matchers/modbus.ts
   * indexModbusByFunction): a request is only allowed by a rule listing its function code, so
   * the allow search reads these few. Absent (hand-built rules in tests): every rule is read.
   */
  readonly modbusByFunction?: readonly (readonly CompiledModbusRule[])[];
  /** MQTT rules naming this client (absent = none). */
  readonly mqtt?: readonly CompiledMqttRule[];
  /** OPC UA rules naming this client (absent = none). */
  readonly opcua?: readonly CompiledOpcuaRule[];
  // OPC UA / MQTT engineers: add `readonly opcua: readonly CompiledOpcuaRule[];` (and mqtt) here.
}

export interface CompiledConduit {
  readonly name: string;
  readonly protocol: ProtocolName;
  readonly fromZone: string;
  readonly toZone: string;
  readonly listen: { readonly host: string; readonly port: number };
  readonly upstream: { readonly asset: string; readonly host: string; readonly port: number };
  readonly mode: Mode;
  readonly onViolation: 'refuse' | 'close';
  readonly limits: ConduitLimits;
  readonly modbus: ModbusConduitOptions;
  /** MQTT conduit options (absent = defaults, DEFAULT_MQTT_CONDUIT). */
  readonly mqtt?: MqttConduitOptions;
  /** OPC UA conduit options (absent = defaults, DEFAULT_OPCUA_CONDUIT). */
  readonly opcua?: OpcuaConduitOptions;
  /** TLS termination / origination (rules/tls.ts); absent or null: plain TCP both sides. */
  readonly tls?: CompiledTls | null;
  /** Rules in this conduit (for summaries; the data path never iterates them). */
  readonly ruleCount: number;
  /** Rules for a client address (exact IP match against asset addresses), or null: default deny. */
  rulesFor(clientIp: string): ClientRules | null;
}

export interface AuditSettings {
  readonly allowed: 'none' | 'sample' | 'all';
  readonly sampleEvery: number;
}

export interface CompiledPolicy {
  readonly file: string;
  /** sha256 of the file's bytes: which policy made a decision is auditable. */
  readonly hash: string;
  readonly site: string;
  readonly audit: AuditSettings;
  readonly zones: ReadonlyMap<string, CompiledZone>;
  readonly assets: ReadonlyMap<string, CompiledAsset>;
  readonly conduits: ReadonlyMap<string, CompiledConduit>;
  assetByAddress(ip: string): CompiledAsset | null;
  /** The fail-safe relay section (rules/relay.ts); absent or null: no relay, nothing trips. */
  readonly relay?: CompiledRelay | null;
}
