/**
 * Modbus TCP policy matching. A request is allowed when ANY active rule for the client allows
 * all of it: unit id listed; function listed; FC 8 sub-function / FC 43 MEI type listed; every
 * table access inside that rule's ranges for its access kind (FC 23 needs both its read and its
 * write range); every written value inside the envelope of the range holding it. Otherwise the
 * deny names the rule that got furthest (unit → function → sub-function → address → value).
 *
 * Runs per frame on the forwarding path: an allow allocates nothing here (the verdict is built
 * once per rule); deny details are built only for the one rule reported.
 */
import { accessesOf } from '../../protocols/modbus/accesses';
import { functionName } from '../../protocols/modbus/names';
import type { ModbusRequest, ModbusTable, TableAccess } from '../../protocols/modbus/types';
import { modbusTechnique } from '../attack';
import { bitMembers, bitset, hasBit, type Bitset } from '../bitset';
import type { ClientRules, RuleWindow } from '../compiled';
import {
  containsRange,
  coverStart,
  firstValueOutside,
  intervalSet,
  maskWriteBounds,
  parseRange,
  writeSet,
  type Envelope,
  type Interval,
  type IntervalSet,
  type WriteEntry,
  type WriteSet,
} from '../intervals';
import type { DenyReason } from '../reasons';
import { DEFAULT_MODBUS_EXCEPTIONS } from '../schema/constants';
import type { ModbusConduitSpec, ModbusRuleSpec } from '../schema/modbus';
import { resolveFunctions } from '../schema/modbus-functions';
import { allow, deny, type Verdict } from '../verdict';

export type ModbusTables<T> = { readonly [K in ModbusTable]: T | null };

export interface CompiledModbusRule {
  readonly name: string;
  /** Active only in [start, end) when set. */
  readonly window: RuleWindow | null;
  /** Unit ids 0..255. */
  readonly units: Bitset;
  /** Function codes 1..127. */
  readonly functions: Bitset;
  /** FC 8 sub-functions and FC 43 MEI types allowed (short lists, sorted). */
  readonly diagnostics: readonly number[];
  readonly meiTypes: readonly number[];
  readonly read: ModbusTables<IntervalSet>;
  readonly write: ModbusTables<WriteSet>;
  /** FC 22 on an enveloped range whose result the masks cannot bound: allowed? (default no). */
  readonly maskWriteUnbounded: boolean;
  /** This rule's allow verdict, built once. */
  readonly allowed: Verdict;
}

/** Exception code (MB-AP §7) sent for each class of deny. */
export interface ModbusConduitOptions {
  readonly exceptions: { readonly function: number; readonly address: number; readonly value: number };
}

export const TABLES: readonly ModbusTable[] = Object.freeze(['coils', 'discrete_inputs', 'input_registers', 'holding_registers']);

export function compileModbusConduit(spec: ModbusConduitSpec | undefined): ModbusConduitOptions {
  const e = spec?.exceptions;
  return Object.freeze({
    exceptions: Object.freeze({
      function: e?.function ?? DEFAULT_MODBUS_EXCEPTIONS.function,
      address: e?.address ?? DEFAULT_MODBUS_EXCEPTIONS.address,
      value: e?.value ?? DEFAULT_MODBUS_EXCEPTIONS.value,
    }),
  });
}

