/**
 * Property tests (fast-check, bounded runs): the decoder never throws on any bytes split at any
 * points, always makes progress, and never asks for more than the ADU limit; encode → decode
 * of any valid request or response gives it back.
 */
import fc from 'fast-check';
import {
  decodeModbusAdu, encodeFrame, encodeRequest, encodeResponse, encodeResponseFrame, MODBUS_MAX_ADU,
  type ModbusDirection, type ModbusRequestBody, type RequestInput, type ResponseBody,
} from '../../../protocols/modbus';

const KNOWN = new Set([1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 15, 16, 17, 20, 21, 22, 23, 24, 43]);
const u16 = fc.integer({ min: 0, max: 0xffff });
const word = u16;
const bit = fc.integer({ min: 0, max: 1 });

/** address and quantity with address + quantity <= 65536 (MB-AP §4.4). */
const block = (max: number) =>
  fc.integer({ min: 1, max }).chain((quantity) => fc.record({ quantity: fc.constant(quantity), address: fc.integer({ min: 0, max: 0x10000 - quantity }) }));

const bytesUpTo = (n: number) => fc.uint8Array({ maxLength: n }).map((a) => Buffer.from(a));
/** A valid file reference, MB-AP §6.14: type 6, file 1..0xFFFF, record 0..0x270F. */
const fileRef = fc.record({ referenceType: fc.constant(6), file: fc.integer({ min: 1, max: 0xffff }), record: fc.integer({ min: 0, max: 0x270f }) });

const body: fc.Arbitrary<ModbusRequestBody> = fc.oneof(
  fc.constantFrom(1, 2, 3, 4).chain((f) =>
    block(f <= 2 ? 2000 : 125).map((b) => ({ op: 'read' as const, fc: f as 1 | 2 | 3 | 4, table: (['coils', 'discrete_inputs', 'holding_registers', 'input_registers'] as const)[f - 1]!, ...b }))),
  fc.record({ op: fc.constant('write_single_coil' as const), fc: fc.constant(5 as const), address: u16, value: fc.boolean() }),
  fc.record({ op: fc.constant('write_single_register' as const), fc: fc.constant(6 as const), address: u16, value: word }),
  fc.record({ op: fc.constant('no_data' as const), fc: fc.constantFrom(7 as const, 11 as const, 12 as const, 17 as const) }),
  fc.record({ op: fc.constant('diagnostics' as const), fc: fc.constant(8 as const), subfunction: u16, data: bytesUpTo(250) }),
  block(1968).chain((b) => fc.array(bit, { minLength: b.quantity, maxLength: b.quantity }).map((values) => ({ op: 'write_multiple_coils' as const, fc: 15 as const, ...b, values }))),
  block(123).chain((b) => fc.array(word, { minLength: b.quantity, maxLength: b.quantity }).map((values) => ({ op: 'write_multiple_registers' as const, fc: 16 as const, ...b, values }))),
  fc.array(fc.tuple(fileRef, u16).map(([s, length]) => ({ ...s, length })), { minLength: 1, maxLength: 35 })
    .map((subRequests) => ({ op: 'read_file_record' as const, fc: 20 as const, subRequests })),
  fc.array(
    fc.tuple(fileRef, fc.array(word, { minLength: 1, maxLength: 30 })).map(([s, data]) => ({ ...s, length: data.length, data })),
    { minLength: 1, maxLength: 3 },
  ).map((subRequests) => ({ op: 'write_file_record' as const, fc: 21 as const, subRequests })),
  fc.record({ op: fc.constant('mask_write_register' as const), fc: fc.constant(22 as const), address: u16, andMask: word, orMask: word }),
  fc.tuple(block(125), block(121)).chain(([r, w]) =>
    fc.array(word, { minLength: w.quantity, maxLength: w.quantity }).map((values) => ({
      op: 'read_write_multiple_registers' as const, fc: 23 as const,
      readAddress: r.address, readQuantity: r.quantity, writeAddress: w.address, writeQuantity: w.quantity, values,
    }))),
  fc.record({ op: fc.constant('read_fifo_queue' as const), fc: fc.constant(24 as const), address: u16 }),
  fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 255 })).map(([readDeviceIdCode, objectId]) => ({
    op: 'encapsulated' as const, fc: 43 as const, mei: 14, readDeviceIdCode, objectId, data: Buffer.from([readDeviceIdCode, objectId]),
  })),
  fc.tuple(fc.integer({ min: 0, max: 255 }).filter((m) => m !== 14), bytesUpTo(251)).map(([mei, data]) => ({ op: 'encapsulated' as const, fc: 43 as const, mei, data })),
  fc.tuple(fc.integer({ min: 1, max: 127 }).filter((f) => !KNOWN.has(f)), bytesUpTo(252)).map(([f, data]) => ({ op: 'other' as const, fc: f, data })),
);

