/**
 * Semantic diff of two compiled policies: what a client may newly do (allows), what it may no
 * longer do (denies), and conduit settings that change behaviour (changes). Compared on the
 * compiled, normalised forms (merged ranges, resolved presets, canonical addresses), so
 * reordering, renaming a preset into its codes, or splitting a range yields no change.
 * Pure. Granularity: per conduit, per client asset, per rule (a request needs one rule to allow
 * all of it, so rules are compared whole-dimension by dimension).
 */
import { functionName } from '../protocols/modbus/names';
import { bitMembers } from './bitset';
import type { CompiledConduit, CompiledPolicy } from './compiled';
import type { IntervalSet, WriteSet } from './intervals';
import { TABLES, type CompiledModbusRule } from './matchers/modbus';

export interface PolicyChange {
  readonly effect: 'allows' | 'denies' | 'changes';
  readonly conduit: string;
  /** Client asset name, or null for a conduit-wide change. */
  readonly client: string | null;
  readonly rule: string | null;
  readonly what: string;
}

type Iv = [number, number];

export function diffPolicies(oldP: CompiledPolicy, newP: CompiledPolicy): PolicyChange[] {
  const out: PolicyChange[] = [];
  const names = [...new Set([...oldP.conduits.keys(), ...newP.conduits.keys()])].sort();
  for (const name of names) {
    const a = oldP.conduits.get(name) ?? null;
    const b = newP.conduits.get(name) ?? null;
    if (a !== null && b !== null) conduitSettings(a, b, out);
    else if (b !== null) out.push({ effect: 'allows', conduit: name, client: null, rule: null, what: `new ${b.protocol} conduit to ${b.upstream.asset} (${b.upstream.host}:${b.upstream.port})` });
    else out.push({ effect: 'denies', conduit: name, client: null, rule: null, what: `conduit removed: everything it allowed is denied` });
    const clients = new Map<string, string>(); // ip → asset name
    for (const p of [oldP, newP]) for (const asset of p.assets.values()) clients.set(asset.address, asset.name);
    for (const [ip, client] of [...clients.entries()].sort((x, y) => x[1].localeCompare(y[1]))) {
      const ra = rulesOf(a, ip);
      const rb = rulesOf(b, ip);
      for (const rule of [...new Set([...ra.keys(), ...rb.keys()])].sort()) {
        const x = ra.get(rule) ?? null;
        const y = rb.get(rule) ?? null;
        const base = { conduit: name, client, rule };
        if (x === null) out.push({ ...base, effect: 'allows', what: `rule applies: ${describeRule(y!)}` });
        else if (y === null) out.push({ ...base, effect: 'denies', what: `rule no longer applies: ${describeRule(x)}` });
        else for (const c of diffModbusRule(x, y)) out.push({ ...base, ...c });
      }
    }
  }
  return out;
}

function rulesOf(c: CompiledConduit | null, ip: string): Map<string, CompiledModbusRule> {
  const m = new Map<string, CompiledModbusRule>();
  for (const r of c?.rulesFor(ip)?.modbus ?? []) m.set(r.name, r);
  return m;
}

function conduitSettings(a: CompiledConduit, b: CompiledConduit, out: PolicyChange[]): void {
  const ch = (what: string) => out.push({ effect: 'changes', conduit: a.name, client: null, rule: null, what });
  if (a.mode !== b.mode) ch(`mode ${a.mode} → ${b.mode}${b.mode === 'monitor' ? ' (violations are forwarded)' : ' (violations are refused)'}`);
  if (a.onViolation !== b.onViolation) ch(`on_violation ${a.onViolation} → ${b.onViolation}`);
  if (a.upstream.host !== b.upstream.host || a.upstream.port !== b.upstream.port) ch(`upstream ${a.upstream.host}:${a.upstream.port} → ${b.upstream.host}:${b.upstream.port}`);
  if (a.listen.host !== b.listen.host || a.listen.port !== b.listen.port) ch(`listen ${a.listen.host}:${a.listen.port} → ${b.listen.host}:${b.listen.port}`);
  for (const k of Object.keys(a.limits) as (keyof typeof a.limits)[]) {
    if (a.limits[k] !== b.limits[k]) ch(`limit ${k} ${a.limits[k]} → ${b.limits[k]}`);
  }
}

