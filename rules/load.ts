/**
 * Policy text → validated, deep-frozen policy, or diagnostics that point at the offending node
 * (file:line:col, 1-based). Three passes, each only when the previous one is clean:
 * YAML (syntax, duplicate keys; rules/yaml-source.ts) → JSON Schema (policy.schema.json, precompiled by ajv) →
 * semantic checks (names resolve, ranges ordered, CIDRs and listens parse, zones agree, no listen clashes).
 */
import { readFileSync } from 'node:fs';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { canonicalIp, cidrContains, parseCidr, parseIp, type Cidr } from './address';
import { parseListen, wildcardOf } from './listen';
import { PolicyCodes, pathText, type PathSegment, type PolicyCode, type PolicyDiagnostic } from './diagnostics';
import { deepFreeze } from './frozen';
import { parseRange } from './intervals';
import { FUNCTION_NAMES, PRESET_CODES, resolveFunctions } from './schema/modbus-functions';
import type { ModbusRuleSpec } from './schema/modbus';
import { checkMqttRule } from './matchers/mqtt';
import { checkOpcuaRule } from './matchers/opcua';
import { checkTls } from './tls';
import { checkRelay } from './relay';
import { RULE_BODY_KEYS } from './schema/constants';
import type { ConduitSpec, Policy } from './schema/policy';
// ajv's standalone code for policy.schema.json, generated from rules/schema by scripts/gen-schema.ts
// (drift: test/rules/generated.test.ts): no TypeBox (~200 modules) and no schema compile (~250 ms,
// ~15 MB of heap) at start-up. Options: POLICY_AJV_OPTIONS there (allErrors, verbose).
import precompiled from './schema/policy-validator';
import { closest, didYouMean } from './suggest';
import { readYaml, type YamlSource } from './yaml-source';

export type { PolicyDiagnostic } from './diagnostics';

export type LoadResult =
  | { readonly ok: true; readonly policy: Policy; readonly warnings: readonly PolicyDiagnostic[] }
  | { readonly ok: false; readonly errors: readonly PolicyDiagnostic[]; readonly warnings: readonly PolicyDiagnostic[] };

const validator = precompiled as unknown as ValidateFunction;
function validate(data: unknown): ErrorObject[] {
  return validator(data) ? [] : [...(validator.errors ?? [])];
}

export function loadPolicyFile(path: string): LoadResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, errors: [{ file: path, line: 0, col: 0, path: '', code: 'policy.unreadable', severity: 'error', message }], warnings: [] };
  }
  return loadPolicyText(text, path);
}

export function loadPolicyText(text: string, file: string): LoadResult {
  const read = readYaml(text);
  const out = new Diagnostics(file, read.source);
  if (!read.ok) {
    out.offset('policy.yaml_syntax', read.error.offset, read.error.message);
    return out.result(null);
  }
  for (const w of read.warnings) out.offset('policy.yaml_warning', w.offset, w.message);

  const data = read.data;
  schemaErrors(validate(data), out);
  if (out.hasErrors()) return out.result(null);

  const policy = data as Policy;
  semanticChecks(policy, out);
  return out.result(out.hasErrors() ? null : deepFreeze(policy));
}

/** Collects diagnostics, locating JSON paths in the YAML text. */
class Diagnostics {
  private readonly list: PolicyDiagnostic[] = [];

  constructor(
    private readonly file: string,
    private readonly source: YamlSource,
  ) {}

  at(code: PolicyCode, line: number, col: number, path: string, message: string): void {
    this.list.push({ file: this.file, line, col, path, code, severity: PolicyCodes[code].severity, message });
  }

  /** Report at a character offset (YAML syntax). */
  offset(code: PolicyCode, offset: number, message: string): void {
    const p = this.source.linePos(offset);
    this.at(code, p.line, p.col, '', message);
  }

  /** Report at a node; `key` points at the map key of the last segment instead of its value. */
  node(code: PolicyCode, segments: readonly PathSegment[], message: string, key = false): void {
    const p = this.source.linePos(this.source.locate(segments, key));
    this.at(code, p.line, p.col, pathText(segments), message);
  }