const request: fc.Arbitrary<RequestInput> = fc.tuple(u16, fc.integer({ min: 0, max: 255 }), body).map(([tid, unit, b]) => ({ ...b, mbap: { tid, unit } }));

const response: fc.Arbitrary<ResponseBody> = fc.oneof(
  fc.tuple(fc.constantFrom(1 as const, 2 as const), fc.array(bit, { minLength: 1, maxLength: 2000 })).map(([f, bits]) => ({ fc: f, bits })),
  fc.tuple(fc.constantFrom(3 as const, 4 as const, 23 as const), fc.array(word, { minLength: 1, maxLength: 125 })).map(([f, registers]) => ({ fc: f, registers })),
  fc.record({ fc: fc.constant(5 as const), address: u16, value: fc.boolean() }),
  fc.record({ fc: fc.constant(6 as const), address: u16, value: word }),
  fc.record({ fc: fc.constant(7 as const), status: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ fc: fc.constant(8 as const), subfunction: u16, data: bytesUpTo(250) }),
  fc.record({ fc: fc.constant(11 as const), status: word, eventCount: word }),
  fc.record({ fc: fc.constant(12 as const), status: word, eventCount: word, messageCount: word, events: bytesUpTo(64) }),
  fc.tuple(fc.constantFrom(15 as const, 16 as const)).chain(([f]) => block(f === 15 ? 1968 : 123).map((b) => ({ fc: f, ...b }))),
  fc.record({ fc: fc.constant(17 as const), data: bytesUpTo(250) }),
  fc.record({ fc: fc.constant(20 as const), records: fc.array(fc.array(word, { maxLength: 20 }), { minLength: 1, maxLength: 5 }) }),
  fc.record({ fc: fc.constant(22 as const), address: u16, andMask: word, orMask: word }),
  fc.record({ fc: fc.constant(24 as const), values: fc.array(word, { maxLength: 31 }) }),
  fc.record({
    fc: fc.constant(43 as const), mei: fc.constant(14 as const), readDeviceIdCode: fc.integer({ min: 1, max: 4 }), conformity: fc.integer({ min: 0, max: 255 }),
    moreFollows: fc.boolean(), nextObjectId: fc.integer({ min: 0, max: 255 }),
    objects: fc.array(fc.record({ id: fc.integer({ min: 0, max: 255 }), value: bytesUpTo(40) }), { maxLength: 5 }),
  }),
);