/** Spec (already validated by rules/load.ts) → compiled rule. */
export function compileModbusRule(name: string, window: RuleWindow | null, spec: ModbusRuleSpec): CompiledModbusRule {
  const units: number[] = [];
  for (const u of spec.unit_ids) {
    const r = parseRange(u, 255);
    if (r) for (let x = r[0]; x <= r[1]; x++) units.push(x);
  }
  const read = {} as Record<ModbusTable, IntervalSet | null>;
  const write = {} as Record<ModbusTable, WriteSet | null>;
  for (const t of TABLES) {
    const rs = spec.read?.[t];
    read[t] = rs === undefined ? null : intervalSet(rs.map((x) => parseRange(x, 65535)).filter((x): x is Interval => x !== null));
    const ws = spec.write?.[t];
    write[t] = ws === undefined ? null : writeSet(ws.map(writeEntry).filter((x): x is WriteEntry => x !== null));
  }
  return Object.freeze({
    name,
    window,
    units: bitset(256, units),
    functions: bitset(128, resolveFunctions(spec.functions)),
    diagnostics: Object.freeze([...new Set(spec.diagnostics ?? [])].sort((a, b) => a - b)),
    meiTypes: Object.freeze([...new Set(spec.mei_types ?? [])].sort((a, b) => a - b)),
    read: Object.freeze(read),
    write: Object.freeze(write),
    maskWriteUnbounded: spec.mask_write_unbounded === 'allow',
    allowed: Object.freeze(allow(name)),
  });
}

const NO_RULES: readonly CompiledModbusRule[] = Object.freeze([]);

/** Rules by function code 0..127, each list in file order (ClientRules.modbusByFunction). */
export function indexModbusByFunction(rules: readonly CompiledModbusRule[]): readonly (readonly CompiledModbusRule[])[] {
  const byFc: (readonly CompiledModbusRule[])[] = [];
  for (let fc = 0; fc < 128; fc++) {
    const list = rules.filter((r) => hasBit(r.functions, fc));
    byFc.push(list.length === 0 ? NO_RULES : Object.freeze(list));
  }
  return Object.freeze(byFc);
}

type WriteItem = NonNullable<NonNullable<ModbusRuleSpec['write']>['coils']>[number];

function writeEntry(item: WriteItem): WriteEntry | null {
  if (typeof item !== 'object') {
    const r = parseRange(item, 65535);
    return r && { lo: r[0], hi: r[1], envelope: null };
  }
  const r = parseRange(item.range, 65535);
  if (r === null) return null;
  const signed = item.signed === true;
  if (item.min === undefined && item.max === undefined) return { lo: r[0], hi: r[1], envelope: null };
  const envelope: Envelope = { min: item.min ?? (signed ? -32768 : 0), max: item.max ?? (signed ? 32767 : 65535), signed };
  return { lo: r[0], hi: r[1], envelope };
}

// How far a request got through one rule; a higher stage is a more specific deny.
const UNIT = 0;
const FUNCTION = 1;
const SUBFUNCTION = 2;
const ADDRESS = 3;
const VALUE = 4;
const ALLOWED = 5;

const STAGE_REASON: readonly DenyReason[] = [
  'modbus_unit_not_allowed',
  'modbus_function_not_allowed',
  'modbus_subfunction_not_allowed',
  'modbus_address_not_allowed',
  'modbus_value_out_of_range',
];

const lastOf = (a: TableAccess): number => a.address + (a.quantity > 0 ? a.quantity : 1) - 1;

const activeAt = (w: RuleWindow | null, now: number): boolean => w === null || (now >= w.start && now < w.end);

function stageOf(rule: CompiledModbusRule, req: ModbusRequest, acc: readonly TableAccess[]): number {
  if (!hasBit(rule.units, req.mbap.unit)) return UNIT;
  if (!hasBit(rule.functions, req.fc)) return FUNCTION;
  if (req.op === 'diagnostics' && !rule.diagnostics.includes(req.subfunction)) return SUBFUNCTION;
  if (req.op === 'encapsulated' && !rule.meiTypes.includes(req.mei)) return SUBFUNCTION;
  for (let i = 0; i < acc.length; i++) {
    const a = acc[i]!;
    if (a.access === 'read') {
      const set = rule.read[a.table];
      if (set === null || !containsRange(set, a.address, lastOf(a))) return ADDRESS;
    } else {
      const set = rule.write[a.table];
      if (set === null || coverStart(set, a.address, lastOf(a)) < 0) return ADDRESS;
    }
  }
  for (let i = 0; i < acc.length; i++) {
    const a = acc[i]!;
    if (a.access === 'write' && valueProblem(rule, rule.write[a.table]!, a, req) !== null) return VALUE;
  }
  return ALLOWED;
}

