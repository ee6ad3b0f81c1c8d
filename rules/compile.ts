/**
 * Validated policy → frozen, indexed CompiledPolicy. Each rule is compiled once; per conduit a
 * Map from client address to the rules naming that client, so a decision looks at one client's
 * rules on one conduit and never at the rest of the file. Expects the output of
 * rules/load.ts (names resolve, ranges parse); it does not re-validate.
 */
import type { ProtocolName } from '../daemon/pipeline/contract';
import { canonicalIp } from './address';
import type {
  AuditSettings,
  ClientRules,
  CompiledAsset,
  CompiledConduit,
  CompiledPolicy,
  CompiledZone,
  ConduitLimits,
  RuleWindow,
} from './compiled';
import { FrozenMap } from './frozen';
import { parseListen } from './listen';
import { compileModbusConduit, compileModbusRule, indexModbusByFunction, type CompiledModbusRule } from './matchers/modbus';
import { compileMqttConduit, compileMqttRule, type CompiledMqttRule } from './matchers/mqtt';
import { compileOpcuaConduit, compileOpcuaRule, type CompiledOpcuaRule } from './matchers/opcua';
import { compileRelay } from './relay';
import { compileTls } from './tls';
import { POLICY_DEFAULTS } from './schema/constants';
import type { ConduitSpec, Policy } from './schema/policy';

export interface CompileMeta {
  readonly file: string;
  /** sha256 (hex) of the policy file's bytes. */
  readonly hash: string;
}

export function compilePolicy(policy: Policy, meta: CompileMeta): CompiledPolicy {
  const zones = new Map<string, CompiledZone>();
  for (const z of policy.zones) zones.set(z.name, Object.freeze({ name: z.name, level: z.level, networks: Object.freeze([...z.networks]) }));

  const assets = new Map<string, CompiledAsset>();
  const byAddress = new Map<string, CompiledAsset>();
  for (const a of policy.assets) {
    const address = canonicalIp(a.address) ?? a.address;
    const asset: CompiledAsset = Object.freeze({
      name: a.name,
      zone: a.zone,
      level: zones.get(a.zone)?.level ?? -1,
      address,
      role: a.role ?? null,
      vendor: a.vendor ?? null,
      safetyCritical: a.safety_critical === true,
      notes: a.notes ?? null,
    });
    assets.set(a.name, asset);
    byAddress.set(address, asset);
  }

  const defaults = policy.defaults;
  const mode = defaults?.mode ?? POLICY_DEFAULTS.mode;
  const conduits = new Map<string, CompiledConduit>();
  for (const c of policy.conduits) conduits.set(c.name, compileConduit(c, mode, assets));

  const audit: AuditSettings = Object.freeze({
    allowed: defaults?.audit?.allowed ?? POLICY_DEFAULTS.audit.allowed,
    sampleEvery: defaults?.audit?.sample_every ?? POLICY_DEFAULTS.audit.sampleEvery,
  });
  const addressIndex = new FrozenMap(byAddress);
  return Object.freeze({
    file: meta.file,
    hash: meta.hash,
    site: policy.site,
    audit,
    zones: new FrozenMap(zones),
    assets: new FrozenMap(assets),
    conduits: new FrozenMap(conduits),
    assetByAddress: (ip: string): CompiledAsset | null => lookup(addressIndex, ip),
    relay: compileRelay(policy.relay),
  });
}

/** Exact match on the canonical address; the slow path (IPv6 spelling, ::ffff:a.b.c.d) only on a miss. */
function lookup<V>(index: ReadonlyMap<string, V>, ip: string): V | null {
  const hit = index.get(ip);
  if (hit !== undefined) return hit;
  if (!ip.includes(':')) return null;
  const canon = canonicalIp(ip);
  return canon === null ? null : index.get(canon) ?? null;
}

export const parseWindow = (w: { start: string; end: string } | undefined): RuleWindow | null =>
  w === undefined ? null : Object.freeze({ start: Date.parse(w.start), end: Date.parse(w.end) });

function compileConduit(c: ConduitSpec, defaultMode: 'enforce' | 'monitor', assets: ReadonlyMap<string, CompiledAsset>): CompiledConduit {
  const protocol: ProtocolName = c.protocol;
  const L = POLICY_DEFAULTS.limits;
  const limits: ConduitLimits = Object.freeze({
    maxConnections: c.limits?.max_connections ?? L.max_connections,
    maxConnectionsPerClient: c.limits?.max_connections_per_client ?? L.max_connections_per_client,
    idleTimeoutMs: (c.limits?.idle_timeout_s ?? L.idle_timeout_s) * 1000,
    maxPendingRequests: c.limits?.max_pending_requests ?? L.max_pending_requests,
    requestTimeoutMs: c.limits?.request_timeout_ms ?? L.request_timeout_ms,
    maxFrameBytes: c.limits?.max_frame_bytes ?? POLICY_DEFAULTS.maxFrameBytes[protocol],
  });

  // Client address → rules naming that client, in file order.
  const perClient = new Map<string, { asset: CompiledAsset; modbus: CompiledModbusRule[]; mqtt: CompiledMqttRule[]; opcua: CompiledOpcuaRule[] }>();
  for (const r of c.rules) {
    const window = parseWindow(r.window);
    const modbus = protocol === 'modbus' && r.modbus ? compileModbusRule(r.name, window, r.modbus) : null;
    const mqtt = protocol === 'mqtt' && r.mqtt ? compileMqttRule(r.name, window, r.mqtt) : null;
    const opcua = protocol === 'opcua' && r.opcua ? compileOpcuaRule(r.name, window, r.opcua) : null;
    for (const name of new Set(r.clients)) {
      const asset = assets.get(name);
      if (asset === undefined) continue;
      let entry = perClient.get(asset.address);
      if (entry === undefined) {
        entry = { asset, modbus: [], mqtt: [], opcua: [] };
        perClient.set(asset.address, entry);
      }
      if (modbus) entry.modbus.push(modbus);
      if (mqtt) entry.mqtt.push(mqtt);
      if (opcua) entry.opcua.push(opcua);
    }
  }
  const clients = new FrozenMap<string, ClientRules>(
    [...perClient].map(([ip, e]) => [ip, Object.freeze({ asset: e.asset, modbus: Object.freeze(e.modbus), modbusByFunction: indexModbusByFunction(e.modbus), mqtt: Object.freeze(e.mqtt), opcua: Object.freeze(e.opcua) })] as const),
  );

  const listen = parseListen(c.listen);
  const upstream = assets.get(c.upstream.asset);
  return Object.freeze({
    name: c.name,
    protocol,
    fromZone: c.from_zone,
    toZone: c.to_zone,
    listen: Object.freeze(listen.ok ? { host: listen.host, port: listen.port } : { host: c.listen, port: 0 }),
    upstream: Object.freeze({ asset: c.upstream.asset, host: upstream?.address ?? '', port: c.upstream.port }),
    mode: c.mode ?? defaultMode,
    onViolation: c.on_violation ?? POLICY_DEFAULTS.onViolation,
    limits,
    modbus: compileModbusConduit(c.modbus),
    mqtt: compileMqttConduit(c.mqtt),
    opcua: compileOpcuaConduit(c.opcua),
    tls: compileTls(c.tls),
    ruleCount: c.rules.length,
    rulesFor: (clientIp: string): ClientRules | null => lookup(clients, clientIp),
  });
}
