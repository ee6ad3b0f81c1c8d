import path from 'node:path';
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { loadPolicyText } from '../../rules/load';
import { MAX_EXPANDED_NODES, readYaml } from '../../rules/yaml-source';

const ROOT = path.resolve(__dirname, '..', '..');
const base = readFileSync(path.join(ROOT, 'test', 'fixtures', 'policies', 'valid-minimal.yaml'), 'utf8');
const load = (text: string) => loadPolicyText(text, 'p.yaml');
const problems = (text: string) => {
  const r = load(text);
  return [...(r.ok ? [] : r.errors), ...r.warnings].map((d) => `${d.line}:${d.col} ${d.code} ${d.message}`);
};

describe('the policy files we ship read the same as with the yaml package (YAML 1.2 core)', () => {
  const files = ['examples/secluded-fab.yaml', 'examples/demo-loopback.yaml', 'testbed/policy.yaml', 'test/fixtures/policies/valid-minimal.yaml'];
  test.each(files)('%s', (rel) => {
    const text = readFileSync(path.join(ROOT, rel), 'utf8');
    const r = readYaml(text);
    expect(r.ok).toBe(true);
    expect(r.ok && r.data).toEqual(parseDocument(text).toJS());
  });

  test('scalars resolve by the core schema (yes is text, 0x1F is 31, a date stays text)', () => {
    const text = ['a: yes', 'b: 0x1F', 'c: 0o17', 'd: 1_000', 'e: ~', 'f: .inf', 'g: 2026-12-07T10:00:00Z', 'h: 1e3', 'i: "017"', 'j: !!str 12', 'k: on', 'l: -0.5'].join('\n');
    const r = readYaml(text);
    const want = { a: 'yes', b: 31, c: 15, d: '1_000', e: null, f: Infinity, g: '2026-12-07T10:00:00Z', h: 1000, i: '017', j: '12', k: 'on', l: -0.5 };
    expect(r.ok && r.data).toEqual(want);
    expect(parseDocument(text).toJS()).toEqual(want);
  });
});

describe('YAML problems are diagnostics at line:col', () => {
  test('a duplicate key points at the second one', () => {
    expect(problems(base.replace('    protocol: modbus\n', '    protocol: modbus\n    protocol: mqtt\n'))).toEqual(['15:5 policy.yaml_syntax duplicated mapping key']);
  });

  test('a second document is refused where it starts', () => {
    expect(problems(`${base}---\nversion: 1\n`)).toEqual(['25:1 policy.yaml_syntax a policy file holds one YAML document; a second one starts here']);
  });

  test('an unknown tag and an unknown alias are refused', () => {
    expect(problems(base.replace('site: fixture', 'site: !secret fixture'))).toEqual([expect.stringMatching(/^3:7 policy.yaml_syntax unknown scalar tag/)]);
    expect(problems(base.replace('clients: [hmi-1]', 'clients: *hmis'))).toEqual([expect.stringMatching(/^19:19 policy.yaml_syntax unidentified alias "hmis"/)]);
  });

  test('an empty file is "must be a map" at 1:1', () => {
    expect(problems('')).toEqual([expect.stringMatching(/^1:1 policy.wrong_type/)]);
    expect(problems('# nothing yet\n')).toEqual([expect.stringMatching(/^1:1 policy.wrong_type/)]);
  });

  test('CRLF line ends give the same positions as LF', () => {
    const broken = base.replace('clients: [hmi-1]', 'clients: [hmi-9]');
    expect(problems(broken.replace(/\n/g, '\r\n'))).toEqual(problems(broken));
    expect(problems(broken)).toEqual([expect.stringMatching(/^19:19 policy.unknown_asset/)]);
  });

  test('a quoted key is located at its quote', () => {
    expect(problems(base.replace('functions: [read-only]', '"fucntions": [read-only]'))).toEqual([expect.stringMatching(/^22:11 policy.unknown_key unknown key 'fucntions'/)]);
  });

  test('%YAML 1.1 loads as 1.2 with a warning that says so', () => {
    const r = load(`%YAML 1.1\n---\n${base}`);
    expect(r.ok).toBe(true);
    expect(r.warnings.map((w) => `${w.line}:${w.col} ${w.code}`)).toEqual(['1:1 policy.yaml_warning']);
    expect(r.warnings[0]!.message).toContain('yes/no/on/off are text');
  });
});

describe('anchors and aliases', () => {
  test('a shared client list loads, and a problem inside it is reported where the value is written', () => {
    const text = base
      .replace('conduits:\n', 'conduits:\n  # operators share one list\n')
      .replace('clients: [hmi-1]', 'clients: &operators [hmi-1]')
      .concat('      - name: hmi-read-2\n        clients: *operators\n        modbus: { unit_ids: [2], functions: [read-only], read: { coils: ["0-9"] } }\n');
    const r = load(text);
    expect(r.ok).toBe(true);
    expect(r.ok && r.policy.conduits[0]!.rules[1]!.clients).toEqual(['hmi-1']);
    // The anchored list now names an unknown asset: once per rule that uses it, both at the anchor's item.
    const r2 = load(text.replace('&operators [hmi-1]', '&operators [hmi-9]'));
    expect(r2.ok ? [] : r2.errors.map((e) => `${e.line}:${e.col} ${e.code} ${e.path}`)).toEqual([
      '20:30 policy.unknown_asset conduits[0].rules[0].clients[0]',
      '20:30 policy.unknown_asset conduits[0].rules[1].clients[0]',
    ]);
    // A wrong type at the alias use is reported there.
    expect(problems(text.replace('clients: *operators', 'clients: { all: *operators }'))).toEqual([expect.stringMatching(/^26:18 policy.wrong_type/)]);
  });

  test('a "billion laughs" file is refused before anything walks it', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i <= 9; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
    // Walked (schema, freeze), its 10^10 nodes would not return before the test times out.
    expect(problems(lines.join('\n'))).toEqual([expect.stringMatching(new RegExp(`^7:\\d+ policy.yaml_syntax aliases expand the document past ${MAX_EXPANDED_NODES.toLocaleString('en')} nodes`))]);
  });

  test('aliases under the bound load', () => {
    const lines = ['version: 1', 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i <= 4; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
    const r = readYaml(lines.join('\n'));
    expect(r.ok).toBe(true);
  });
});
