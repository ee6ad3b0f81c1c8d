/**
 * MQTT policy matching. A rule applies to a session when its client-id and user-name patterns
 * match the CONNECT (the address was matched by rulesFor). Then, as for Modbus, any applicable
 * active rule that allows the whole packet allows it; otherwise the deny names the rule that got
 * furthest (topic → QoS → retain → size → payload schema).
 *
 * Pure: the inspector passes what the session knows (identity) and what the packet says.
 */
import type Ajv from 'ajv';
import type { ValidateFunction } from 'ajv';
import { effectiveFilter, isValidTopicFilter } from '../../protocols/mqtt/topic';
import { techniqueFor } from '../attack';
import type { ClientRules, RuleWindow } from '../compiled';
import type { DenyReason } from '../reasons';
import { MQTT_DEFAULTS } from '../schema/constants';
import type { MqttConduitSpec, MqttRuleSpec } from '../schema/mqtt';
import { filterContains, filterMatches, hasWildcard } from '../topic-filter';
import { allow, deny, type Verdict } from '../verdict';

export interface CompiledPayloadSchema {
  readonly filter: string;
  /** null when the schema did not compile: matching payloads are refused (fail closed). */
  readonly validate: ValidateFunction | null;
}

export interface CompiledMqttRule {
  readonly name: string;
  readonly window: RuleWindow | null;
  /** null = any client id / any (or no) user name. */
  readonly clientIds: readonly RegExp[] | null;
  readonly usernames: readonly RegExp[] | null;
  readonly publish: readonly string[];
  readonly subscribe: readonly string[];
  readonly maxQos: 0 | 1 | 2;
  readonly retain: boolean;
  readonly maxPayloadBytes: number | null;
  readonly payloadSchemas: readonly CompiledPayloadSchema[];
  readonly allowed: Verdict;
}

export interface MqttConduitOptions {
  readonly v3PublishDeny: 'ack_drop' | 'close';
  readonly commandTopics: readonly string[];
}

/** Who is on the connection, from CONNECT (the password is never part of it). */
export interface MqttIdentity {
  readonly clientId: string;
  readonly username: string | null;
}

export interface MqttPublishFacts {
  readonly topic: string;
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
  readonly payload: Buffer | string;
}

export const DEFAULT_MQTT_CONDUIT: MqttConduitOptions = Object.freeze({ v3PublishDeny: MQTT_DEFAULTS.v3PublishDeny, commandTopics: Object.freeze([]) });

export function compileMqttConduit(spec: MqttConduitSpec | undefined): MqttConduitOptions {
  if (spec === undefined) return DEFAULT_MQTT_CONDUIT;
  return Object.freeze({
    v3PublishDeny: spec.v3_publish_deny ?? MQTT_DEFAULTS.v3PublishDeny,
    commandTopics: Object.freeze([...(spec.command_topics ?? [])]),
  });
}

let ajv: Ajv | null = null;

/** Problems compile would hide (fail closed): for rules/load.ts to report with the node's position. */
export function checkMqttRule(spec: MqttRuleSpec): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  for (const key of ['publish', 'subscribe'] as const) {
    (spec[key] ?? []).forEach((f, i) => {
      if (!isValidTopicFilter(f)) out.push({ path: [key, i], message: `'${f}' is not a valid topic filter ('#' only last, wildcards fill a whole level)` });
    });
  }
  (spec.payload_schemas ?? []).forEach((s, i) => {
    if (!isValidTopicFilter(s.topic)) out.push({ path: ['payload_schemas', i, 'topic'], message: `'${s.topic}' is not a valid topic filter` });
    const err = schemaError(s.schema);
    if (err !== null) out.push({ path: ['payload_schemas', i, 'schema'], message: `JSON Schema does not compile: ${err}` });
  });
  return out;
}

function schemaError(schema: object): string | null {
  try {
    getAjv().compile(schema);
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

function getAjv(): Ajv {
  // Required here: most policies have no payload schemas, and ajv is ~60 modules at start-up.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  ajv ??= new (require('ajv') as typeof import('ajv')).default({ strict: false, allErrors: false });
  return ajv;
}

/** '*' any run, '?' one character, everything else literal; anchored. */
export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 's');
}

