/**
 * OPC UA policy matching. Two levels:
 * - channel: endpoint URL (HEL), security policy and mode, client certificate thumbprint (OPN).
 *   Policed on every channel, encrypted or not.
 * - service: identity token type, service, NodeIds per action, written-value envelopes. Only on
 *   readable (SecurityMode None) channels; on signed/encrypted channels the bodies are opaque.
 * As for Modbus, any applicable active rule that allows the whole request allows it; otherwise the
 * deny names the rule that got furthest (channel → identity → service → nodes → values). A Read
 * or Write naming one denied node is denied whole (docs/opcua.md).
 *
 * Pure: the inspector passes what the channel and the request say.
 */
import { SECURITY_POLICY_NONE } from '../../protocols/opcua/security-policy';
import { canonicalNodeId } from '../../protocols/opcua/node-id';
import { DEFAULT_SWEEP_LIMITS, type SweepLimits } from '../../protocols/opcua/sweep';
import type { IdentityTokenType, NodeAction, SecurityModeName, ServiceRequest } from '../../protocols/opcua/types';
import { techniqueFor } from '../attack';
import type { ClientRules, RuleWindow } from '../compiled';
import type { DenyReason } from '../reasons';
import { SERVICE_PRESETS } from '../schema/constants';
import type { OpcuaConduitSpec, OpcuaRuleSpec } from '../schema/opcua';
import { allow, deny, type Verdict } from '../verdict';

const POLICY_URI_PREFIX = 'http://opcfoundation.org/UA/SecurityPolicy#';

/** Exact NodeIds plus "prefix*" patterns (matched on the standard string form). */
export interface NodeMatcher {
  readonly exact: ReadonlySet<string>;
  readonly prefixes: readonly string[];
}

export interface WriteEnvelope {
  readonly node: NodeMatcher;
  readonly min: number | null;
  readonly max: number | null;
}

export interface CompiledOpcuaRule {
  readonly name: string;
  readonly window: RuleWindow | null;
  /** Lower-cased endpoint URLs, or null (any). */
  readonly endpoints: ReadonlySet<string> | null;
  /** Security policy URIs, or null (any). */
  readonly policies: ReadonlySet<string> | null;
  readonly modes: ReadonlySet<SecurityModeName> | null;
  /** Lower-case hex SHA-1 thumbprints, or null (any, or none). */
  readonly certificates: ReadonlySet<string> | null;
  readonly identities: ReadonlySet<IdentityTokenType> | null;
  readonly services: ReadonlySet<string>;
  readonly nodes: { readonly [A in Exclude<NodeAction, 'write' | 'call'>]: NodeMatcher };
  /** Writable nodes; an envelope with min/max bounds the written numbers. */
  readonly writes: readonly WriteEnvelope[];
  readonly calls: readonly { readonly object: NodeMatcher; readonly method: NodeMatcher }[];
  readonly allowed: Verdict;
}

export interface OpcuaConduitOptions {
  readonly maxChunkCount: number;
  /** Discovery-sweep limits (protocols/opcua/sweep.ts). */
  readonly sweep: SweepLimits;
}

export const DEFAULT_OPCUA_CONDUIT: OpcuaConduitOptions = Object.freeze({ maxChunkCount: 4096, sweep: DEFAULT_SWEEP_LIMITS });

export function compileOpcuaConduit(spec: OpcuaConduitSpec | undefined): OpcuaConduitOptions {
  if (spec === undefined || (spec.max_chunk_count === undefined && spec.sweep === undefined)) return DEFAULT_OPCUA_CONDUIT;
  const d = DEFAULT_SWEEP_LIMITS;
  const s = spec.sweep;
  return Object.freeze({
    maxChunkCount: spec.max_chunk_count ?? DEFAULT_OPCUA_CONDUIT.maxChunkCount,
    sweep: s === undefined
      ? d
      : Object.freeze({
          windowMs: s.window_s !== undefined ? s.window_s * 1000 : d.windowMs,
          maxDiscovery: s.max_discovery ?? d.maxDiscovery,
          maxDenied: s.max_denied ?? d.maxDenied,
          maxDeniedNodes: s.max_denied_nodes ?? d.maxDeniedNodes,
        }),
  });
}

