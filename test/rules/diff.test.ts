import { readFileSync } from 'node:fs';
import path from 'node:path';
import { compilePolicy } from '../../rules/compile';
import { diffPolicies, minus } from '../../rules/diff';
import { loadPolicyText } from '../../rules/load';

const EXAMPLE = readFileSync(path.join(__dirname, '..', '..', 'examples', 'secluded-fab.yaml'), 'utf8');

function compiled(text: string) {
  const r = loadPolicyText(text, 'p.yaml');
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return compilePolicy(r.policy, { file: 'p.yaml', hash: 'h' });
}

test('an identical policy, or one with presets spelled as codes, has no semantic changes', () => {
  const a = compiled(EXAMPLE);
  expect(diffPolicies(a, compiled(EXAMPLE))).toEqual([]);
  const spelled = EXAMPLE.replace('functions: [read-only]                  # FC 1, 2, 3, 4', 'functions: [1, 2, 3, 4]');
  expect(spelled).not.toBe(EXAMPLE);
  expect(diffPolicies(a, compiled(spelled))).toEqual([]);
});

test('widening a range and adding a function allow more; removing a client denies', () => {
  const a = compiled(EXAMPLE);
  const b = compiled(
    EXAMPLE.replace('holding_registers: ["0-199"]', 'holding_registers: ["0-299"]')
      .replace("functions: [read-only]\n          read: { holding_registers", "functions: [read-only, 43]\n          mei_types: [14]\n          read: { holding_registers")
      .replace('clients: [hmi-1, hmi-2]\n        modbus:\n          unit_ids: [1]\n          functions: [write_single_register', 'clients: [hmi-1]\n        modbus:\n          unit_ids: [1]\n          functions: [write_single_register'),
  );
  const text = diffPolicies(a, b).map((c) => `${c.effect} ${c.conduit} ${c.client} ${c.rule}: ${c.what}`);
  expect(text).toContain('allows hmi-chiller-plc hmi-1 hmi-read-chiller: read holding_registers 200-299');
  expect(text).toContain('allows vendor-chiller-plc vendor-jump vendor-read-chiller: FC 43 encapsulated_interface_transport');
  expect(text).toContain('allows vendor-chiller-plc vendor-jump vendor-read-chiller: FC 43 MEI type 14');
  expect(text.some((t) => t.startsWith('denies hmi-chiller-plc hmi-2 hmi-write-chiller-setpoints: rule no longer applies'))).toBe(true);
});

test('a tighter envelope and a mode change', () => {
  const a = compiled(EXAMPLE);
  const b = compiled(EXAMPLE.replace('{ range: "100-109", min: 50, max: 250 }', '{ range: "100-109", min: 100, max: 200 }').replace('    mode: enforce\n    on_violation', '    mode: monitor\n    on_violation'));
  const text = diffPolicies(a, b).map((c) => `${c.effect} ${c.conduit}: ${c.what}`);
  expect(text).toContain('denies hmi-chiller-plc: write holding_registers 100-109 values 50..250 → 100..200');
  expect(text.some((t) => t.startsWith('changes hmi-chiller-plc: mode enforce → monitor'))).toBe(true);
});

test('interval difference', () => {
  expect(minus([[0, 100]], [[10, 20], [50, 60]])).toEqual([[0, 9], [21, 49], [61, 100]]);
  expect(minus([[5, 6]], [[0, 10]])).toEqual([]);
});