export function compileMqttRule(name: string, window: RuleWindow | null, spec: MqttRuleSpec): CompiledMqttRule {
  const schemas = (spec.payload_schemas ?? []).map((s): CompiledPayloadSchema => {
    let validate: ValidateFunction | null = null;
    try {
      validate = getAjv().compile(s.schema);
    } catch {
      validate = null;
    }
    return Object.freeze({ filter: s.topic, validate });
  });
  return Object.freeze({
    name,
    window,
    clientIds: spec.client_ids ? Object.freeze(spec.client_ids.map(globToRegExp)) : null,
    usernames: spec.usernames ? Object.freeze(spec.usernames.map(globToRegExp)) : null,
    publish: Object.freeze((spec.publish ?? []).filter(isValidTopicFilter)),
    subscribe: Object.freeze((spec.subscribe ?? []).filter(isValidTopicFilter)),
    maxQos: spec.max_qos ?? MQTT_DEFAULTS.maxQos,
    retain: spec.retain ?? MQTT_DEFAULTS.retain,
    maxPayloadBytes: spec.max_payload_bytes ?? null,
    payloadSchemas: Object.freeze(schemas),
    allowed: allow(name),
  });
}

const active = (r: CompiledMqttRule, now: number): boolean => r.window === null || (now >= r.window.start && now < r.window.end);

function identityMatches(r: CompiledMqttRule, id: MqttIdentity): boolean {
  if (r.clientIds !== null && !r.clientIds.some((re) => re.test(id.clientId))) return false;
  if (r.usernames !== null && (id.username === null || !r.usernames.some((re) => re.test(id.username!)))) return false;
  return true;
}

/** The rules applicable to this session now, or a deny (no rule, outside window, identity). */
function applicable(rules: ClientRules | null, id: MqttIdentity, now: number): CompiledMqttRule[] | Verdict {
  const all = rules?.mqtt ?? [];
  if (rules === null || all.length === 0) return deny('no_rule', 'no MQTT rule names this client address', null, techniqueFor('mqtt', 'connect', 'no_rule'));
  const live = all.filter((r) => active(r, now));
  if (live.length === 0) return deny('outside_window', 'no MQTT rule for this client is active now', all[0]!.name, null);
  const mine = live.filter((r) => identityMatches(r, id));
  if (mine.length === 0) {
    const detail = `client id "${id.clientId}"${id.username === null ? ' without user name' : ' with this user name'} not bound to asset ${rules.asset.name}`;
    return deny('mqtt_client_not_allowed', detail, live[0]!.name, techniqueFor('mqtt', 'connect', 'mqtt_client_not_allowed'));
  }
  return mine;
}

/** Is the client id bound to this address by an active rule (user name aside)? Picks CONNACK 0x85 vs 0x87. */
export function clientIdBound(rules: ClientRules | null, clientId: string, now: number): boolean {
  return (rules?.mqtt ?? []).some((r) => active(r, now) && (r.clientIds === null || r.clientIds.some((re) => re.test(clientId))));
}

/** CONNECT: the identity must be bound to the address; the will is checked like a publish. */
export function evaluateMqttConnect(rules: ClientRules | null, id: MqttIdentity, will: MqttPublishFacts | null, now: number, opts: MqttConduitOptions): Verdict {
  const mine = applicable(rules, id, now);
  if (!Array.isArray(mine)) return mine;
  if (will === null) return mine[0]!.allowed;
  const v = publishVerdict(mine, will, opts);
  return v.allow ? v : { ...v, detail: `will: ${v.detail}` };
}

export function evaluateMqttPublish(rules: ClientRules | null, id: MqttIdentity, pub: MqttPublishFacts, now: number, opts: MqttConduitOptions): Verdict {
  const mine = applicable(rules, id, now);
  return Array.isArray(mine) ? publishVerdict(mine, pub, opts) : mine;
}

