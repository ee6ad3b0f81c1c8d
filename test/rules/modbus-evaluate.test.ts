import fc from 'fast-check';
import { evaluateModbus } from '../../rules/matchers/modbus';
import type { Verdict } from '../../rules/verdict';
import type { ModbusRequest } from '../../protocols/modbus/types';
import { compileText, diag, maskWrite, mei, other, read, readWrite, req, writeCoil, writeReg, writeRegs } from './helpers';

const POLICY = `
version: 1
site: eval
zones:
  - { name: supervisory, level: 2, networks: [10.20.0.0/24, "fd00:20::/64"] }
  - { name: operations, level: 3, networks: [10.30.0.0/24] }
  - { name: control, level: 1, networks: [10.10.0.0/24] }
assets:
  - { name: hmi-1, zone: supervisory, address: 10.20.0.11 }
  - { name: hmi-6, zone: supervisory, address: "fd00:20::0011" }
  - { name: ews-1, zone: operations, address: 10.30.0.20 }
  - { name: plc, zone: control, address: 10.10.0.21 }
conduits:
  - name: hmi-plc
    from_zone: supervisory
    to_zone: control
    protocol: modbus
    listen: 10.20.0.1:502
    upstream: { asset: plc, port: 502 }
    rules:
      - name: hmi-read
        clients: [hmi-1, hmi-6]
        modbus:
          unit_ids: [1, "3-4"]
          functions: [read-only]
          read: { holding_registers: ["0-199"], coils: ["0-15"], input_registers: [0, "10-19"] }
      - name: hmi-write
        clients: [hmi-1]
        modbus:
          unit_ids: [1]
          functions: [write_single_register, write_multiple_registers, write_single_coil, mask_write_register, 23]
          read: { holding_registers: ["0-199"] }
          write:
            holding_registers:
              - { range: "100-109", min: 50, max: 250 }
              - "110-119"
              - { range: "120-121", min: -200, max: 250, signed: true }
              - { range: "122", min: 0, max: 255 }
            coils: ["0-7"]
      - name: hmi-mask-any
        clients: [hmi-1]
        modbus:
          unit_ids: [2]
          functions: [mask_write_register]
          mask_write_unbounded: allow
          write: { holding_registers: [{ range: "0-9", min: 0, max: 10 }] }
  - name: ews-plc
    from_zone: operations
    to_zone: control
    protocol: modbus
    listen: 10.30.0.1:502
    upstream: { asset: plc, port: 502 }
    rules:
      - name: ews-read
        clients: [ews-1]
        modbus:
          unit_ids: ["0-255"]
          functions: [read-only, report_server_id]
          read: { holding_registers: ["0-65535"] }
      - name: ews-maintenance
        clients: [ews-1]
        window: { start: "2026-12-01T06:00:00Z", end: "2026-12-01T10:00:00Z" }
        modbus:
          unit_ids: [1]
          functions: [read-write, diagnostics, device-identification]
          diagnostics: [0, 10]
          mei_types: [13]
          write: { holding_registers: ["0-999"] }
`;

const policy = compileText(POLICY);
const hmi = policy.conduits.get('hmi-plc')!.rulesFor('10.20.0.11');
const hmi6 = policy.conduits.get('hmi-plc')!.rulesFor('fd00:20::11');
const ews = policy.conduits.get('ews-plc')!.rulesFor('10.30.0.20');
const IN_WINDOW = Date.parse('2026-12-01T07:00:00Z');
const OUT_WINDOW = Date.parse('2026-12-02T07:00:00Z');
const NOW = OUT_WINDOW;

type Want = { allow: true; rule: string } | { allow: false; reason: string; rule: string | null; technique?: string | null };

function expectVerdict(v: Verdict, want: Want): void {
  if (want.allow) {
    expect(v).toEqual({ allow: true, rule: want.rule });
    return;
  }
  expect(v.allow).toBe(false);
  if (v.allow) return;
  expect({ reason: v.reason, rule: v.rule }).toEqual({ reason: want.reason, rule: want.rule });
  if (want.technique !== undefined) expect(v.technique).toBe(want.technique);
  expect(v.detail.length).toBeGreaterThan(0);
}