/** null when every written value fits its envelope, else a short human explanation. */
function valueProblem(rule: CompiledModbusRule, set: WriteSet, a: TableAccess, req: ModbusRequest): string | null {
  const start = coverStart(set, a.address, lastOf(a));
  if (a.values !== undefined) {
    const bad = firstValueOutside(set, start, a.address, a.values);
    if (bad < 0) return null;
    const addr = a.address + bad;
    const env = envelopeAt(set, start, addr)!;
    return `${a.table} ${addr} = ${a.values[bad]} outside ${env.min}..${env.max}${env.signed ? ' (int16)' : ''}`;
  }
  // No values on the wire for this access: only FC 22 (MB-AP §6.16) gets here; the result is
  // bounded from the masks, or unknowable (depends on the device's current value).
  for (let addr = a.address; addr <= lastOf(a); addr++) {
    const env = envelopeAt(set, start, addr);
    if (env === null) continue;
    if (req.op !== 'mask_write_register') return `${a.table} ${addr}: written value unknown, envelope ${env.min}..${env.max}`;
    const b = maskWriteBounds(req.andMask, req.orMask, env.signed);
    if (b.min >= env.min && b.max <= env.max) continue;
    if (rule.maskWriteUnbounded) continue;
    return `${a.table} ${addr}: mask write may produce ${b.min}..${b.max}, envelope ${env.min}..${env.max} (mask_write_unbounded: deny)`;
  }
  return null;
}

function envelopeAt(set: WriteSet, start: number, addr: number): Envelope | null {
  let seg = start;
  while (set.ends[seg]! < addr) seg++;
  return set.envelopes[seg] ?? null;
}

const NO_ACCESSES: readonly TableAccess[] = Object.freeze([]);

/**
 * The verdict for one request from a client whose rules on this conduit are `rules`
 * (CompiledConduit.rulesFor(ip)); null means no rule names the client: default deny.
 */
export function evaluateModbus(rules: ClientRules | null, req: ModbusRequest, now: number): Verdict {
  if (rules === null || rules.modbus.length === 0) {
    return deny('no_rule', `no rule on this conduit names this client (${fcText(req.fc)})`, null, modbusTechnique(req, 'no_rule'));
  }
  // The allow search: only rules listing this function code can allow it, and the first of
  // them (in file order) that does is the first rule of the whole list that does. (When every
  // rule lists it, the loop below is the same search.)
  const byFc = rules.modbusByFunction;
  const cands = byFc === undefined ? null : byFc[req.fc] ?? NO_RULES;
  let acc: readonly TableAccess[] | null = null;
  if (cands !== null && cands.length < rules.modbus.length) {
    for (let i = 0; i < cands.length; i++) {
      const rule = cands[i]!;
      if (!activeAt(rule.window, now) || !hasBit(rule.units, req.mbap.unit)) continue;
      if (acc === null) acc = accessesOf(req);
      if (stageOf(rule, req, acc) === ALLOWED) return rule.allowed;
    }
  }
  // A deny: every rule is read, for the one that got furthest (the deny's reason and rule).
  const list = rules.modbus;
  let best: CompiledModbusRule | null = null;
  let bestStage = -1;
  let inactive: CompiledModbusRule | null = null;
  for (let i = 0; i < list.length; i++) {
    const rule = list[i]!;
    if (!activeAt(rule.window, now)) {
      if (inactive === null) inactive = rule;
      continue;
    }
    // Table accesses are worked out once, and only for a request some rule lets past its function check.
    if (acc === null && hasBit(rule.units, req.mbap.unit) && hasBit(rule.functions, req.fc)) acc = accessesOf(req);
    const stage = stageOf(rule, req, acc ?? NO_ACCESSES);
    if (stage === ALLOWED) return rule.allowed;
    if (stage > bestStage) {
      best = rule;
      bestStage = stage;
    }
  }
  if (best === null) {
    const w = inactive!.window!;
    return deny(
      'outside_window',
      `rule ${inactive!.name} is active only ${new Date(w.start).toISOString()}..${new Date(w.end).toISOString()}`,
      inactive!.name,
      modbusTechnique(req, 'outside_window'),
    );
  }
  const reason = STAGE_REASON[bestStage]!;
  return deny(reason, explain(best, bestStage, req, acc ?? accessesOf(req)), best.name, modbusTechnique(req, reason));
}

