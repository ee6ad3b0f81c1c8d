/**
 * The Modbus inspector on its own, against the demo plant policy: whatever the TCP
 * segmentation, allowed frames are forwarded byte-identical and in order (never dropped),
 * every denied request gets exactly one exception and never reaches the device, and a
 * malformed frame closes the connection after everything allowed before it was forwarded.
 */
import path from 'node:path';
import fc from 'fast-check';
import { createModbusInspector } from '../../daemon/pipeline/modbus-inspector';
import { encodeRequest, type RequestInput } from '../../protocols/modbus';
import { compiled, EXAMPLES, harness, splitAt } from '../helpers/pipeline-harness';

const policy = compiled(path.join(EXAMPLES, 'demo-loopback.yaml'));
const HMI = { ip: '127.0.20.11', port: 50000 };
const PLC = { ip: '127.0.10.21', port: 25021 };
const ctx = { protocol: 'modbus' as const, conduit: 'hmi-chiller-plc', client: HMI, server: PLC };

// Requests with a known verdict under the demo policy.
const allowedReq = (tid: number): RequestInput[] => [
  { op: 'read', fc: 3, table: 'holding_registers', address: 100, quantity: 2, mbap: { tid, unit: 1 } },
  { op: 'read', fc: 4, table: 'input_registers', address: 0, quantity: 4, mbap: { tid, unit: 1 } },
  { op: 'write_single_register', fc: 6, address: 100, value: 175, mbap: { tid, unit: 1 } },
  { op: 'write_multiple_coils', fc: 15, address: 0, quantity: 3, values: [1, 0, 1], mbap: { tid, unit: 1 } },
];
const deniedReq = (tid: number): { req: RequestInput; exception: number }[] => [
  { req: { op: 'write_single_register', fc: 6, address: 100, value: 600, mbap: { tid, unit: 1 } }, exception: 3 },
  { req: { op: 'write_single_register', fc: 6, address: 5, value: 1, mbap: { tid, unit: 1 } }, exception: 2 },
  { req: { op: 'diagnostics', fc: 8, subfunction: 1, data: Buffer.from([0, 0]), mbap: { tid, unit: 1 } }, exception: 1 },
  { req: { op: 'read', fc: 3, table: 'holding_registers', address: 0, quantity: 1, mbap: { tid, unit: 9 } }, exception: 1 },
];

const frameArb = fc.record({ allowed: fc.boolean(), pick: fc.nat(3) });