describe('evaluateModbus: HMI on hmi-plc', () => {
  const cases: [string, ModbusRequest, Want][] = [
    ['FC 3 read inside range', read(1, 3, 0, 10), { allow: true, rule: 'hmi-read' }],
    ['FC 3 read touching the range end', read(1, 3, 190, 10), { allow: true, rule: 'hmi-read' }],
    ['FC 3 read crossing the range end', read(1, 3, 195, 10), { allow: false, reason: 'modbus_address_not_allowed', rule: 'hmi-read', technique: 'T0861' }],
    ['FC 4 read of a single listed register', read(1, 4, 0, 1), { allow: true, rule: 'hmi-read' }],
    ['FC 4 read across a gap 0 | 10-19', read(1, 4, 0, 11), { allow: false, reason: 'modbus_address_not_allowed', rule: 'hmi-read' }],
    ['FC 2 read of a table with no ranges', read(1, 2, 0, 1), { allow: false, reason: 'modbus_address_not_allowed', rule: 'hmi-read' }],
    ['unit in a range "3-4"', read(4, 3, 0, 1), { allow: true, rule: 'hmi-read' }],
    ['unit not allowed', read(7, 3, 0, 1), { allow: false, reason: 'modbus_unit_not_allowed', rule: 'hmi-read', technique: 'T0846' }],
    ['FC 6 write inside the envelope', writeReg(1, 105, 250), { allow: true, rule: 'hmi-write' }],
    ['FC 6 setpoint 60.0 °C (600) outside 50..250', writeReg(1, 105, 600), { allow: false, reason: 'modbus_value_out_of_range', rule: 'hmi-write', technique: 'T0836' }],
    ['FC 16 values all inside', writeRegs(1, 100, [50, 100, 250]), { allow: true, rule: 'hmi-write' }],
    ['FC 16 one value below the envelope', writeRegs(1, 100, [50, 49]), { allow: false, reason: 'modbus_value_out_of_range', rule: 'hmi-write' }],
    ['FC 16 spanning enveloped and plain segments', writeRegs(1, 108, [60, 70, 65535, 9]), { allow: true, rule: 'hmi-write' }],
    ['FC 16 spanning into the signed envelope', writeRegs(1, 119, [1, 0xff38 /* -200 */, 250]), { allow: true, rule: 'hmi-write' }],
    ['FC 16 signed value below -200', writeRegs(1, 120, [0xff37 /* -201 */]), { allow: false, reason: 'modbus_value_out_of_range', rule: 'hmi-write' }],
    ['FC 16 past the writable ranges', writeRegs(1, 121, [0, 0, 0]), { allow: false, reason: 'modbus_address_not_allowed', rule: 'hmi-write', technique: 'T0836' }],
    ['FC 5 coil command', writeCoil(1, 3, true), { allow: true, rule: 'hmi-write' }],
    ['FC 5 coil outside 0-7', writeCoil(1, 8, true), { allow: false, reason: 'modbus_address_not_allowed', rule: 'hmi-write', technique: 'T0855' }],
    ['FC 23 read and write both in range', readWrite(1, 0, 10, 105, [100]), { allow: true, rule: 'hmi-write' }],
    ['FC 23 read part out of range', readWrite(1, 300, 10, 105, [100]), { allow: false, reason: 'modbus_address_not_allowed', rule: 'hmi-write' }],
    ['FC 23 write part out of range', readWrite(1, 0, 10, 300, [100]), { allow: false, reason: 'modbus_address_not_allowed', rule: 'hmi-write' }],
    ['FC 23 value outside envelope', readWrite(1, 0, 10, 105, [999]), { allow: false, reason: 'modbus_value_out_of_range', rule: 'hmi-write' }],
    ['FC 22 on a plain range', maskWrite(1, 110, 0x00f0, 0x0005), { allow: true, rule: 'hmi-write' }],
    ['FC 22 result fully determined (and = 0) inside', maskWrite(1, 105, 0x0000, 100), { allow: true, rule: 'hmi-write' }],
    ['FC 22 result fully determined outside', maskWrite(1, 105, 0x0000, 600), { allow: false, reason: 'modbus_value_out_of_range', rule: 'hmi-write' }],
    ['FC 22 bounded 64..127 inside 0..255', maskWrite(1, 122, 0x003f, 0x0040), { allow: true, rule: 'hmi-write' }],
    ['FC 22 unbounded (and touches high bits): denied', maskWrite(1, 105, 0xff00, 0x0064), { allow: false, reason: 'modbus_value_out_of_range', rule: 'hmi-write' }],
    ['FC 22 unbounded, rule says allow', maskWrite(2, 5, 0xffff, 0), { allow: true, rule: 'hmi-mask-any' }],
    ['FC 8 restart (sub 1) refused', diag(1, 1), { allow: false, reason: 'modbus_function_not_allowed', rule: 'hmi-read', technique: 'T0816' }],
    ['FC 43/14 identification refused', mei(1, 14), { allow: false, reason: 'modbus_function_not_allowed', rule: 'hmi-read', technique: 'T0888' }],
    ['FC 90 UMAS refused', other(1, 90), { allow: false, reason: 'modbus_function_not_allowed', rule: 'hmi-read', technique: 'T0843' }],
  ];
  test.each(cases)('%s', (_name, r, want) => expectVerdict(evaluateModbus(hmi, r, NOW), want));

  test('the IPv6 client (any spelling) gets only the read rule', () => {
    expect(hmi6).not.toBeNull();
    expect(policy.conduits.get('hmi-plc')!.rulesFor('fd00:20:0:0::11')).toBe(hmi6);
    expectVerdict(evaluateModbus(hmi6, read(1, 3, 0, 1), NOW), { allow: true, rule: 'hmi-read' });
    expectVerdict(evaluateModbus(hmi6, writeReg(1, 105, 100), NOW), { allow: false, reason: 'modbus_function_not_allowed', rule: 'hmi-read' });
  });

  test('the value deny explains itself', () => {
    const v = evaluateModbus(hmi, writeReg(1, 105, 600), NOW);
    expect(v).toMatchObject({ allow: false, detail: 'holding_registers 105 = 600 outside 50..250' });
  });
});

