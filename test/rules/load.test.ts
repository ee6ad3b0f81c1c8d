import path from 'node:path';
import { readFileSync } from 'node:fs';
import { compilePolicy } from '../../rules/compile';
import { formatDiagnostic, PolicyCodes, type PolicyDiagnostic } from '../../rules/diagnostics';
import { loadPolicyFile, loadPolicyText } from '../../rules/load';
import { evaluateModbus } from '../../rules/matchers/modbus';
import { read, writeReg } from './helpers';

const ROOT = path.resolve(__dirname, '..', '..');
const FIX = path.join(ROOT, 'test', 'fixtures', 'policies');
const fixture = (name: string) => path.join(FIX, `${name}.yaml`);

function errorsOf(file: string): PolicyDiagnostic[] {
  const r = loadPolicyFile(file);
  expect(r.ok).toBe(false);
  return r.ok ? [] : [...r.errors];
}

describe('example policies', () => {
  test.each(['secluded-fab', 'demo-loopback'])('examples/%s.yaml loads without diagnostics and compiles', (name) => {
    const file = path.join(ROOT, 'examples', `${name}.yaml`);
    const r = loadPolicyFile(file);
    if (!r.ok) throw new Error(r.errors.map(formatDiagnostic).join('\n'));
    expect(r.warnings).toEqual([]);
    const c = compilePolicy(r.policy, { file, hash: 'h' });
    expect(c.conduits.size).toBeGreaterThan(0);
    expect(readFileSync(file, 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=../policy.schema.json');
  });

  test('the fab example compiles to what the scenario says', () => {
    const file = path.join(ROOT, 'examples', 'secluded-fab.yaml');
    const r = loadPolicyFile(file);
    if (!r.ok) throw new Error('example rejected');
    const c = compilePolicy(r.policy, { file, hash: 'h' });
    const hmi = c.conduits.get('hmi-chiller-plc')!;
    expect(hmi.listen).toEqual({ host: '10.20.0.1', port: 502 });
    expect(hmi.upstream).toEqual({ asset: 'chiller-plc', host: '10.10.0.21', port: 502 });
    expect(hmi.limits).toEqual({ maxConnections: 64, maxConnectionsPerClient: 4, idleTimeoutMs: 300000, maxPendingRequests: 16, requestTimeoutMs: 5000, maxFrameBytes: 260 });
    expect(hmi.modbus.exceptions).toEqual({ function: 1, address: 2, value: 3 });
    expect(c.conduits.get('ews-etch-plc')!.limits.maxConnectionsPerClient).toBe(8); // default
    expect(c.assetByAddress('10.10.0.21')).toMatchObject({ name: 'chiller-plc', zone: 'control', level: 1, safetyCritical: true });
    expect(c.assetByAddress('::ffff:10.20.0.11')?.name).toBe('hmi-1');
    expect(c.assetByAddress('10.99.0.1')).toBeNull();
    expect(c.audit).toEqual({ allowed: 'sample', sampleEvery: 100 });
    const rules = hmi.rulesFor('10.20.0.12');
    expect(rules!.modbus.map((m) => m.name)).toEqual(['hmi-read-chiller', 'hmi-write-chiller-setpoints']);
    expect(evaluateModbus(rules, writeReg(1, 100, 600), 0)).toMatchObject({ allow: false, reason: 'modbus_value_out_of_range', technique: 'T0836' });
    expect(evaluateModbus(rules, read(1, 3, 0, 100), 0)).toEqual({ allow: true, rule: 'hmi-read-chiller' });
  });
});

describe('broken policies point at the offending node', () => {
  // [fixture, line, col, code, message fragment]
  const cases: [string, number, number, string, string][] = [
    ['yaml-syntax', 14, 21, 'policy.yaml_syntax', "a second ': ' on one line starts a nested map"],
    ['unknown-key', 22, 11, 'policy.unknown_key', "unknown key 'fucntions' (did you mean 'functions'?)"],
    ['wrong-type', 19, 18, 'policy.wrong_type', "'clients' must be a list (got 'hmi-1')"],
    ['unknown-zone', 9, 26, 'policy.unknown_zone', "unknown zone 'controll' (did you mean 'control'?)"],
    ['unknown-asset', 19, 26, 'policy.unknown_asset', "unknown asset 'hmi-9'"],
    ['duplicate-conduit', 24, 11, 'policy.duplicate_name', "duplicate conduit name 'hmi-plc' (first defined at line 11)"],
    ['bad-range', 23, 39, 'policy.bad_range', '"200-100" is not an address range'],
    ['bad-cidr', 6, 43, 'policy.bad_cidr', "'10.10.0.0/33' is not a valid CIDR"],
    ['bad-listen', 15, 13, 'policy.bad_listen', 'write IPv6 addresses in brackets'],
  ];
  test.each(cases)('%s → %i:%i %s', (name, line, col, code, fragment) => {
    const errors = errorsOf(fixture(name));
    expect(errors).toHaveLength(1);
    const e = errors[0]!;
    expect({ file: e.file, line: e.line, col: e.col, code: e.code }).toEqual({ file: fixture(name), line, col, code });
    expect(e.message).toContain(fragment);
    expect(formatDiagnostic(e)).toBe(`${fixture(name)}:${line}:${col}: error ${code}: ${e.message}`);
  });

  test('the valid base of the fixtures loads', () => {
    expect(loadPolicyFile(fixture('valid-minimal')).ok).toBe(true);
  });

  test('an unreadable file is one diagnostic without a position', () => {
    const errors = errorsOf(path.join(FIX, 'does-not-exist.yaml'));
    expect(errors.map((e) => [e.code, e.line])).toEqual([['policy.unreadable', 0]]);
  });
});

describe('semantic checks', () => {
  const base = readFileSync(fixture('valid-minimal'), 'utf8');
  const load = (text: string) => loadPolicyText(text, 'p.yaml');
  const codes = (text: string) => {
    const r = load(text);
    return r.ok ? [] : r.errors.map((e) => `${e.line}:${e.col} ${e.code}`);
  };

  test('unknown function name with a suggestion', () => {
    const r = load(base.replace('functions: [read-only]', 'functions: [read_holding_registers, raed-only]'));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => [e.line, e.col, e.code])).toEqual([[22, 47, 'policy.unknown_function']]);
    expect(r.errors[0]!.message).toContain("did you mean 'read-only'?");
  });

  test('listen conflicts: same address, and a wildcard over a specific one', () => {
    const two = `${base}${base.slice(base.indexOf('  - name: hmi-plc')).replace('name: hmi-plc', 'name: hmi-plc-2')}`;
    expect(codes(two)).toEqual(['28:13 policy.listen_conflict']);
    expect(codes(two.replace(/listen: 10.20.0.1:502(?![\s\S]*listen: 10.20.0.1:502)/, 'listen: 0.0.0.0:502'))).toEqual(['28:13 policy.listen_conflict']);
    expect(codes(two.replace(/listen: 10.20.0.1:502(?![\s\S]*listen: 10.20.0.1:502)/, 'listen: 10.20.0.2:502'))).toEqual([]);
    expect(codes(two.replace(/listen: 10.20.0.1:502/g, 'listen: 127.0.0.1:0'))).toEqual([]);
  });

  test('zone mismatches are errors (upstream not in to_zone, client not in from_zone)', () => {
    expect(codes(base.replace('upstream: { asset: plc-1', 'upstream: { asset: hmi-1'))).toEqual(['16:24 policy.conduit_zone_mismatch']);
    expect(codes(base.replace('clients: [hmi-1]', 'clients: [plc-1]'))).toEqual(['19:19 policy.conduit_zone_mismatch']);
  });

  test('asset outside its zone networks is a warning only', () => {
    const r = load(base.replace('address: 10.20.0.11', 'address: 10.30.0.11'));
    expect(r.ok).toBe(true);
    expect(r.warnings.map((w) => [w.line, w.code, w.severity])).toEqual([[8, 'policy.asset_outside_zone', 'warning']]);
  });

  /** "line:col code" of the first occurrence of `needle` in `text` (1-based), for expectations. */
  const at = (text: string, needle: string, code: string): string => {
    const i = text.indexOf(needle);
    expect(i).toBeGreaterThanOrEqual(0);
    const before = text.slice(0, i).split('\n');
    return `${before.length}:${before[before.length - 1]!.length + 1} ${code}`;
  };

  test('envelopes, windows, unit ranges, addresses, protocol bodies', () => {
    const w = (s: string) => base.replace('read: { holding_registers: ["0-99"] }', s);
    const check = (text: string, needle: string | null, code = '') => expect(codes(text)).toEqual(needle === null ? [] : [at(text, needle, code)]);
    let t = w('write: { holding_registers: [{ range: "0-9", min: 300, max: 200 }] }');
    check(t, '200 }', 'policy.bad_envelope');
    t = w('write: { holding_registers: [{ range: "0-9", min: -5 }] }');
    check(t, '-5', 'policy.bad_envelope');
    check(w('write: { holding_registers: [{ range: "0-9", min: -5, signed: true }] }'), null);
    t = w('write: { holding_registers: ["0-20", { range: "5-9", max: 3 }] }');
    check(t, '{ range: "5-9"', 'policy.overlapping_ranges');
    check(w('write: { holding_registers: ["0-20", "5-30"] }'), null);
    t = base.replace('unit_ids: [1]', 'unit_ids: ["9-3"]');
    check(t, '"9-3"', 'policy.bad_range');
    t = base.replace('address: 10.20.0.11', 'address: 10.20.0.256');
    check(t, '10.20.0.256', 'policy.bad_address');
    t = base.replace('address: 10.20.0.11', 'address: 10.10.0.21');
    expect(codes(t)).toEqual([at(t, '10.10.0.21 }\nconduits', 'policy.duplicate_address')]);
    t = base.replace('address: 10.10.0.21', 'address: 10.20.0.11');
    expect(codes(t)).toEqual([at(t, '10.20.0.11 }\nconduits', 'policy.duplicate_address')]);
    t = base.replace('        clients: [hmi-1]\n', '        clients: [hmi-1]\n        window: { start: "2026-01-02T00:00:00Z", end: "2026-01-01T00:00:00Z" }\n');
    check(t, '"2026-01-01', 'policy.bad_window');
    t = base.replace('        clients: [hmi-1]\n', '        clients: [hmi-1]\n        window: { start: "2026-01-02T00:00:00", end: "2026-01-03T00:00:00Z" }\n');
    check(t, '"2026-01-02', 'policy.bad_window');
    t = base.replace('protocol: modbus', 'protocol: mqtt');
    check(t, 'modbus:\n          unit_ids', 'policy.protocol_mismatch');
  });

  test('ineffective settings warn', () => {
    const r = load(base.replace('functions: [read-only]', 'functions: [read-only, diagnostics]'));
    expect(r.ok).toBe(true);
    expect(r.warnings.map((w) => w.code)).toEqual(['policy.ineffective']);
  });

  test('every code used is declared', () => {
    for (const d of [...errorsOf(fixture('bad-range')), ...errorsOf(fixture('unknown-key'))]) expect(PolicyCodes[d.code]).toBeDefined();
  });
});