/** Feeds `stream` in chunks cut at `cuts`, like a socket; checks the decoder contract at every step. */
function feed(stream: Uint8Array, cuts: number[], dir: ModbusDirection, maxAdu = MODBUS_MAX_ADU): { frames: number; malformed: number } {
  const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
  points.push(stream.length);
  let buf = Buffer.alloc(0);
  let from = 0;
  let frames = 0;
  let malformed = 0;
  for (const to of points) {
    buf = Buffer.concat([buf, stream.subarray(from, to)]);
    from = to;
    let off = 0;
    for (let guard = 0; guard <= buf.length; guard++) {
      const r = decodeModbusAdu(buf, off, dir, maxAdu);
      if (r.kind === 'need') {
        expect(r.atLeast).toBeGreaterThan(buf.length - off);
        expect(r.atLeast).toBeLessThanOrEqual(maxAdu);
        break;
      }
      if (r.kind === 'frame') {
        expect(r.consumed).toBeGreaterThan(0);
        expect(off + r.consumed).toBeLessThanOrEqual(buf.length);
        frames++;
        off += r.consumed;
        continue;
      }
      malformed++;
      if (r.fatal) {
        expect(r.consume).toBe(0);
        return { frames, malformed }; // the caller closes the connection
      }
      expect(r.consume).toBeGreaterThan(0);
      expect(off + r.consume).toBeLessThanOrEqual(buf.length);
      off += r.consume;
    }
    buf = buf.subarray(off);
  }
  return { frames, malformed };
}

const dir = fc.constantFrom<ModbusDirection>('request', 'response');
const cuts = fc.array(fc.nat(), { maxLength: 12 });

describe('decoder under arbitrary segmentation', () => {
  it('never throws and always progresses on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 700 }), cuts, dir, (bytes, c, d) => { feed(bytes, c, d); }), { numRuns: 400 });
  });

  it('never throws on arbitrary bytes behind a plausible header (zero pid, small lengths)', () => {
    const adu = fc.tuple(u16, fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 300 })).map(([tid, len, unit, rest]) => {
      const b = Buffer.alloc(7 + rest.length);
      b.writeUInt16BE(tid, 0);
      b.writeUInt16BE(len, 4);
      b[6] = unit;
      b.set(rest, 7);
      return b;
    });
    fc.assert(fc.property(fc.array(adu, { maxLength: 6 }), cuts, dir, fc.integer({ min: 8, max: 300 }), (adus, c, d, max) => {
      feed(Buffer.concat(adus), c, d, Math.min(max, MODBUS_MAX_ADU));
    }), { numRuns: 400 });
  });

  it('decodes every frame of a valid stream whatever the split, and survives flipped bytes', () => {
    fc.assert(fc.property(fc.array(request, { minLength: 1, maxLength: 5 }), cuts, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }), (reqs, c, flips) => {
      const stream = Buffer.concat(reqs.map(encodeRequest));
      expect(feed(stream, c, 'request')).toEqual({ frames: reqs.length, malformed: 0 });
      const altered = Buffer.from(stream);
      for (const [at, v] of flips) altered[at % altered.length] = v;
      feed(altered, c, 'request');
    }), { numRuns: 300 });
  });
});

describe('round trips', () => {
  it('encode(valid request) → decode gives the request back', () => {
    fc.assert(fc.property(request, (req) => {
      const buf = encodeRequest(req);
      expect(buf.length).toBeLessThanOrEqual(MODBUS_MAX_ADU);
      const r = decodeModbusAdu(buf, 0, 'request');
      if (r.kind !== 'frame') throw new Error(`not a frame: ${JSON.stringify(r)}`);
      expect(r.consumed).toBe(buf.length);
      expect(r.frame).toEqual({ ...req, kind: 'request', mbap: { tid: req.mbap.tid, pid: 0, length: buf.length - 6, unit: req.mbap.unit } });
      expect(encodeFrame(r.frame).equals(buf)).toBe(true);
    }), { numRuns: 500 });
  });

  it('encode(valid response) → decode → encode gives the same bytes', () => {
    fc.assert(fc.property(u16, fc.integer({ min: 0, max: 255 }), response, (tid, unit, b) => {
      const buf = encodeResponse({ tid, unit }, b);
      const r = decodeModbusAdu(buf, 0, 'response');
      if (r.kind !== 'frame') throw new Error(`not a frame: ${JSON.stringify(r)}`);
      expect(r.frame).toMatchObject({ kind: 'response', fc: b.fc, exception: false, mbap: { tid, unit } });
      if (r.frame.kind === 'response') expect(encodeResponseFrame(r.frame).equals(buf)).toBe(true);
    }), { numRuns: 500 });
  });
});