function diffModbusRule(x: CompiledModbusRule, y: CompiledModbusRule): Omit<PolicyChange, 'conduit' | 'client' | 'rule'>[] {
  const out: Omit<PolicyChange, 'conduit' | 'client' | 'rule'>[] = [];
  const sets = (what: string, a: number[], b: number[], label: (n: number) => string = String) => {
    const added = b.filter((n) => !a.includes(n));
    const removed = a.filter((n) => !b.includes(n));
    if (added.length) out.push({ effect: 'allows', what: `${what} ${added.map(label).join(', ')}` });
    if (removed.length) out.push({ effect: 'denies', what: `${what} ${removed.map(label).join(', ')}` });
  };
  sets('unit id', bitMembers(x.units), bitMembers(y.units));
  sets('FC', bitMembers(x.functions), bitMembers(y.functions), (fc) => `${fc}${functionName(fc) ? ` ${functionName(fc)}` : ''}`);
  sets('FC 8 sub-function', [...x.diagnostics], [...y.diagnostics]);
  sets('FC 43 MEI type', [...x.meiTypes], [...y.meiTypes]);
  for (const t of TABLES) {
    const ra = intervals(x.read[t]);
    const rb = intervals(y.read[t]);
    rangeDiff(`read ${t}`, ra, rb, out);
    const wa = x.write[t];
    const wb = y.write[t];
    rangeDiff(`write ${t}`, intervals(wa), intervals(wb), out);
    envelopeDiff(t, wa, wb, out);
  }
  const wx = windowText(x);
  const wy = windowText(y);
  if (wx !== wy) out.push({ effect: 'changes', what: `window ${wx} → ${wy}` });
  if (x.maskWriteUnbounded !== y.maskWriteUnbounded) out.push({ effect: y.maskWriteUnbounded ? 'allows' : 'denies', what: 'FC 22 mask writes whose result cannot be bounded' });
  return out;
}

function rangeDiff(what: string, a: Iv[], b: Iv[], out: Omit<PolicyChange, 'conduit' | 'client' | 'rule'>[]): void {
  const added = minus(b, a);
  const removed = minus(a, b);
  if (added.length) out.push({ effect: 'allows', what: `${what} ${rangesText(added)}` });
  if (removed.length) out.push({ effect: 'denies', what: `${what} ${rangesText(removed)}` });
}

/** Envelope changes on addresses writable in both versions. */
function envelopeDiff(table: string, a: WriteSet | null, b: WriteSet | null, out: Omit<PolicyChange, 'conduit' | 'client' | 'rule'>[]): void {
  if (a === null || b === null) return;
  const seen = new Set<string>();
  for (let i = 0; i < b.starts.length; i++) {
    for (let j = 0; j < a.starts.length; j++) {
      const lo = Math.max(a.starts[j]!, b.starts[i]!);
      const hi = Math.min(a.ends[j]!, b.ends[i]!);
      if (lo > hi) continue;
      const ea = a.envelopes[j] ?? null;
      const eb = b.envelopes[i] ?? null;
      const ta = ea === null ? 'any value' : `${ea.min}..${ea.max}${ea.signed ? ' (int16)' : ''}`;
      const tb = eb === null ? 'any value' : `${eb.min}..${eb.max}${eb.signed ? ' (int16)' : ''}`;
      if (ta === tb) continue;
      const key = `${lo}-${hi}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const wider = eb === null || (ea !== null && ea.signed === eb.signed && eb.min <= ea.min && eb.max >= ea.max);
      const narrower = ea === null || (eb !== null && ea.signed === eb.signed && eb.min >= ea.min && eb.max <= ea.max);
      out.push({ effect: wider ? 'allows' : narrower ? 'denies' : 'changes', what: `write ${table} ${rangesText([[lo, hi]])} values ${ta} → ${tb}` });
    }
  }
}

function intervals(s: IntervalSet | WriteSet | null): Iv[] {
  if (s === null) return [];
  const out: Iv[] = [];
  for (let i = 0; i < s.starts.length; i++) {
    const lo = s.starts[i]!;
    const hi = s.ends[i]!;
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

/** a \ b over sorted, merged inclusive intervals. */
export function minus(a: readonly Iv[], b: readonly Iv[]): Iv[] {
  const out: Iv[] = [];
  for (const [lo0, hi] of a) {
    let lo = lo0;
    for (const [blo, bhi] of b) {
      if (bhi < lo || blo > hi) continue;
      if (blo > lo) out.push([lo, blo - 1]);
      lo = bhi + 1;
      if (lo > hi) break;
    }
    if (lo <= hi) out.push([lo, hi]);
  }
  return out;
}

const rangesText = (xs: readonly Iv[]): string => xs.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)).join(', ');

function windowText(r: CompiledModbusRule): string {
  return r.window === null ? 'always' : `${new Date(r.window.start).toISOString()}..${new Date(r.window.end).toISOString()}`;
}

function describeRule(r: CompiledModbusRule): string {
  const parts = [`units ${bitMembers(r.units).join(',')}`, `FC ${bitMembers(r.functions).join(',')}`];
  for (const t of TABLES) {
    if (r.read[t]) parts.push(`read ${t} ${rangesText(intervals(r.read[t]))}`);
    if (r.write[t]) parts.push(`write ${t} ${rangesText(intervals(r.write[t]))}`);
  }
  return parts.join('; ');
}