/** What the channel has shown so far; undefined = not known yet (checked once it is). */
export interface OpcuaChannelFacts {
  readonly endpointUrl?: string | null;
  readonly securityPolicyUri?: string;
  readonly securityMode?: SecurityModeName;
  /** null = the client sent no certificate. */
  readonly certificateThumbprint?: string | null;
}

const normThumb = (t: string): string => t.replace(/:/g, '').toLowerCase();

function nodeMatcher(patterns: readonly string[]): NodeMatcher {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const p of patterns) {
    const t = p.trim();
    if (t.endsWith('*')) prefixes.push(canonicalPrefix(t.slice(0, -1)));
    else {
      const c = canonicalNodeId(t);
      if (c !== null) exact.add(c); // an unparseable id matches nothing (fail closed; load reports it)
    }
  }
  return Object.freeze({ exact, prefixes: Object.freeze(prefixes) });
}

/** "ns=0;i=" → "i=" (namespace 0 is written without "ns=0;" in standard form). */
const canonicalPrefix = (p: string): string => (p.startsWith('ns=0;') ? p.slice(5) : p);

export function nodeMatches(m: NodeMatcher, nodeId: string): boolean {
  if (m.exact.has(nodeId)) return true;
  for (const p of m.prefixes) if (nodeId.startsWith(p)) return true;
  return false;
}

/** Problems compile would hide (fail closed): for rules/load.ts to report at the node's position. */
export function checkOpcuaRule(spec: OpcuaRuleSpec): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  const check = (p: string, path: (string | number)[]) => {
    const t = p.trim();
    if (t.endsWith('*')) return;
    if (canonicalNodeId(t) === null) out.push({ path, message: `'${p}' is not a NodeId ("ns=2;s=Name", "i=85", or a prefix ending in "*")` });
  };
  for (const key of ['browse', 'read', 'monitor', 'history'] as const) (spec[key] ?? []).forEach((p, i) => check(p, [key, i]));
  (spec.write ?? []).forEach((w, i) => {
    if (typeof w === 'string') check(w, ['write', i]);
    else {
      check(w.node, ['write', i, 'node']);
      if (w.min !== undefined && w.max !== undefined && w.min > w.max) out.push({ path: ['write', i], message: `min ${w.min} is above max ${w.max}` });
    }
  });
  (spec.call ?? []).forEach((c, i) => {
    check(c.object, ['call', i, 'object']);
    check(c.method, ['call', i, 'method']);
  });
  return out;
}

export function compileOpcuaRule(name: string, window: RuleWindow | null, spec: OpcuaRuleSpec): CompiledOpcuaRule {
  const services = new Set<string>();
  for (const s of spec.services) for (const n of (SERVICE_PRESETS as Record<string, readonly string[]>)[s] ?? [s]) services.add(n);
  return Object.freeze({
    name,
    window,
    endpoints: spec.endpoints ? new Set(spec.endpoints.map((e) => e.toLowerCase())) : null,
    policies: spec.security?.policies ? new Set(spec.security.policies.map((p) => POLICY_URI_PREFIX + p)) : null,
    modes: spec.security?.modes ? new Set(spec.security.modes) : null,
    certificates: spec.certificates ? new Set(spec.certificates.map(normThumb)) : null,
    identities: spec.identities ? new Set(spec.identities) : null,
    services,
    nodes: Object.freeze({
      browse: nodeMatcher(spec.browse ?? []),
      read: nodeMatcher(spec.read ?? []),
      monitor: nodeMatcher(spec.monitor ?? []),
      history: nodeMatcher(spec.history ?? []),
    }),
    writes: Object.freeze(
      (spec.write ?? []).map((w) =>
        typeof w === 'string'
          ? Object.freeze({ node: nodeMatcher([w]), min: null, max: null })
          : Object.freeze({ node: nodeMatcher([w.node]), min: w.min ?? null, max: w.max ?? null }),
      ),
    ),
    calls: Object.freeze((spec.call ?? []).map((c) => Object.freeze({ object: nodeMatcher([c.object]), method: nodeMatcher([c.method]) }))),
    allowed: allow(name),
  });
}

const active = (r: CompiledOpcuaRule, now: number): boolean => r.window === null || (now >= r.window.start && now < r.window.end);

type Deny = Extract<Verdict, { allow: false }>;

