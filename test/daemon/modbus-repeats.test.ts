/**
 * Repeated requests (daemon/pipeline/modbus-repeats.ts): a master's repeated poll skips the
 * decode and the rule walk, and must get exactly the verdict, rule name, transaction id and
 * pairing a fresh evaluation would give — across rule windows opening and closing, and reloads.
 */
import fc from 'fast-check';
import { createModbusInspector } from '../../daemon/pipeline/modbus-inspector';
import { encodeRequest, decodeModbusAdu, type RequestInput } from '../../protocols/modbus';
import type { ModbusRequest } from '../../protocols/modbus/types';
import { allowBasis, allowStands, evaluateModbus } from '../../rules/matchers/modbus';
import type { CompiledPolicy } from '../../rules/compiled';
import { compileText } from '../rules/helpers';
import { harness } from '../helpers/pipeline-harness';
import { AllowedRepeats } from '../../daemon/pipeline/modbus-repeats';

const W_START = Date.parse('2026-12-01T06:00:00Z');
const W_END = Date.parse('2026-12-01T10:00:00Z');
const BEFORE = W_START - 60_000;
const INSIDE = W_START + 60_000;
const AFTER = W_END + 60_000;

/** Windowed rules before always-on ones: a repeat must notice when the window opens or closes. */
const policyText = (setpointMax: number): string => `
version: 1
site: repeats
zones:
  - { name: supervisory, level: 2, networks: [10.20.0.0/24] }
  - { name: control, level: 1, networks: [10.10.0.0/24] }
assets:
  - { name: hmi-1, zone: supervisory, address: 10.20.0.11 }
  - { name: plc, zone: control, address: 10.10.0.21 }
conduits:
  - name: hmi-plc
    from_zone: supervisory
    to_zone: control
    protocol: modbus
    listen: 10.20.0.1:502
    upstream: { asset: plc, port: 502 }
    rules:
      - { name: maint-read, clients: [hmi-1], window: { start: "2026-12-01T06:00:00Z", end: "2026-12-01T10:00:00Z" }, modbus: { unit_ids: [1], functions: [read-only], read: { holding_registers: ["0-99"] } } }
      - { name: maint-write, clients: [hmi-1], window: { start: "2026-12-01T06:00:00Z", end: "2026-12-01T10:00:00Z" }, modbus: { unit_ids: [1], functions: [write_single_register], write: { holding_registers: ["200-209"] } } }
      - { name: always-read, clients: [hmi-1], modbus: { unit_ids: [1], functions: [read-only], read: { holding_registers: ["0-199"] } } }
      - { name: setpoints, clients: [hmi-1], modbus: { unit_ids: [1], functions: [write_single_register, write_multiple_registers], write: { holding_registers: [{ range: "100-109", min: 0, max: ${setpointMax} }] } } }
`;

function setup(policyA: CompiledPolicy) {
  let policy = policyA;
  const h = harness(createModbusInspector, () => policy, { protocol: 'modbus', conduit: 'hmi-plc', client: { ip: '10.20.0.11', port: 40000 }, server: { ip: '10.10.0.21', port: 502 } });
  h.clock = BEFORE;
  return { h, inspector: h.inspector, reload: (p: CompiledPolicy) => (policy = p) };
}

function frame(b: Buffer): ModbusRequest {
  const r = decodeModbusAdu(b, 0, 'request');
  if (r.kind !== 'frame' || r.frame.kind !== 'request') throw new Error('bad fixture');
  return r.frame;
}

const read = (tid: number): Buffer => encodeRequest({ op: 'read', fc: 3, table: 'holding_registers', address: 10, quantity: 2, mbap: { tid, unit: 1 } });
const write = (tid: number, address: number, value: number): Buffer => encodeRequest({ op: 'write_single_register', fc: 6, address, value, mbap: { tid, unit: 1 } });
/** FC 3 response to `tid` with two registers. */
const answer = (tid: number): Buffer => Buffer.from([tid >> 8, tid & 255, 0, 0, 0, 7, 1, 3, 4, 0, 1, 0, 2]);

