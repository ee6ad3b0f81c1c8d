/** Every function code, both directions: parse, re-encode, parse again (MB-AP §6, §7). */
import {
  decodeModbusAdu, encodeFrame, encodeRequest, encodeResponse, encodeResponseFrame, replyBodyFor, type ModbusFrame,
} from '../../../protocols/modbus';
import { REQUESTS, RESPONSES } from './fixtures';

function frameOf(buf: Buffer, dir: 'request' | 'response'): ModbusFrame {
  const r = decodeModbusAdu(buf, 0, dir);
  if (r.kind !== 'frame') throw new Error(`expected a frame, got ${JSON.stringify(r)}`);
  expect(r.consumed).toBe(buf.length);
  return r.frame;
}

describe('requests', () => {
  it.each(REQUESTS.map((f) => [f.name, f] as const))('%s', (_name, f) => {
    const first = frameOf(f.bytes, 'request');
    expect(first).toMatchObject({ kind: 'request', ...f.expect });
    const again = encodeFrame(first);
    expect(again.equals(f.bytes)).toBe(true);
    expect(frameOf(again, 'request')).toEqual(first);
  });

  it('covers every public function code', () => {
    const fcs = new Set(REQUESTS.map((f) => f.bytes[7]));
    for (const fc of [1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 15, 16, 17, 20, 21, 22, 23, 24, 43]) expect(fcs.has(fc)).toBe(true);
  });

  it('encodes MEI 14 from its fields when data is empty', () => {
    const buf = encodeRequest({ mbap: { tid: 9, unit: 2 }, op: 'encapsulated', fc: 43, mei: 14, readDeviceIdCode: 2, objectId: 3, data: Buffer.alloc(0) });
    expect(frameOf(buf, 'request')).toMatchObject({ mei: 14, readDeviceIdCode: 2, objectId: 3, data: Buffer.from([2, 3]) });
  });
});

describe('responses', () => {
  it.each(RESPONSES.map((f) => [f.name, f] as const))('%s', (_name, f) => {
    const first = frameOf(f.bytes, 'response');
    expect(first).toMatchObject({ kind: 'response', ...f.expect });
    const again = encodeFrame(first);
    expect(again.equals(f.bytes)).toBe(true);
    expect(frameOf(again, 'response')).toEqual(first);
    if (f.body !== undefined) {
      const built = encodeResponse({ tid: first.mbap.tid, unit: first.mbap.unit }, f.body);
      expect(built.toString('hex')).toBe(f.bytes.toString('hex'));
    }
  });

  it('covers every public function code and exceptions', () => {
    const fcs = new Set(RESPONSES.map((f) => f.bytes[7]));
    for (const fc of [1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 15, 16, 17, 20, 21, 22, 23, 24, 43]) expect(fcs.has(fc)).toBe(true);
    expect(RESPONSES.some((f) => f.bytes[7]! & 0x80)).toBe(true);
  });

  it('keeps data as a view of the input (no copy)', () => {
    const f = RESPONSES.find((x) => x.bytes[7] === 3)!;
    const first = frameOf(f.bytes, 'response');
    if (first.kind !== 'response' || first.exception) throw new Error('unexpected');
    expect(first.data.buffer).toBe(f.bytes.buffer);
    expect(encodeResponseFrame(first).equals(f.bytes)).toBe(true);
  });
});

describe('offsets and streams', () => {
  it('decodes back-to-back ADUs at an offset; consumed counts from the offset', () => {
    const stream = Buffer.concat(REQUESTS.map((f) => f.bytes));
    let off = 0;
    const seen: number[] = [];
    while (off < stream.length) {
      const r = decodeModbusAdu(stream, off, 'request');
      if (r.kind !== 'frame') throw new Error(`at ${off}: ${JSON.stringify(r)}`);
      seen.push(r.frame.mbap.tid);
      off += r.consumed;
    }
    expect(off).toBe(stream.length);
    expect(seen).toEqual(REQUESTS.map((f) => f.bytes.readUInt16BE(0)));
  });

  it('asks for the whole ADU, relative to the offset, until it has arrived', () => {
    const f = REQUESTS.find((x) => x.bytes[7] === 16)!.bytes;
    const buf = Buffer.concat([Buffer.from([0xee, 0xee, 0xee]), f]);
    for (let have = 0; have < f.length; have++) {
      const r = decodeModbusAdu(buf.subarray(0, 3 + have), 3, 'request');
      expect(r).toEqual({ kind: 'need', atLeast: have < 6 ? 7 : f.length });
    }
    expect(decodeModbusAdu(buf, 3, 'request')).toMatchObject({ kind: 'frame', consumed: f.length });
  });
});

describe('replyBodyFor', () => {
  it('answers every decodable request with a response that decodes and pairs', () => {
    const valueAt = (_t: string, a: number) => a * 7;
    let answered = 0;
    for (const f of REQUESTS) {
      const req = frameOf(f.bytes, 'request');
      if (req.kind !== 'request') throw new Error('direction');
      const body = replyBodyFor(req, valueAt);
      if (body === null) {
        expect(['other', 'encapsulated']).toContain(req.op);
        continue;
      }
      const res = frameOf(encodeResponse(req.mbap, body), 'response');
      expect(res).toMatchObject({ kind: 'response', fc: req.fc, exception: false, mbap: { tid: req.mbap.tid, unit: req.mbap.unit } });
      answered++;
    }
    expect(answered).toBe(REQUESTS.length - 3); // MEI 13, FC 90, FC 65
  });

  it('reads take values from valueAt', () => {
    const req = frameOf(REQUESTS.find((x) => x.bytes[7] === 3)!.bytes, 'request');
    if (req.kind !== 'request') throw new Error('direction');
    expect(replyBodyFor(req, (_t, a) => a + 1)).toEqual({ fc: 3, registers: [108, 109, 110] });
  });
});