/** Keeps the deny of the rule that got furthest (stage number), first rule on ties; technique from rules/attack.ts. */
class Furthest {
  private best: { stage: number; v: Deny } | null = null;
  constructor(private readonly action: OpcuaAction) {}
  add(stage: number, reason: DenyReason, detail: string, rule: string | null): void {
    if (this.best === null || stage > this.best.stage) this.best = { stage, v: deny(reason, detail, rule, techniqueFor('opcua', this.action, reason)) as Deny };
  }
  verdict(fallback: Verdict): Verdict {
    return this.best?.v ?? fallback;
  }
}

function applicable(rules: ClientRules | null, now: number): CompiledOpcuaRule[] | Verdict {
  const all = rules?.opcua ?? [];
  if (all.length === 0) return deny('no_rule', 'no OPC UA rule names this client', null, null);
  const on = all.filter((r) => active(r, now));
  if (on.length === 0) return deny('no_rule', 'no OPC UA rule for this client is active now', all[0]!.name, null);
  return on;
}

/** Channel checks of one rule: null when it passes, else [stage, reason, detail]. */
function channelDeny(r: CompiledOpcuaRule, f: OpcuaChannelFacts): [number, DenyReason, string] | null {
  if (r.endpoints !== null && f.endpointUrl !== undefined) {
    if (f.endpointUrl === null || !r.endpoints.has(f.endpointUrl.toLowerCase())) return [1, 'opcua_endpoint_not_allowed', `endpoint ${f.endpointUrl ?? '(none)'}`];
  }
  if (r.policies !== null && f.securityPolicyUri !== undefined && !r.policies.has(f.securityPolicyUri)) {
    return [2, 'opcua_security_not_allowed', `security policy ${f.securityPolicyUri.slice(f.securityPolicyUri.lastIndexOf('#') + 1)}`];
  }
  if (r.modes !== null && f.securityMode !== undefined && !r.modes.has(f.securityMode)) return [2, 'opcua_security_not_allowed', `security mode ${f.securityMode}`];
  if (r.certificates !== null && f.certificateThumbprint !== undefined) {
    if (f.certificateThumbprint === null || !r.certificates.has(f.certificateThumbprint.toLowerCase())) {
      return [3, 'opcua_certificate_not_allowed', f.certificateThumbprint === null ? 'no client certificate' : `client certificate ${f.certificateThumbprint}`];
    }
  }
  return null;
}

/** Is this channel (as far as it is known) allowed by some active rule? */
export function evaluateOpcuaChannel(rules: ClientRules | null, facts: OpcuaChannelFacts, now: number): Verdict {
  const on = applicable(rules, now);
  if (!Array.isArray(on)) return on;
  const f = new Furthest('channel');
  for (const r of on) {
    const d = channelDeny(r, facts);
    if (d === null) return r.allowed;
    f.add(d[0], d[1], d[2], r.name);
  }
  return f.verdict(deny('no_rule', 'no rule allows this channel', null, null));
}

/** Service-level verdict for a decoded request on a readable channel. */
export function evaluateOpcuaRequest(
  rules: ClientRules | null,
  facts: OpcuaChannelFacts,
  req: ServiceRequest,
  identity: IdentityTokenType | null,
  now: number,
): Verdict {
  // Channel-level messages are governed by the channel verdict alone.
  if (req.service === 'OpenSecureChannel' || req.service === 'CloseSecureChannel') return evaluateOpcuaChannel(rules, facts, now);
  const on = applicable(rules, now);
  if (!Array.isArray(on)) return on;
  const f = new Furthest(opcuaAction(req));
  for (const r of on) {
    const c = channelDeny(r, facts);
    if (c !== null) {
      f.add(c[0], c[1], c[2], r.name);
      continue;
    }
    // ActivateSession names its token; later requests use what their session was activated with.
    const id = req.service === 'ActivateSession' ? req.identity : identity;
    if (r.identities !== null && sessionBound(req.service)) {
      if (id === null || !r.identities.has(id)) {
        f.add(4, 'opcua_identity_not_allowed', `identity ${id ?? 'unknown'}`, r.name);
        continue;
      }
    }
    if (!r.services.has(req.service)) {
      f.add(5, 'opcua_service_not_allowed', `${req.service} not allowed`, r.name);
      continue;
    }
    const bad = nodeDeny(r, req);
    if (bad !== null) {
      f.add(bad[0], bad[1], bad[2], r.name);
      continue;
    }
    return r.allowed;
  }
  return f.verdict(deny('no_rule', 'no rule allows this request', null, null));
}