describe('evaluateModbus: clients without rules, windows', () => {
  test('unknown client: default deny, no rule', () => {
    const none = policy.conduits.get('hmi-plc')!.rulesFor('10.20.0.99');
    expect(none).toBeNull();
    expectVerdict(evaluateModbus(none, read(1, 3, 0, 1), NOW), { allow: false, reason: 'no_rule', rule: null, technique: 'T0801' });
    expectVerdict(evaluateModbus(none, writeReg(1, 105, 100), NOW), { allow: false, reason: 'no_rule', rule: null, technique: 'T0836' });
  });

  test('a known asset on a conduit whose rules do not name it: default deny', () => {
    expect(policy.conduits.get('ews-plc')!.rulesFor('10.20.0.11')).toBeNull();
  });

  test('maintenance window active: write and FC 8 sub 0 allowed', () => {
    expectVerdict(evaluateModbus(ews, writeReg(1, 500, 7), IN_WINDOW), { allow: true, rule: 'ews-maintenance' });
    expectVerdict(evaluateModbus(ews, diag(1, 0), IN_WINDOW), { allow: true, rule: 'ews-maintenance' });
    expectVerdict(evaluateModbus(ews, mei(1, 13), IN_WINDOW), { allow: true, rule: 'ews-maintenance' });
  });

  test('window boundaries: start inclusive, end exclusive', () => {
    expectVerdict(evaluateModbus(ews, writeReg(1, 500, 7), Date.parse('2026-12-01T06:00:00Z')), { allow: true, rule: 'ews-maintenance' });
    expectVerdict(evaluateModbus(ews, writeReg(1, 500, 7), Date.parse('2026-12-01T10:00:00Z')), { allow: false, reason: 'modbus_function_not_allowed', rule: 'ews-read' });
  });

  test('window inactive: the write is refused by the always-on read rule', () => {
    expectVerdict(evaluateModbus(ews, writeReg(1, 500, 7), OUT_WINDOW), { allow: false, reason: 'modbus_function_not_allowed', rule: 'ews-read', technique: 'T0836' });
  });

  test('in the window, FC 8 sub 1 and FC 43/14 still refused as sub-functions', () => {
    expectVerdict(evaluateModbus(ews, diag(1, 1), IN_WINDOW), { allow: false, reason: 'modbus_subfunction_not_allowed', rule: 'ews-maintenance', technique: 'T0816' });
    expectVerdict(evaluateModbus(ews, diag(1, 4), IN_WINDOW), { allow: false, reason: 'modbus_subfunction_not_allowed', rule: 'ews-maintenance', technique: 'T0816' });
    expectVerdict(evaluateModbus(ews, mei(1, 14), IN_WINDOW), { allow: false, reason: 'modbus_subfunction_not_allowed', rule: 'ews-maintenance', technique: 'T0888' });
  });

  test('FC 17 report server id is allowed when listed', () => {
    expectVerdict(evaluateModbus(ews, req(9, { op: 'no_data', fc: 17 }), OUT_WINDOW), { allow: true, rule: 'ews-read' });
  });

  test('only windowed rules, all inactive: outside_window with the rule name', () => {
    const p = compileText(POLICY.replace(/- name: ews-read\n[\s\S]*?- name: ews-maintenance/, '- name: ews-maintenance'));
    const r = p.conduits.get('ews-plc')!.rulesFor('10.30.0.20');
    expect(r!.modbus.map((x) => x.name)).toEqual(['ews-maintenance']);
    expectVerdict(evaluateModbus(r, read(1, 3, 0, 1), OUT_WINDOW), { allow: false, reason: 'outside_window', rule: 'ews-maintenance' });
  });

  test('an allowed verdict is the rule\'s own frozen object (no allocation per frame)', () => {
    const a = evaluateModbus(hmi, read(1, 3, 0, 1), NOW);
    expect(evaluateModbus(hmi, read(1, 3, 5, 1), NOW)).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
  });
});

