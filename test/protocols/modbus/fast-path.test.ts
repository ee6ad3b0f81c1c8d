/** The forwarding path's header-only response check and pairing agree with the full decoder. */
import fc from 'fast-check';
import { decodeModbusAdu, encodeException, encodeRequest, encodeResponse, ModbusTransactions, type ModbusRequest } from '../../../protocols/modbus';
import { wellFormedResponseSize } from '../../../protocols/modbus/decode';

const adu = (tid: number, unit: number, pdu: number[]): Buffer => {
  const b = Buffer.alloc(7 + pdu.length);
  b.writeUInt16BE(tid, 0);
  b.writeUInt16BE(pdu.length + 1, 4);
  b[6] = unit;
  Buffer.from(pdu).copy(b, 7);
  return b;
};

describe('wellFormedResponseSize', () => {
  it('accepts the common responses a device sends', () => {
    const req = decodeModbusAdu(encodeRequest({ mbap: { tid: 4, unit: 1 }, op: 'read', fc: 3, table: 'holding_registers', address: 0, quantity: 2 }), 0, 'request');
    if (req.kind !== 'frame') throw new Error('request did not decode');
    for (const b of [
      encodeResponse({ tid: 4, unit: 1 }, { fc: 3, registers: [1, 2] }),
      encodeException(req.frame as ModbusRequest, 2),
      adu(1, 1, [16, 0, 10, 0, 10]),
      adu(1, 1, [6, 0, 10, 0x12, 0x34]),
      adu(1, 1, [5, 0, 10, 0xff, 0]),
      adu(1, 1, [1, 1, 0x05]),
    ]) {
      expect(wellFormedResponseSize(b, 0)).toBe(b.length);
    }
  });

  it('leaves incomplete, bad and other responses to the full decoder', () => {
    const ok = adu(1, 1, [3, 4, 0, 1, 0, 2]);
    expect(wellFormedResponseSize(ok.subarray(0, ok.length - 1), 0)).toBe(0); // incomplete
    expect(wellFormedResponseSize(adu(1, 1, [3, 3, 0, 1, 0]), 0)).toBe(0); // odd byte count
    expect(wellFormedResponseSize(adu(1, 1, [16, 0xff, 0xff, 0, 2]), 0)).toBe(0); // past 65535
    expect(wellFormedResponseSize(adu(1, 1, [5, 0, 1, 0x12, 0x34]), 0)).toBe(0); // bad coil value
    expect(wellFormedResponseSize(adu(1, 1, [0x83, 2, 0]), 0)).toBe(0); // exception with a trailing byte
    expect(wellFormedResponseSize(adu(1, 1, [8, 0, 0, 0xab, 0xcd]), 0)).toBe(0); // FC 8: full decode
    expect(wellFormedResponseSize(ok, 0, ok.length - 1)).toBe(0); // over the conduit's limit
  });

  it('never accepts what the full decoder rejects (random ADUs)', () => {
    const fcs = [0, 1, 2, 3, 4, 5, 6, 15, 16, 23, 0x80, 0x83, 0x90, 8, 43];
    fc.assert(
      fc.property(
        fc.constantFrom(...fcs),
        fc.uint8Array({ maxLength: 12 }),
        fc.integer({ min: -2, max: 2 }),
        fc.boolean(),
        (f, rest, lengthSkew, badPid) => {
          const b = adu(7, 1, [f, ...rest]);
          b.writeUInt16BE(Math.max(0, rest.length + 2 + lengthSkew), 4);
          if (badPid) b[3] = 1;
          const size = wellFormedResponseSize(b, 0);
          const full = decodeModbusAdu(b, 0, 'response');
          if (size > 0) {
            expect(full.kind).toBe('frame');
            if (full.kind === 'frame') expect(full.consumed).toBe(size);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('ModbusTransactions.pair', () => {
  it('pairs by header fields, exposes the request, and flags what answers nothing', () => {
    const tx = new ModbusTransactions(8, 1000);
    const r = decodeModbusAdu(encodeRequest({ mbap: { tid: 9, unit: 2 }, op: 'read', fc: 3, table: 'holding_registers', address: 0, quantity: 1 }), 0, 'request');
    if (r.kind !== 'frame') throw new Error('request did not decode');
    const req = r.frame as ModbusRequest;
    tx.onRequest(req, 10);
    expect(tx.pair(9, 2, 3, 14)).toBeNull();
    expect(tx.paired).toBe(req);
    expect(tx.pairedElapsedMs).toBe(4);
    expect(tx.pair(9, 2, 3, 15)?.code).toBe('modbus.unsolicited_response');
    expect(tx.paired).toBeNull();
    tx.onRequest(req, 20);
    expect(tx.pair(9, 2, 4, 21)?.code).toBe('modbus.response_function_mismatch');
    expect(tx.paired).toBe(req);
  });
});
