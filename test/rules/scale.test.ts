/**
 * Plants have thousands of rules: compiling 10,000 must work, and a decision must only look at
 * the rules that name the client on the conduit at hand (counted, not timed).
 */
import { compilePolicy } from '../../rules/compile';
import type { ClientRules } from '../../rules/compiled';
import { loadPolicyText } from '../../rules/load';
import { evaluateModbus } from '../../rules/matchers/modbus';
import type { Policy } from '../../rules/schema/policy';
import { read, writeReg } from './helpers';

const N = 10_000;
const CONDUITS = 10;

function bigPolicy(N: number): string {
  const lines = ['version: 1', 'site: big', 'zones:', '  - { name: sup, level: 2, networks: [10.20.0.0/16] }', '  - { name: ctl, level: 1, networks: [10.10.0.0/16] }', 'assets:'];
  for (let i = 0; i < N; i++) lines.push(`  - { name: c${i}, zone: sup, address: 10.20.${i >> 8}.${i & 255} }`);
  for (let k = 0; k < CONDUITS; k++) lines.push(`  - { name: plc${k}, zone: ctl, address: 10.10.0.${k + 1} }`);
  lines.push('conduits:');
  for (let k = 0; k < CONDUITS; k++) {
    lines.push(`  - name: k${k}`, '    from_zone: sup', '    to_zone: ctl', '    protocol: modbus', `    listen: 10.20.255.${k + 1}:502`, `    upstream: { asset: plc${k}, port: 502 }`, '    rules:');
    for (let i = k; i < N; i += CONDUITS) {
      lines.push(`      - { name: r${i}, clients: [c${i}], modbus: { unit_ids: [${(i % 200) + 1}], functions: [read-only, 6], read: { holding_registers: ["${i % 500}-${(i % 500) + 10}"] }, write: { holding_registers: [{ range: "${i % 100}", min: 0, max: 100 }] } } }`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The same policy as bigPolicy(N), built as an object (parsing 20,000 YAML lines is the slow part). */
function bigSpec(): Policy {
  const assets: Policy['assets'] = [];
  for (let i = 0; i < N; i++) assets.push({ name: `c${i}`, zone: 'sup', address: `10.20.${i >> 8}.${i & 255}` });
  for (let k = 0; k < CONDUITS; k++) assets.push({ name: `plc${k}`, zone: 'ctl', address: `10.10.0.${k + 1}` });
  const conduits: Policy['conduits'] = [];
  for (let k = 0; k < CONDUITS; k++) {
    const rules: Policy['conduits'][number]['rules'] = [];
    for (let i = k; i < N; i += CONDUITS) {
      rules.push({
        name: `r${i}`,
        clients: [`c${i}`],
        modbus: {
          unit_ids: [(i % 200) + 1],
          functions: ['read-only', 6],
          read: { holding_registers: [`${i % 500}-${(i % 500) + 10}`] },
          write: { holding_registers: [{ range: `${i % 100}`, min: 0, max: 100 }] },
        },
      });
    }
    conduits.push({ name: `k${k}`, from_zone: 'sup', to_zone: 'ctl', protocol: 'modbus', listen: `10.20.255.${k + 1}:502`, upstream: { asset: `plc${k}`, port: 502 }, rules });
  }
  return {
    version: 1,
    site: 'big',
    zones: [
      { name: 'sup', level: 2, networks: ['10.20.0.0/16'] },
      { name: 'ctl', level: 1, networks: ['10.10.0.0/16'] },
    ],
    assets,
    conduits,
  };
}

describe('10,000 rules', () => {
  // Loading (YAML + schema + checks) is exercised at 2,000 rules to keep this file fast; the
  // compiled 10,000-rule policy is built as an object of the same shape.
  const small = loadPolicyText(bigPolicy(2_000), 'small.yaml');
  const spec = bigSpec();
  const p = compilePolicy(spec, { file: 'big.yaml', hash: 'h' });

  test('a 2,000-rule file passes the loader', () => {
    if (!small.ok) throw new Error(small.errors.slice(0, 3).map((e) => e.message).join('; '));
    expect(small.warnings).toEqual([]);
  });

  test('loads and compiles', () => {
    expect(p.conduits.size).toBe(CONDUITS);
    let rules = 0;
    for (const c of p.conduits.values()) rules += c.ruleCount;
    expect(rules).toBe(N);
  });

  test('rulesFor returns only the rules naming that client on that conduit', () => {
    const i = 4321;
    const k = p.conduits.get(`k${i % CONDUITS}`)!;
    const mine = k.rulesFor(`10.20.${i >> 8}.${i & 255}`)!;
    expect(mine.modbus.map((m) => m.name)).toEqual([`r${i}`]);
    // Same client on another conduit: no rules there.
    expect(p.conduits.get(`k${(i + 1) % CONDUITS}`)!.rulesFor(`10.20.${i >> 8}.${i & 255}`)).toBeNull();
  });

  test('evaluation reads only the client\'s rules (counted through a proxy)', () => {
    const i = 777;
    const mine = p.conduits.get(`k${i % CONDUITS}`)!.rulesFor(`10.20.${i >> 8}.${i & 255}`)!;
    let reads = 0;
    const counted = new Proxy(mine.modbus as object[], {
      get(target, prop, recv) {
        if (typeof prop === 'string' && /^[0-9]+$/.test(prop)) reads++;
        return Reflect.get(target, prop, recv);
      },
    });
    const rules = { asset: mine.asset, modbus: counted } as unknown as ClientRules;
    const unit = (i % 200) + 1;
    expect(evaluateModbus(rules, read(unit, 3, i % 500, 11), 0)).toEqual({ allow: true, rule: `r${i}` });
    expect(evaluateModbus(rules, writeReg(unit, i % 100, 101), 0)).toMatchObject({ allow: false, reason: 'modbus_value_out_of_range', rule: `r${i}` });
    expect(reads).toBe(2); // one rule element per decision, out of 10,000 in the file
  });
});