describe('Modbus inspector (pure, demo policy)', () => {
  test('any mix of allowed and denied requests in any segmentation: allowed forwarded exactly, denied refused once each', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 1, maxLength: 12 }), fc.array(fc.nat(400), { maxLength: 20 }), (frames, cuts) => {
        const h = harness(createModbusInspector, policy, ctx);
        const wire: Buffer[] = [];
        const expectForward: Buffer[] = [];
        const expectReplies: { tid: number; fc: number; exception: number }[] = [];
        frames.forEach((f, i) => {
          const tid = i + 1;
          if (f.allowed) {
            const b = encodeRequest(allowedReq(tid)[f.pick]!);
            wire.push(b);
            expectForward.push(b);
          } else {
            const d = deniedReq(tid)[f.pick]!;
            wire.push(encodeRequest(d.req));
            expectReplies.push({ tid, fc: d.req.fc, exception: d.exception });
          }
        });
        for (const seg of splitAt(Buffer.concat(wire), cuts)) h.inspector.feed('c2s', seg);
        expect(Buffer.concat(h.forwarded.c2s).equals(Buffer.concat(expectForward))).toBe(true);
        const replies = Buffer.concat(h.replies.c2s);
        const got: { tid: number; fc: number; exception: number }[] = [];
        for (let off = 0; off < replies.length; off += 9) {
          got.push({ tid: replies.readUInt16BE(off), fc: replies[off + 7]! & 0x7f, exception: replies[off + 8]! });
          expect(replies[off + 7]! & 0x80).toBe(0x80);
        }
        expect(got).toEqual(expectReplies);
        expect(h.closed).toBeNull();
        expect(h.events.filter((e) => e.verdict === 'deny')).toHaveLength(expectReplies.length);
      }),
      { numRuns: 300 },
    );
  });

  test('a malformed frame after allowed ones: the allowed bytes go first, then the connection closes', () => {
    const h = harness(createModbusInspector, policy, ctx);
    const ok = encodeRequest(allowedReq(1)[0]!);
    const bomb = Buffer.from([0x00, 0x02, 0x00, 0x00, 0xff, 0xff, 0x01, 0x03]);
    h.inspector.feed('c2s', Buffer.concat([ok, bomb]));
    expect(Buffer.concat(h.forwarded.c2s).equals(ok)).toBe(true);
    expect(h.closed).toMatch(/modbus\.mbap_length_too_large/);
    const ev = h.events.find((e) => e.anomaly === 'modbus.mbap_length_too_large');
    expect(ev).toMatchObject({ action: 'closed', technique: 'T0814' });
    h.inspector.feed('c2s', ok); // nothing after close
    expect(h.forwarded.c2s).toHaveLength(1);
  });

  test('a sampled allowed request is recorded once its response was forwarded, before any later event, and never lost', () => {
    const h = harness(createModbusInspector, policy, ctx);
    const forwardedWhenRecorded: string[] = [];
    const push = h.events.push.bind(h.events);
    h.events.push = (...e) => {
      forwardedWhenRecorded.push(`${h.forwarded.c2s.length}/${h.forwarded.s2c.length}`);
      return push(...e);
    };
    const ok = [1, 2, 3].map((tid) => encodeRequest(allowedReq(tid)[0]!));
    h.inspector.feed('c2s', Buffer.concat(ok)); // one chunk: one write, no event yet
    expect(h.forwarded.c2s).toHaveLength(1);
    expect(h.events).toHaveLength(0);
    // FC 3 of 2 registers at 100 answered, tids 1-3, in one chunk: forwarded, then the three events.
    const answer = (tid: number) => Buffer.from([0x00, tid, 0x00, 0x00, 0x00, 0x07, 0x01, 0x03, 0x04, 0x00, 0xaf, 0x00, 0x01]);
    h.inspector.feed('s2c', Buffer.concat([1, 2, 3].map(answer)));
    expect(forwardedWhenRecorded).toEqual(['1/1', '1/1', '1/1']);
    expect(h.events.map((e) => `${e.verdict} ${e.action} ${String(e.fields.tid)}`)).toEqual(['allow forwarded 1', 'allow forwarded 2', 'allow forwarded 3']);
    // An allowed request, then a denied one in the same chunk: the evidence keeps arrival order.
    h.inspector.feed('c2s', Buffer.concat([encodeRequest(allowedReq(4)[0]!), encodeRequest(deniedReq(5)[0]!.req)]));
    expect(h.events.slice(3).map((e) => `${e.verdict} ${e.action}`)).toEqual(['allow forwarded', 'deny refused']);
    // No answer: the next tick records it; a connection that ends records what still waits.
    h.inspector.feed('c2s', encodeRequest(allowedReq(6)[0]!));
    expect(h.events).toHaveLength(5);
    h.inspector.tick(h.clock);
    expect(h.events.slice(5).map((e) => e.fields.tid)).toEqual([6]);
    h.inspector.feed('c2s', encodeRequest(allowedReq(7)[0]!));
    h.inspector.end();
    expect(h.events.slice(6).map((e) => e.fields.tid)).toEqual([7]);
  });

  test('a master that pipelines without answers: at most 32 sampled requests wait for theirs', () => {
    // A pending cap above 32 (the demo's is 16: past it, the flood anomaly records them first).
    const roomy = { ...policy, conduits: new Map([...policy.conduits].map(([k, c]) => [k, { ...c, limits: { ...c.limits, maxPendingRequests: 100 }, rulesFor: c.rulesFor.bind(c) }])) };
    const h = harness(createModbusInspector, roomy as typeof policy, ctx);
    const reqs = Array.from({ length: 40 }, (_, i) => encodeRequest(allowedReq(i + 1)[0]!));
    for (const r of reqs.slice(0, 31)) h.inspector.feed('c2s', r);
    expect(h.events).toHaveLength(0);
    h.inspector.feed('c2s', reqs[31]!);
    expect(h.events.map((e) => e.fields.tid)).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
  });

  test('monitor mode forwards a denied request untouched and records an alert', () => {
    const monitor = { ...policy, conduits: new Map([...policy.conduits].map(([k, c]) => [k, { ...c, mode: 'monitor' as const, rulesFor: c.rulesFor.bind(c) }])) };
    const h = harness(createModbusInspector, monitor as typeof policy, ctx);
    const bad = encodeRequest(deniedReq(1)[0]!.req);
    h.inspector.feed('c2s', bad);
    expect(Buffer.concat(h.forwarded.c2s).equals(bad)).toBe(true);
    expect(h.replies.c2s).toHaveLength(0);
    expect(h.events[0]).toMatchObject({ verdict: 'deny', action: 'alerted', reason: 'modbus_value_out_of_range' });
    expect(h.violations).toHaveLength(1);
  });

  test('responses: paired ones pass, an unsolicited one is dropped in enforce mode, a timeout is recorded', () => {
    const h = harness(createModbusInspector, policy, ctx);
    h.inspector.feed('c2s', encodeRequest(allowedReq(7)[0]!));
    const resp = Buffer.from([0x00, 0x07, 0x00, 0x00, 0x00, 0x07, 0x01, 0x03, 0x04, 0x00, 0xaf, 0x00, 0x01]);
    const unsolicited = Buffer.from([0x00, 0x63, 0x00, 0x00, 0x00, 0x07, 0x01, 0x03, 0x04, 0x00, 0x01, 0x00, 0x01]);
    h.inspector.feed('s2c', Buffer.concat([resp, unsolicited]));
    expect(Buffer.concat(h.forwarded.s2c).equals(resp)).toBe(true);
    expect(h.events.find((e) => e.anomaly === 'modbus.unsolicited_response')).toMatchObject({ action: 'dropped', dir: 'response' });
    h.inspector.feed('c2s', encodeRequest(allowedReq(8)[1]!));
    h.clock += 10_000;
    h.inspector.tick(h.clock);
    expect(h.events.find((e) => e.anomaly === 'modbus.request_timeout')).toBeDefined();
  });

  test('passive (pcap) mode never acts and records every PDU as observed', () => {
    const h = harness(createModbusInspector, policy, { ...ctx, passive: true });
    h.inspector.feed('c2s', Buffer.concat([encodeRequest(allowedReq(1)[0]!), encodeRequest(deniedReq(2)[0]!.req)]));
    expect(h.replies.c2s).toHaveLength(0);
    expect(h.closed).toBeNull();
    expect(h.events.map((e) => [e.verdict, e.action])).toEqual([['allow', 'observed'], ['deny', 'observed']]);
  });

  test('more pending requests than the cap: the excess gets exception 06 (server busy) and never reaches the device', () => {
    const h = harness(createModbusInspector, policy, ctx);
    const cap = policy.conduits.get('hmi-chiller-plc')!.limits.maxPendingRequests;
    const reqs = Array.from({ length: cap + 3 }, (_, i) => encodeRequest(allowedReq(i + 1)[0]!));
    h.inspector.feed('c2s', Buffer.concat(reqs));
    expect(Buffer.concat(h.forwarded.c2s).equals(Buffer.concat(reqs.slice(0, cap)))).toBe(true);
    expect(h.replies.c2s.map((r) => r[8])).toEqual([6, 6, 6]);
    expect(h.events.filter((e) => e.anomaly === 'modbus.too_many_pending')).toHaveLength(3);
  });
});