  /** 1-based line of a node (for "first defined at line N"). */
  lineOf(segments: readonly PathSegment[]): number {
    return this.source.linePos(this.source.locate(segments, false)).line;
  }

  hasErrors(): boolean {
    return this.list.some((d) => d.severity === 'error');
  }

  result(policy: Policy | null): LoadResult {
    const sorted = [...this.list].sort((a, b) => a.line - b.line || a.col - b.col);
    const errors = sorted.filter((d) => d.severity === 'error');
    const warnings = sorted.filter((d) => d.severity === 'warning');
    return policy !== null && errors.length === 0 ? { ok: true, policy, warnings } : { ok: false, errors, warnings };
  }
}

// ---------------------------------------------------------------------------------------------
// Pass 2: ajv errors → one readable diagnostic each.

const pointerSegments = (p: string): PathSegment[] =>
  p === ''
    ? []
    : p
        .slice(1)
        .split('/')
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
        .map((s) => (/^[0-9]+$/.test(s) ? Number(s) : s));

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

const typeMatches = (want: unknown, got: string): boolean =>
  want === undefined || want === got || (want === 'number' && got === 'integer');

const describe = (v: unknown): string => {
  const t = jsonType(v);
  if (t === 'string') return `'${String(v)}'`;
  if (t === 'array') return 'a list';
  if (t === 'object') return 'a map';
  if (t === 'null') return 'nothing';
  return String(v);
};

const TYPE_WORDS: Record<string, string> = {
  array: 'a list',
  object: 'a map',
  string: 'text',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
};

interface SchemaNode {
  title?: string;
  description?: string;
  type?: string;
  examples?: unknown[];
  anyOf?: SchemaNode[];
  properties?: Record<string, unknown>;
}

function schemaErrors(errors: ErrorObject[], out: Diagnostics): void {
  // Unions: keep only the errors of the branch whose type fits the value (so a misspelt key in
  // an envelope map reads "unknown key", not "must match one of three shapes"); when no branch
  // fits, one "must be …" for the whole union. Outer unions first.
  const dropped = new Set<ErrorObject>();
  const unions = errors.filter((e) => e.keyword === 'anyOf').sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  for (const u of unions) {
    if (dropped.has(u)) continue;
    const branches = (u.schema as SchemaNode[]) ?? [];
    const got = jsonType(u.data);
    const fits = branches.map((b, i) => (typeMatches(b.type, got) ? i : -1)).filter((i) => i >= 0);
    for (const e of errors) {
      if (e === u || !e.schemaPath.startsWith(`${u.schemaPath}/`)) continue;
      // Array items share a schemaPath: only errors at or below this union's own value.
      if (e.instancePath !== u.instancePath && !e.instancePath.startsWith(`${u.instancePath}/`)) continue;
      if (fits.length === 1 && e.schemaPath.startsWith(`${u.schemaPath}/${fits[0]}/`)) continue;
      dropped.add(e);
    }
    if (fits.length === 1) dropped.add(u);
  }
  // A misspelt required key shows up twice (unknown 'fucntions', missing 'functions'): keep the first.
  const misspelt = new Set<string>();
  for (const e of errors) {
    if (e.keyword !== 'additionalProperties' || dropped.has(e)) continue;
    const k = (e.params as { additionalProperty: string }).additionalProperty;
    const hit = closest(k, Object.keys(((e.parentSchema ?? {}) as SchemaNode).properties ?? {}));
    if (hit !== null) misspelt.add(`${e.instancePath}|${hit}`);
  }
  for (const e of errors) {
    if (e.keyword === 'required' && misspelt.has(`${e.instancePath}|${(e.params as { missingProperty: string }).missingProperty}`)) dropped.add(e);
  }
  for (const e of errors) if (!dropped.has(e)) oneError(e, out);
}