describe('evaluateModbus: the per-function-code index changes no verdict', () => {
  /** The same client's rules without the index: every rule is read, as before the index. */
  const unindexed = (r: NonNullable<typeof hmi>) => ({ asset: r.asset, modbus: r.modbus }) as NonNullable<typeof hmi>;
  const requests = fc.oneof(
    fc.tuple(fc.integer({ min: 0, max: 5 }), fc.constantFrom(1, 2, 3, 4), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 20 })).map(([u, f, a, q]) => read(u, f as 1 | 2 | 3 | 4, a, q)),
    fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 90, max: 130 }), fc.integer({ min: 0, max: 700 })).map(([u, a, v]) => writeReg(u, a, v)),
    fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 95, max: 125 }), fc.array(fc.integer({ min: 0, max: 65535 }), { minLength: 1, maxLength: 6 })).map(([u, a, vs]) => writeRegs(u, a, vs)),
    fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 10 }), fc.boolean()).map(([u, a, v]) => writeCoil(u, a, v)),
    fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 100, max: 125 }), fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 65535 })).map(([u, a, m, o]) => maskWrite(u, a, m, o)),
    fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 12 })).map(([u, s]) => diag(u, s)),
    fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 12, max: 15 })).map(([u, m]) => mei(u, m)),
    fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 1, max: 127 })).map(([u, f]) => other(u, f)),
  );
  test.each([
    ['hmi-1', hmi!],
    ['hmi-6', hmi6!],
    ['ews-1', ews!],
  ])('%s, in and out of the maintenance window', (_name, rules) => {
    expect(rules.modbusByFunction).toBeDefined();
    fc.assert(
      fc.property(requests, fc.constantFrom(IN_WINDOW, OUT_WINDOW), (r, now) => {
        expect(evaluateModbus(rules, r, now)).toEqual(evaluateModbus(unindexed(rules), r, now));
      }),
      { numRuns: 2000 },
    );
  });
});
