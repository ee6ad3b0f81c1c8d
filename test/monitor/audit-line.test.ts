/**
 * `auditJson` (the offline audit's text builder) is byte for byte `JSON.stringify(auditLine())`:
 * on every event of the recorded captures, with and without a policy, and on random events
 * (timestamps, awkward strings, Buffers, clashing names, non-finite numbers).
 */
import fc from 'fast-check';
import path from 'node:path';
import { analyzeCaptures } from '../../daemon/monitor/analyze';
import { auditJson, auditLine } from '../../daemon/monitor/audit-line';
import type { DecisionEvent } from '../../daemon/pipeline/contract';
import { compileText } from '../rules/helpers';

const GOLDEN = path.join(__dirname, '..', 'golden');
const POLICY = `
version: 1
site: t
zones:
  - { name: lo, level: 1, networks: [127.0.0.0/8] }
assets:
  - { name: plc, zone: lo, address: 127.0.0.21 }
  - { name: hmi, zone: lo, address: 127.0.0.11 }
conduits:
  - name: "c"
    from_zone: lo
    to_zone: lo
    protocol: modbus
    listen: "127.0.0.1:1502"
    upstream: { asset: plc, port: 502 }
    rules:
      - { name: hmi-reads, clients: [hmi], modbus: { unit_ids: [1], functions: [3], read: { holding_registers: ["0-9"] } } }
`;

test.each(['modbus-basic', 'mqtt-aedes', 'mqtt-mosquitto', 'opcua-none'])('%s: identical to JSON.stringify(auditLine) with and without a policy', async (name) => {
  const events: DecisionEvent[] = [];
  await analyzeCaptures([path.join(GOLDEN, name, 'capture.pcap')], compileText(POLICY), (e) => events.push(e));
  expect(events.length).toBeGreaterThan(10);
  for (const e of events) {
    expect(auditJson(e, true)).toBe(JSON.stringify(auditLine(e, true)));
    expect(auditJson(e, false)).toBe(JSON.stringify(auditLine(e, false)));
  }
  if (name === 'modbus-basic') expect(events.some((e) => e.verdict === 'deny')).toBe(true);
});

const value = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.array(fc.integer(), { maxLength: 4 }),
  fc.uint8Array({ maxLength: 6 }).map((a) => Buffer.from(a)),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 3 }),
);
const key = fc.oneof(fc.constantFrom('fc', 'topic', 'nodeIds', 'ts', 'src', 'rule', 'verdict', 'values'), fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9]{0,8}$/));

test('random events: identical to JSON.stringify(auditLine)', () => {
  fc.assert(
    fc.property(
      fc.oneof(fc.double({ min: 0, max: 8e12 }), fc.integer({ min: 0, max: 8_000_000_000_000 }), fc.constantFrom(NaN, -1.5, 1e16)),
      fc.dictionary(key, value, { maxKeys: 8 }),
      fc.option(fc.string({ unit: 'grapheme' }), { nil: null }),
      fc.boolean(),
      (ts, fields, rule, withPolicy) => {
        const e: DecisionEvent = {
          ts, flow: 'f7', conduit: null, proto: 'mqtt', src: '[fe80::1]:1883', dst: '10.0.0.1:40000', clientAsset: null, serverAsset: null,
          dir: 'request', verdict: rule === null ? null : 'deny', action: 'observed', rule, reason: rule === null ? null : 'no_rule',
          anomaly: null, technique: null, summary: '', fields,
        };
        expect(auditJson(e, withPolicy)).toBe(JSON.stringify(auditLine(e, withPolicy)));
      },
    ),
    { numRuns: 500 },
  );
});

test('summaries are built unless the flow says nobody reads them (FlowContext.summaries)', async () => {
  const file = path.join(GOLDEN, 'modbus-basic', 'capture.pcap');
  const on: DecisionEvent[] = [];
  const off: DecisionEvent[] = [];
  await analyzeCaptures([file], null, (e) => on.push(e));
  await analyzeCaptures([file], null, (e) => off.push(e), { summaries: false });
  expect(on.map((e) => e.summary)).toContain('FC 16 write_multiple_registers unit 1 holding_registers 100..101 = [210, 1]');
  expect(off.map((e) => e.summary).every((s) => s === '')).toBe(true);
  expect(off.map((e) => auditJson(e, false))).toEqual(on.map((e) => auditJson(e, false)));
});

test('sequences on a few flows: identical to JSON.stringify(auditLine) as templates are built, reused and switched', () => {
  // Lines of one flow and direction reuse earlier lines' bytes (audit-line.ts, Head): shapes
  // that interleave, values that repeat, change now and then, or change every time.
  const shapes: readonly (readonly string[])[] = [
    ['tid', 'unit', 'fc', 'function', 'exception', 'table', 'address', 'quantity'],
    ['tid', 'unit', 'fc', 'function', 'exception', 'quantity'],
    ['tid', 'unit', 'fc', 'function', 'exception', 'address', 'values'],
    ['topic', 'qos', 'retain', 'payloadBytes'],
    ['fc', 'tid', 'rule', 'x'],
  ];
  const small = fc.oneof(
    fc.constantFrom(0, 1, 3, 10, -0, 2 ** 53, 0.5, NaN),
    fc.constantFrom('read_holding_registers', 'write_single_register', 'holding_registers', 'a"b', 'é', ''),
    fc.boolean(),
    fc.constantFrom(null, undefined),
    fc.array(fc.integer({ min: -5, max: 70000 }), { maxLength: 3 }),
    fc.constant([1, 0.5]),
    fc.constant(Buffer.from([1, 2])),
  );
  const line = fc.record({
    flow: fc.constantFrom('f1', 'f2'),
    dir: fc.constantFrom('request' as const, 'response' as const),
    shape: fc.nat({ max: shapes.length - 1 }),
    values: fc.array(small, { minLength: 8, maxLength: 8 }),
    verdict: fc.constantFrom(null, 'allow' as const, 'deny' as const),
    anomaly: fc.constantFrom(null, 'modbus_unsolicited_response'),
    withPolicy: fc.boolean(),
  });
  fc.assert(
    fc.property(fc.array(line, { minLength: 1, maxLength: 60 }), fc.integer({ min: 0, max: 1000 }), (lines, seq) => {
      let n = seq;
      for (const l of lines) {
        const fields: Record<string, unknown> = {};
        shapes[l.shape]!.forEach((k, i) => (fields[k] = i === 0 ? n++ : l.values[i]));
        const e: DecisionEvent = {
          ts: 1795300000000 + n * 0.013, flow: l.flow, conduit: null, proto: 'modbus',
          src: l.dir === 'request' ? '10.0.1.10:40000' : '10.10.0.21:502', dst: l.dir === 'request' ? '10.10.0.21:502' : '10.0.1.10:40000',
          clientAsset: null, serverAsset: null, dir: l.dir, verdict: l.verdict, action: 'observed', rule: l.verdict === null ? null : 'hmis',
          reason: l.verdict === 'deny' ? 'no_rule' : null, anomaly: l.anomaly, technique: null, summary: '', fields,
        };
        expect(auditJson(e, l.withPolicy)).toBe(JSON.stringify(auditLine(e, l.withPolicy)));
      }
    }),
    { numRuns: 300 },
  );
});