function oneError(e: ErrorObject, out: Diagnostics): void {
  const segs = pointerSegments(e.instancePath);
  const last = segs[segs.length - 1];
  const prev = segs[segs.length - 2];
  const what = typeof last === 'string' ? `'${last}'` : typeof last === 'number' && typeof prev === 'string' ? `item ${last + 1} of '${prev}'` : 'value';
  const parent = (e.parentSchema ?? {}) as SchemaNode;
  const inFunctions = segs.includes('functions') && typeof last === 'number';
  const inRange = segs.includes('unit_ids') || segs.includes('read') || segs.includes('write');
  switch (e.keyword) {
    case 'additionalProperties': {
      const k = (e.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys(parent.properties ?? {});
      out.node('policy.unknown_key', [...segs, k], `unknown key '${k}'${didYouMean(k, known)}`, true);
      return;
    }
    case 'required': {
      const k = (e.params as { missingProperty: string }).missingProperty;
      out.node('policy.missing_key', segs, `missing required key '${k}'`);
      return;
    }
    case 'type': {
      const want = (e.params as { type: string }).type;
      out.node('policy.wrong_type', segs, `${what} must be ${TYPE_WORDS[want] ?? want} (got ${describe(e.data)})`);
      return;
    }
    case 'anyOf': {
      const title = parent.description ?? parent.title ?? 'one of the allowed forms';
      out.node('policy.wrong_type', segs, `${what} must be ${title} (got ${describe(e.data)})`);
      return;
    }
    case 'enum': {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
      if (inFunctions) {
        const word = String(e.data);
        out.node('policy.unknown_function', segs, `unknown Modbus function '${word}'${didYouMean(word, allowed.map(String))}; use a code 1..127, a name or a preset (read-only, read-write, diagnostics, device-identification)`);
        return;
      }
      const hint = typeof e.data === 'string' ? didYouMean(e.data, allowed.map(String)) : '';
      out.node('policy.schema', segs, `${what} must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')} (got ${describe(e.data)})${hint}`);
      return;
    }
    case 'const':
      out.node('policy.schema', segs, `${what} must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)} (got ${describe(e.data)})`);
      return;
    case 'pattern': {
      const title = parent.title ?? 'value';
      const example = parent.examples?.[0];
      const code: PolicyCode = title.endsWith('range') ? 'policy.bad_range' : title.startsWith('ISO') ? 'policy.bad_window' : 'policy.schema';
      out.node(code, segs, `${describe(e.data)} is not a valid ${title}${example !== undefined ? ` (e.g. ${JSON.stringify(example)})` : ''}`);
      return;
    }
    case 'minimum':
    case 'maximum': {
      const p = e.params as { comparison: string; limit: number };
      const code: PolicyCode = last === 'min' || last === 'max' ? 'policy.bad_envelope' : inRange ? 'policy.bad_range' : 'policy.schema';
      out.node(code, segs, `${what} must be ${p.comparison} ${p.limit} (got ${describe(e.data)})`);
      return;
    }
    case 'minItems':
      out.node('policy.schema', segs, `${what} must list at least ${(e.params as { limit: number }).limit} item(s)`);
      return;
    case 'minLength':
      out.node('policy.schema', segs, `${what} must not be empty`);
      return;
    default:
      out.node('policy.schema', segs, `${what} ${e.message ?? 'is not allowed here'}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Pass 3: what the schema cannot say.

function semanticChecks(p: Policy, out: Diagnostics): void {
  const zones = new Map<string, { index: number; cidrs: Cidr[] }>();
  p.zones.forEach((z, i) => {
    const first = zones.get(z.name);
    if (first) out.node('policy.duplicate_name', ['zones', i, 'name'], `duplicate zone name '${z.name}' (first defined at line ${out.lineOf(['zones', first.index])})`);
    const cidrs: Cidr[] = [];
    z.networks.forEach((n, j) => {
      const c = parseCidr(n);
      if (c.ok) cidrs.push(c.cidr);
      else out.node('policy.bad_cidr', ['zones', i, 'networks', j], `'${n}' is not a valid CIDR: ${c.why}`);
    });
    if (!first) zones.set(z.name, { index: i, cidrs });
  });

  const zoneRef = (name: string, at: PathSegment[]): boolean => {
    if (zones.has(name)) return true;
    out.node('policy.unknown_zone', at, `unknown zone '${name}'${didYouMean(name, zones.keys())}`);
    return false;
  };

  const assets = new Map<string, { index: number; zone: string; zoneKnown: boolean }>();
  const addresses = new Map<string, number>();
  p.assets.forEach((a, i) => {
    const first = assets.get(a.name);
    if (first) out.node('policy.duplicate_name', ['assets', i, 'name'], `duplicate asset name '${a.name}' (first defined at line ${out.lineOf(['assets', first.index])})`);
    const known = zoneRef(a.zone, ['assets', i, 'zone']);
    if (!first) assets.set(a.name, { index: i, zone: a.zone, zoneKnown: known });
    const bytes = parseIp(a.address);
    if (bytes === null) {
      out.node('policy.bad_address', ['assets', i, 'address'], `'${a.address}' is not an IPv4 or IPv6 address`);
      return;
    }
    const canon = canonicalIp(a.address)!;
    const dup = addresses.get(canon);
    if (dup !== undefined) {
      out.node('policy.duplicate_address', ['assets', i, 'address'], `address ${canon} is already asset '${p.assets[dup]!.name}' (line ${out.lineOf(['assets', dup])}); clients are identified by address`);
    } else {
      addresses.set(canon, i);
    }
    const zone = zones.get(a.zone);
    if (known && zone && zone.cidrs.length > 0 && !zone.cidrs.some((c) => cidrContains(c, bytes))) {
      out.node('policy.asset_outside_zone', ['assets', i, 'address'], `${a.address} is outside every network of zone '${a.zone}' (${p.zones[zone.index]!.networks.join(', ')})`);
    }
  });

  const assetRef = (name: string, at: PathSegment[]): { zone: string; zoneKnown: boolean } | null => {
    const a = assets.get(name);
    if (a) return a;
    out.node('policy.unknown_asset', at, `unknown asset '${name}'${didYouMean(name, assets.keys())}`);
    return null;
  };

  const conduits = new Map<string, number>();
  const listens = new ListenTable(out);
  p.conduits.forEach((c, i) => {
    const at = ['conduits', i] as PathSegment[];
    const first = conduits.get(c.name);
    if (first !== undefined) out.node('policy.duplicate_name', [...at, 'name'], `duplicate conduit name '${c.name}' (first defined at line ${out.lineOf(['conduits', first])})`);
    else conduits.set(c.name, i);
    const fromOk = zoneRef(c.from_zone, [...at, 'from_zone']);
    const toOk = zoneRef(c.to_zone, [...at, 'to_zone']);

    const l = parseListen(c.listen);
    if (!l.ok) out.node('policy.bad_listen', [...at, 'listen'], `'${c.listen}' is not a valid listen address: ${l.why}`);
    else listens.add(l.host, l.port, c.name, [...at, 'listen']);

    const up = assetRef(c.upstream.asset, [...at, 'upstream', 'asset']);
    if (up && up.zoneKnown && toOk && up.zone !== c.to_zone) {
      out.node('policy.conduit_zone_mismatch', [...at, 'upstream', 'asset'], `upstream asset '${c.upstream.asset}' is in zone '${up.zone}', not in to_zone '${c.to_zone}'`);
    }
    if (c.protocol === 'modbus' && c.limits?.max_frame_bytes !== undefined && c.limits.max_frame_bytes > 260) {
      out.node('policy.bad_limit', [...at, 'limits', 'max_frame_bytes'], `a Modbus TCP ADU is at most 260 bytes (MB-TCP §3.1.3); got ${c.limits.max_frame_bytes}`);
    }
    for (const other of Object.values(RULE_BODY_KEYS)) {
      if (other !== c.protocol && (c as Record<string, unknown>)[other] !== undefined) {
        out.node('policy.protocol_mismatch', [...at, other], `'${other}' options on a ${c.protocol} conduit`, true);
      }
    }
    if (c.tls) for (const t of checkTls(c.tls, (n) => assets.has(n))) out.node(t.code ?? 'policy.schema', [...at, 'tls', ...t.path], t.message);
    ruleChecks(c, at, fromOk, assetRef, out);
  });
  const conduitNames = new Set(p.conduits.map((c) => c.name));
  for (const r of checkRelay(p.relay, { assets: new Set(p.assets.map((a) => a.name)), conduits: conduitNames })) out.node(r.code, r.segments, r.message);
}

function ruleChecks(
  c: ConduitSpec,
  at: PathSegment[],
  fromOk: boolean,
  assetRef: (name: string, at: PathSegment[]) => { zone: string; zoneKnown: boolean } | null,
  out: Diagnostics,
): void {
  const names = new Map<string, number>();
  c.rules.forEach((r, j) => {
    const rat = [...at, 'rules', j] as PathSegment[];
    const first = names.get(r.name);
    if (first !== undefined) out.node('policy.duplicate_name', [...rat, 'name'], `duplicate rule name '${r.name}' in conduit '${c.name}' (first defined at line ${out.lineOf([...at, 'rules', first])})`);
    else names.set(r.name, j);
    r.clients.forEach((name, k) => {
      const a = assetRef(name, [...rat, 'clients', k]);
      if (a && a.zoneKnown && fromOk && a.zone !== c.from_zone) {
        out.node('policy.conduit_zone_mismatch', [...rat, 'clients', k], `client '${name}' is in zone '${a.zone}', not in from_zone '${c.from_zone}'`);
      }
    });
    if (r.window) {
      const s = Date.parse(r.window.start);
      const e = Date.parse(r.window.end);
      if (Number.isNaN(s)) out.node('policy.bad_window', [...rat, 'window', 'start'], `'${r.window.start}' is not a valid time`);
      else if (Number.isNaN(e)) out.node('policy.bad_window', [...rat, 'window', 'end'], `'${r.window.end}' is not a valid time`);
      else if (e <= s) out.node('policy.bad_window', [...rat, 'window', 'end'], `window end ${r.window.end} is not after its start ${r.window.start}`);
    }
    const body = r as Record<string, unknown>;
    let foreign = false;
    for (const key of Object.values(RULE_BODY_KEYS)) {
      if (key !== c.protocol && body[key] !== undefined) {
        out.node('policy.protocol_mismatch', [...rat, key], `a '${key}' rule body in ${c.protocol} conduit '${c.name}'`, true);
        foreign = true;
      }
    }
    if (body[c.protocol] === undefined) {
      if (foreign) return;
      out.node('policy.protocol_mismatch', rat, `rule '${r.name}' has no '${c.protocol}:' body (what may its clients do?)`);
      return;
    }
    if (c.protocol === 'modbus' && r.modbus) modbusChecks(r.modbus, [...rat, 'modbus'], out);
    if (c.protocol === 'mqtt' && r.mqtt) for (const p of checkMqttRule(r.mqtt)) out.node('policy.schema', [...rat, 'mqtt', ...p.path], p.message);
    if (c.protocol === 'opcua' && r.opcua) for (const p of checkOpcuaRule(r.opcua)) out.node('policy.schema', [...rat, 'opcua', ...p.path], p.message);
  });
}

function modbusChecks(m: ModbusRuleSpec, at: PathSegment[], out: Diagnostics): void {
  m.unit_ids.forEach((u, i) => {
    if (parseRange(u, 255) === null) out.node('policy.bad_range', [...at, 'unit_ids', i], `${JSON.stringify(u)} is not a unit id range within 0..255 (low-high, low ≤ high)`);
  });
  for (const t of ['coils', 'discrete_inputs', 'input_registers', 'holding_registers'] as const) {
    m.read?.[t]?.forEach((r, i) => {
      if (parseRange(r, 65535) === null) out.node('policy.bad_range', [...at, 'read', t, i], `${JSON.stringify(r)} is not an address range within 0..65535 (low-high, low ≤ high)`);
    });
    const ws = m.write?.[t];
    if (!ws) continue;
    const spans: { lo: number; hi: number; env: boolean; i: number }[] = [];
    ws.forEach((w, i) => {
      const isObj = typeof w === 'object';
      const raw = isObj ? w.range : w;
      const wat = isObj ? [...at, 'write', t, i, 'range'] : [...at, 'write', t, i];
      const r = parseRange(raw, 65535);
      if (r === null) {
        out.node('policy.bad_range', wat, `${JSON.stringify(raw)} is not an address range within 0..65535 (low-high, low ≤ high)`);
        return;
      }
      const hasEnv = isObj && (w.min !== undefined || w.max !== undefined);
      spans.push({ lo: r[0], hi: r[1], env: hasEnv, i });
      if (isObj) {
        const lo = w.signed ? -32768 : 0;
        const hi = w.signed ? 32767 : 65535;
        const kind = w.signed ? 'int16' : 'uint16';
        for (const b of ['min', 'max'] as const) {
          const v = w[b];
          if (v !== undefined && (v < lo || v > hi)) out.node('policy.bad_envelope', [...at, 'write', t, i, b], `${b} ${v} is outside ${kind} ${lo}..${hi}${w.signed ? '' : ' (set signed: true for negative values)'}`);
        }
        if (w.min !== undefined && w.max !== undefined && w.min > w.max) out.node('policy.bad_envelope', [...at, 'write', t, i, 'max'], `max ${w.max} is below min ${w.min}`);
      }
    });
    spans.sort((a, b) => a.lo - b.lo);
    let reach = -1;
    let holder: (typeof spans)[number] | null = null;
    for (const s of spans) {
      if (holder && s.lo <= reach && (s.env || holder.env)) {
        const later = s.i > holder.i ? s : holder;
        const earlier = later === s ? holder : s;
        out.node('policy.overlapping_ranges', [...at, 'write', t, later.i], `write range overlaps entry ${earlier.i + 1} of ${t}, and one of them has a value envelope (which one would apply?)`);
      }
      if (s.hi > reach) {
        reach = s.hi;
        holder = s;
      }
    }
  }
  const codes = new Set(resolveFunctions(m.functions));
  if (codes.has(8) && (m.diagnostics ?? []).length === 0) out.node('policy.ineffective', [...at, 'functions'], 'FC 8 is allowed but no diagnostics sub-function is listed: every FC 8 request is refused');
  if (!codes.has(8) && m.diagnostics !== undefined) out.node('policy.ineffective', [...at, 'diagnostics'], 'diagnostics sub-functions listed but FC 8 is not in functions', true);
  if (codes.has(43) && (m.mei_types ?? []).length === 0) out.node('policy.ineffective', [...at, 'functions'], 'FC 43 is allowed but no mei_types are listed: every FC 43 request is refused');
  if (!codes.has(43) && m.mei_types !== undefined) out.node('policy.ineffective', [...at, 'mei_types'], 'mei_types listed but FC 43 is not in functions', true);
}

/** Listen clashes in O(n): exact host:port, and wildcards (0.0.0.0 covers IPv4, :: covers all). */
class ListenTable {
  private readonly exact = new Map<string, string>();
  private readonly byPort = new Map<number, { v4?: string; v6?: string; any4?: string; any6?: string }>();

  constructor(private readonly out: Diagnostics) {}

  add(host: string, port: number, conduit: string, at: PathSegment[]): void {
    if (port === 0) return; // ephemeral: the kernel picks distinct ports
    const key = `${host}|${port}`;
    const clash = (other: string) => this.out.node('policy.listen_conflict', at, `conduit '${conduit}' listens on ${host}:${port}, which conduit '${other}' already binds`);
    const prev = this.exact.get(key);
    if (prev !== undefined) return clash(prev);
    this.exact.set(key, conduit);
    const p = this.byPort.get(port) ?? {};
    this.byPort.set(port, p);
    const wc = wildcardOf(host);
    const v6 = host.includes(':');
    if (wc === 'any6') {
      const o = p.any6 ?? p.any4 ?? p.v4 ?? p.v6;
      if (o !== undefined) return clash(o);
      p.any6 = conduit;
    } else if (wc === 'any4') {
      const o = p.any6 ?? p.any4 ?? p.v4;
      if (o !== undefined) return clash(o);
      p.any4 = conduit;
    } else {
      const o = p.any6 ?? (v6 ? undefined : p.any4);
      if (o !== undefined) return clash(o);
      if (v6) p.v6 ??= conduit;
      else p.v4 ??= conduit;
    }
  }
}

// Exported for tests and tooling.
export { FUNCTION_NAMES, PRESET_CODES };