describe('the loaded and compiled policy are frozen', () => {
  const r = loadPolicyFile(path.join(ROOT, 'examples', 'secluded-fab.yaml'));
  if (!r.ok) throw new Error('example rejected');
  const c = compilePolicy(r.policy, { file: 'x', hash: 'h' });

  test('policy objects reject changes', () => {
    expect(Object.isFrozen(r.policy)).toBe(true);
    expect(() => {
      (r.policy.conduits[0]!.rules[0]!.clients as string[]).push('rogue');
    }).toThrow(TypeError);
    expect(() => {
      (r.policy as { site: string }).site = 'x';
    }).toThrow(TypeError);
  });

  test('compiled maps, conduits and rules reject changes', () => {
    const conduit = c.conduits.get('hmi-chiller-plc')!;
    expect(() => (c.conduits as Map<string, unknown>).set('x', conduit)).toThrow(TypeError);
    expect(() => (c.conduits as Map<string, unknown>).delete('hmi-chiller-plc')).toThrow(TypeError);
    expect(() => (c.assets as Map<string, unknown>).clear()).toThrow(TypeError);
    expect(() => {
      (conduit as { mode: string }).mode = 'monitor';
    }).toThrow(TypeError);
    const rule = conduit.rulesFor('10.20.0.11')!.modbus[0]!;
    expect(() => {
      (rule.read.holding_registers!.ends as number[])[0] = 65535;
    }).toThrow(TypeError);
    expect(() => {
      (rule.units as number[])[0] = 0xffffffff;
    }).toThrow(TypeError);
    expect(() => {
      (conduit.rulesFor('10.20.0.11')!.modbus as unknown[]).push(rule);
    }).toThrow(TypeError);
    expect(conduit.mode).toBe('enforce');
  });
});