function fcText(fc: number): string {
  const n = functionName(fc);
  return n === null ? `FC ${fc}` : `FC ${fc} ${n}`;
}

function explain(rule: CompiledModbusRule, stage: number, req: ModbusRequest, acc: readonly TableAccess[]): string {
  switch (stage) {
    case UNIT:
      return `unit ${req.mbap.unit} not in ${listText(bitMembers(rule.units))}`;
    case FUNCTION:
      return `${fcText(req.fc)} not allowed`;
    case SUBFUNCTION:
      return req.op === 'diagnostics'
        ? `FC 8 sub-function ${req.subfunction} not in ${listText(rule.diagnostics)}`
        : `FC 43 MEI type ${req.op === 'encapsulated' ? req.mei : '?'} not in ${listText(rule.meiTypes)}`;
    case ADDRESS:
      for (const a of acc) {
        const ok =
          a.access === 'read'
            ? rule.read[a.table] !== null && containsRange(rule.read[a.table]!, a.address, lastOf(a))
            : rule.write[a.table] !== null && coverStart(rule.write[a.table]!, a.address, lastOf(a)) >= 0;
        if (!ok) return `${a.access} ${a.table} ${a.address}..${lastOf(a)} outside the allowed ranges`;
      }
      return 'address outside the allowed ranges';
    default:
      for (const a of acc) {
        if (a.access !== 'write') continue;
        const p = valueProblem(rule, rule.write[a.table]!, a, req);
        if (p !== null) return p;
      }
      return 'written value outside its envelope';
  }
}

/** [1, 2, 3, 7] → "1-3, 7" (compact, for deny details). */
function listText(xs: readonly number[]): string {
  if (xs.length === 0) return '(none)';
  const parts: string[] = [];
  for (let i = 0; i < xs.length; ) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j]! + 1) j++;
    parts.push(j > i ? `${xs[i]}-${xs[j]}` : `${xs[i]}`);
    i = j + 1;
  }
  return `[${parts.join(', ')}]`;
}

/**
 * What an allow of `req` at `now` depends on besides the request's own bytes (and this
 * ClientRules object: a reload swaps it). Every rule's outcome for the same bytes is fixed except
 * through time windows, so the same bytes get the same verdict while (a) every windowed rule
 * listing the function code that was inactive at `now` and sits before the allowing rule (in file
 * order) stays inactive — active, it might allow first — and (b) the allowing rule, if windowed,
 * stays active (allowStands). Windowed rules that were active and did not allow cannot start to.
 * null when the verdict is not an allow by one of these rules.
 */
export interface AllowBasis {
  readonly verdict: Verdict;
  readonly allower: CompiledModbusRule;
  /** Windowed rules before the allower that were inactive when the verdict was made. */
  readonly inactive: readonly CompiledModbusRule[];
}

export function allowBasis(rules: ClientRules, req: ModbusRequest, verdict: Verdict, now: number): AllowBasis | null {
  if (!verdict.allow) return null;
  const list = rules.modbusByFunction?.[req.fc] ?? rules.modbus;
  const inactive: CompiledModbusRule[] = [];
  for (const rule of list) {
    if (rule.allowed === verdict) return { verdict, allower: rule, inactive };
    if (!activeAt(rule.window, now)) inactive.push(rule);
  }
  return null;
}

export function allowStands(b: AllowBasis, now: number): boolean {
  const w = b.inactive;
  for (let i = 0; i < w.length; i++) if (activeAt(w[i]!.window, now)) return false;
  return activeAt(b.allower.window, now);
}