/** Subscription verdict plus the QoS to request from the broker (downgraded to the rule's max). */
export function evaluateMqttSubscribe(rules: ClientRules | null, id: MqttIdentity, filter: string, qos: 0 | 1 | 2, now: number): { verdict: Verdict; qos: 0 | 1 | 2 } {
  const mine = applicable(rules, id, now);
  if (!Array.isArray(mine)) return { verdict: mine, qos };
  const inner = effectiveFilter(filter);
  const technique = techniqueFor('mqtt', hasWildcard(filter) ? 'subscribe_wildcard' : 'subscribe', 'mqtt_subscribe_not_allowed');
  if (inner === null || !isValidTopicFilter(inner)) {
    return { verdict: deny('mqtt_subscribe_not_allowed', `"${filter}" is not a valid topic filter`, mine[0]!.name, technique), qos };
  }
  let best: { rule: CompiledMqttRule; qos: 0 | 1 | 2 } | null = null;
  for (const r of mine) {
    if (!r.subscribe.some((f) => filterContains(f, inner))) continue;
    const granted = Math.min(qos, r.maxQos) as 0 | 1 | 2;
    if (best === null || granted > best.qos) best = { rule: r, qos: granted };
  }
  if (best === null) {
    return { verdict: deny('mqtt_subscribe_not_allowed', `"${filter}" is not within the subscribe allowlist`, mine[0]!.name, technique), qos };
  }
  return { verdict: best.rule.allowed, qos: best.qos };
}

/** A broker delivery must match the subscribe allowlist (defence when the broker is misconfigured). */
export function evaluateMqttDelivery(rules: ClientRules | null, id: MqttIdentity, topic: string, now: number): Verdict {
  const mine = applicable(rules, id, now);
  if (!Array.isArray(mine)) return mine;
  for (const r of mine) if (r.subscribe.some((f) => filterMatches(f, topic))) return r.allowed;
  return deny('mqtt_delivery_not_allowed', `broker delivered "${topic}" outside the subscribe allowlist`, mine[0]!.name, techniqueFor('mqtt', 'delivery', 'mqtt_delivery_not_allowed'));
}

const STAGES: readonly DenyReason[] = ['mqtt_publish_not_allowed', 'mqtt_qos_not_allowed', 'mqtt_retain_not_allowed', 'mqtt_payload_too_large', 'mqtt_payload_invalid'];

function publishVerdict(mine: readonly CompiledMqttRule[], pub: MqttPublishFacts, opts: MqttConduitOptions): Verdict {
  let furthest: { stage: number; rule: CompiledMqttRule; detail: string } | null = null;
  for (const r of mine) {
    const miss = publishMiss(r, pub);
    if (miss === null) return r.allowed;
    if (furthest === null || miss.stage > furthest.stage) furthest = { stage: miss.stage, rule: r, detail: miss.detail };
  }
  const f = furthest!;
  const reason = STAGES[f.stage]!;
  const command = opts.commandTopics.some((c) => filterMatches(c, pub.topic));
  return deny(reason, f.detail, f.rule.name, techniqueFor('mqtt', command ? 'publish_command' : 'publish', reason));
}

function publishMiss(r: CompiledMqttRule, pub: MqttPublishFacts): { stage: number; detail: string } | null {
  if (!r.publish.some((f) => filterMatches(f, pub.topic))) return { stage: 0, detail: `"${pub.topic}" is not in the publish allowlist` };
  if (pub.qos > r.maxQos) return { stage: 1, detail: `QoS ${pub.qos} above ${r.maxQos} on "${pub.topic}"` };
  if (pub.retain && !r.retain) return { stage: 2, detail: `RETAIN on "${pub.topic}"` };
  const size = typeof pub.payload === 'string' ? Buffer.byteLength(pub.payload) : pub.payload.length;
  if (r.maxPayloadBytes !== null && size > r.maxPayloadBytes) return { stage: 3, detail: `${size}-byte payload over ${r.maxPayloadBytes} on "${pub.topic}"` };
  for (const s of r.payloadSchemas) {
    if (!filterMatches(s.filter, pub.topic)) continue;
    const bad = payloadProblem(s, pub.payload);
    if (bad !== null) return { stage: 4, detail: `payload on "${pub.topic}" ${bad}` };
  }
  return null;
}

function payloadProblem(s: CompiledPayloadSchema, payload: Buffer | string): string | null {
  if (s.validate === null) return 'has a schema that does not compile';
  let value: unknown;
  try {
    value = JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8'));
  } catch {
    return 'is not JSON';
  }
  if (s.validate(value)) return null;
  const e = s.validate.errors?.[0];
  return e ? `fails its schema: ${e.instancePath || '/'} ${e.message ?? ''}`.trim() : 'fails its schema';
}