describe('repeated Modbus requests', () => {
  test('each repeat keeps its own transaction id, pairs with its response and names the rule a fresh evaluation names', () => {
    const { h, inspector } = setup(compileText(policyText(250)));
    for (let tid = 1; tid <= 5; tid++) {
      inspector.feed('c2s', read(tid));
      inspector.feed('s2c', answer(tid));
    }
    expect(Buffer.concat(h.forwarded.c2s).equals(Buffer.concat([1, 2, 3, 4, 5].map(read)))).toBe(true);
    expect(Buffer.concat(h.forwarded.s2c).equals(Buffer.concat([1, 2, 3, 4, 5].map(answer)))).toBe(true);
    const reqs = h.events.filter((e) => e.dir === 'request');
    expect(reqs.map((e) => [e.fields.tid, e.verdict, e.rule])).toEqual([1, 2, 3, 4, 5].map((t) => [t, 'allow', 'always-read']));
    expect(h.events.filter((e) => e.anomaly !== null)).toEqual([]); // every response paired
    expect(reqs[4]!.summary).toBe(reqs[0]!.summary);
  });

  test('a window opening in front of the remembered rule, and closing, change the rule the repeat is allowed by', () => {
    const { h, inspector } = setup(compileText(policyText(250)));
    // A sampled request's event is recorded once its response went out: poll, answer, look.
    const ruleOf = (tid: number) => {
      inspector.feed('c2s', read(tid));
      inspector.feed('s2c', answer(tid));
      return h.events[h.events.length - 1]!.rule;
    };
    expect(ruleOf(1)).toBe('always-read');
    h.clock = INSIDE;
    expect(ruleOf(2)).toBe('maint-read');
    h.clock = AFTER;
    expect(ruleOf(3)).toBe('always-read');
  });

  test('a repeat allowed only by a windowed rule is refused once the window closes', () => {
    const { h, inspector } = setup(compileText(policyText(250)));
    h.clock = INSIDE;
    inspector.feed('c2s', write(1, 205, 7));
    inspector.feed('c2s', write(2, 205, 7));
    expect(h.replies.c2s).toEqual([]);
    h.clock = AFTER;
    inspector.feed('c2s', write(3, 205, 7));
    expect(h.replies.c2s).toHaveLength(1);
    expect(h.replies.c2s[0]!.readUInt16BE(0)).toBe(3);
    expect(h.replies.c2s[0]![7]).toBe(0x86);
    expect(Buffer.concat(h.forwarded.c2s).equals(Buffer.concat([write(1, 205, 7), write(2, 205, 7)]))).toBe(true);
  });

  test('after a reload the repeat is judged by the new policy', () => {
    const { h, inspector, reload } = setup(compileText(policyText(250)));
    inspector.feed('c2s', write(1, 105, 200));
    inspector.feed('c2s', write(2, 105, 200));
    expect(h.replies.c2s).toEqual([]);
    reload(compileText(policyText(150)));
    inspector.feed('c2s', write(3, 105, 200));
    expect(h.replies.c2s).toHaveLength(1);
    expect(h.replies.c2s[0]![8]).toBe(3); // value outside the envelope
    expect(h.events[h.events.length - 1]!.reason).toBe('modbus_value_out_of_range');
  });

  test('a master that does not repeat itself stops paying for remembering, and is remembered again once it polls', () => {
    const rules = compileText(policyText(250)).conduits.get('hmi-plc')!.rulesFor('10.20.0.11')!;
    const repeats = new AllowedRepeats();
    let remembered = 0;
    const step = (b: Buffer): boolean => {
      if (repeats.find(b, 0, b.length, BEFORE) !== null) return true;
      const req = frame(b);
      const v = evaluateModbus(rules, req, BEFORE);
      if (v.allow && repeats.worthRemembering(req, b.length)) {
        remembered++;
        repeats.remember(b, 0, b.length, req, allowBasis(rules, req, v, BEFORE)!);
      }
      return false;
    };
    const paging = (i: number): Buffer => encodeRequest({ op: 'read', fc: 3, table: 'holding_registers', address: i % 190, quantity: 2, mbap: { tid: i, unit: 1 } });
    let hits = 0;
    for (let i = 0; i < 1000; i++) if (step(paging(i))) hits++;
    expect(hits).toBeLessThan(100); // an address comes back every 190 requests; a sampled entry may still hold it
    expect(remembered).toBeLessThanOrEqual(64 + Math.ceil(1000 / 64)); // the first lookups, then one miss in 64
    hits = 0;
    for (let tid = 0; tid < 200; tid++) if (step(read(tid))) hits++;
    expect(hits).toBeGreaterThanOrEqual(200 - 64);
  });

  test('while allowStands holds, a fresh evaluation gives the same verdict (any request, any two times)', () => {
    const rules = compileText(policyText(250)).conduits.get('hmi-plc')!.rulesFor('10.20.0.11')!;
    const inputs: fc.Arbitrary<RequestInput> = fc.oneof(
      fc.tuple(fc.integer({ min: 0, max: 250 }), fc.integer({ min: 1, max: 10 })).map(([a, q]) => ({ op: 'read' as const, fc: 3 as const, table: 'holding_registers' as const, address: a, quantity: q, mbap: { tid: 1, unit: 1 } })),
      fc.tuple(fc.integer({ min: 95, max: 215 }), fc.integer({ min: 0, max: 300 })).map(([a, v]) => ({ op: 'write_single_register' as const, fc: 6 as const, address: a, value: v, mbap: { tid: 1, unit: 1 } })),
    );
    const times = fc.constantFrom(BEFORE, W_START, INSIDE, W_END - 1, W_END, AFTER);
    fc.assert(
      fc.property(inputs, times, times, (input, t1, t2) => {
        const req = frame(encodeRequest(input));
        const v1 = evaluateModbus(rules, req, t1);
        const basis = allowBasis(rules, req, v1, t1);
        if (basis === null) return;
        // Sufficient, not necessary: when it holds, a fresh evaluation gives the same verdict (when
        // it does not, the repeat is simply evaluated again).
        if (allowStands(basis, t2)) expect(evaluateModbus(rules, req, t2)).toBe(v1);
      }),
      { numRuns: 3000 },
    );
  });
});