/** Services used before or without a session do not carry an identity. */
const sessionBound = (service: string): boolean =>
  !['GetEndpoints', 'FindServers', 'FindServersOnNetwork', 'RegisterServer', 'RegisterServer2', 'CreateSession'].includes(service);

function nodeDeny(r: CompiledOpcuaRule, req: ServiceRequest): [number, DenyReason, string] | null {
  switch (req.action) {
    case null:
      return null;
    case 'write': {
      for (const w of req.writes) {
        const envs = r.writes.filter((e) => nodeMatches(e.node, w.nodeId));
        if (envs.length === 0) return [6, 'opcua_node_not_allowed', `write ${w.nodeId}`];
        if (w.attributeId !== 13) return [6, 'opcua_node_not_allowed', `write attribute ${w.attributeId} of ${w.nodeId} (only Value, 13, may be written)`];
        // Any matching entry whose envelope holds every written number allows it.
        const ok = envs.some((e) => e.min === null && e.max === null ? true : w.numbers !== null && w.numbers.every((n) => Number.isFinite(n) && (e.min === null || n >= e.min) && (e.max === null || n <= e.max)));
        if (!ok) {
          const e = envs[0]!;
          const what = w.numbers === null ? `a non-numeric ${w.dataType ?? 'value'}` : w.numbers.slice(0, 4).join(',');
          return [7, 'opcua_value_out_of_range', `${w.nodeId} = ${what} outside ${e.min ?? '-∞'}..${e.max ?? '∞'}`];
        }
      }
      return null;
    }
    case 'call': {
      for (const c of req.calls) {
        if (!r.calls.some((m) => nodeMatches(m.method, c.methodId) && nodeMatches(m.object, c.objectId))) return [6, 'opcua_node_not_allowed', `call ${c.objectId} ${c.methodId}`];
      }
      return null;
    }
    default: {
      const m = r.nodes[req.action];
      for (const n of req.nodeIds) if (!nodeMatches(m, n)) return [6, 'opcua_node_not_allowed', `${req.action} ${n}`];
      return null;
    }
  }
}

/** Server object (i=2253) and its components: reading them is system information discovery. */
const SERVER_INFO = /^i=(2253|2254|2255|2256|2257|2258|2259|2260|2261|2262|2263|2264|2265|2266|2267|2268|2269|2271|2272|2735|2992|2993|2994|3049|11312)$/;

/**
 * What a request tries to do, for ATT&CK purposes (the `opcua` rows of rules/attack.ts):
 * discovery (GetEndpoints, FindServers), browse, read / read_server (Server object nodes),
 * write, call / call_server (namespace-0 methods), monitor (subscriptions, HistoryRead),
 * modify (HistoryUpdate, node management), channel (channel-level checks), other.
 */
export type OpcuaAction = 'channel' | 'discovery' | 'browse' | 'read' | 'read_server' | 'write' | 'call' | 'call_server' | 'monitor' | 'modify' | 'other';

export function opcuaAction(req: ServiceRequest): OpcuaAction {
  switch (req.service) {
    case 'OpenSecureChannel':
    case 'CloseSecureChannel':
      return 'channel';
    case 'GetEndpoints':
    case 'FindServers':
    case 'FindServersOnNetwork':
      return 'discovery';
    case 'Browse':
    case 'BrowseNext':
    case 'TranslateBrowsePathsToNodeIds':
    case 'RegisterNodes':
      return 'browse';
    case 'Read':
      return req.nodeIds.some((n) => SERVER_INFO.test(n)) ? 'read_server' : 'read';
    case 'Write':
      return 'write';
    case 'Call':
      // Methods of namespace 0 are the server's own (e.g. RequestServerStateChange).
      return req.calls.some((c) => c.methodId.startsWith('i=')) ? 'call_server' : 'call';
    case 'CreateMonitoredItems':
    case 'CreateSubscription':
    case 'HistoryRead':
      return 'monitor';
    case 'HistoryUpdate':
    case 'AddNodes':
    case 'DeleteNodes':
    case 'AddReferences':
    case 'DeleteReferences':
      return 'modify';
    default:
      return 'other';
  }
}

export { SECURITY_POLICY_NONE };
