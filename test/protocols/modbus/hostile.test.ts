/**
 * Hostile and malformed input. Header faults (MB-TCP §3.1.3) are fatal and decided from the
 * header alone; PDU faults (MB-AP §6) skip exactly the ADU so the stream stays in sync.
 */
import { decodeModbusAdu, MODBUS_ANOMALY_SPECS, type ModbusDirection } from '../../../protocols/modbus';
import { bytes, mbap, REQUESTS } from './fixtures';

const fixture = (fc: number): Buffer => Buffer.from(REQUESTS.find((f) => f.bytes[7] === fc)!.bytes);

/** A copy of `buf` with byte `at` set to `value` ("altered" fixture). */
function alter(buf: Buffer, at: number, value: number): Buffer {
  const out = Buffer.from(buf);
  out[at] = value;
  return out;
}

function malformedCode(buf: Buffer, dir: ModbusDirection = 'request', maxAdu?: number): { code: string; consume: number; fatal: boolean } {
  const r = decodeModbusAdu(buf, 0, dir, maxAdu);
  if (r.kind !== 'malformed') throw new Error(`expected malformed, got ${r.kind}`);
  expect(MODBUS_ANOMALY_SPECS[r.anomaly.code]).toBeDefined();
  return { code: r.anomaly.code, consume: r.consume, fatal: r.fatal };
}

describe('MBAP header (fatal, decided before buffering)', () => {
  it('rejects length 0xFFFF from the 7-byte header alone, without asking for more', () => {
    const header = bytes(0x00, 0x01, /* pid */ 0x00, 0x00, /* length 65535 */ 0xff, 0xff, /* unit */ 0x01);
    expect(malformedCode(header)).toEqual({ code: 'modbus.mbap_length_too_large', consume: 0, fatal: true });
    // Even the first 6 bytes are enough: no `need` for 65541 bytes is ever returned.
    expect(malformedCode(header.subarray(0, 6))).toMatchObject({ code: 'modbus.mbap_length_too_large', fatal: true });
  });

  it('rejects the first length over the 260-byte ADU (254), accepts 253 + unit', () => {
    expect(malformedCode(bytes(...mbap(1, 255, 1)))).toMatchObject({ code: 'modbus.mbap_length_too_large', fatal: true });
    expect(decodeModbusAdu(bytes(...mbap(1, 254, 1)), 0, 'request')).toEqual({ kind: 'need', atLeast: 260 });
  });

  it('applies a configured lower limit as a resource anomaly', () => {
    const f = fixture(16); // 17-byte ADU
    expect(malformedCode(f, 'request', 16)).toEqual({ code: 'modbus.frame_over_limit', consume: 0, fatal: true });
    expect(decodeModbusAdu(f, 0, 'request', 17).kind).toBe('frame');
    // A limit above the spec's cannot raise it.
    expect(malformedCode(bytes(...mbap(1, 300, 1)), 'request', 100_000).code).toBe('modbus.mbap_length_too_large');
  });

  it('rejects length 1 (a bare unit id) and length 0', () => {
    expect(malformedCode(bytes(...mbap(1, 1, 1)))).toEqual({ code: 'modbus.mbap_length_too_small', consume: 0, fatal: true });
    expect(malformedCode(bytes(...mbap(1, 0, 1), 0x03), 'response')).toMatchObject({ code: 'modbus.mbap_length_too_small', fatal: true });
  });

  it('rejects a non-zero protocol id as soon as it is read', () => {
    const f = alter(fixture(3), 3, 0x01); // byte 3 = protocol id low byte
    expect(malformedCode(f)).toEqual({ code: 'modbus.protocol_id_nonzero', consume: 0, fatal: true });
    expect(malformedCode(f.subarray(0, 4))).toMatchObject({ code: 'modbus.protocol_id_nonzero', fatal: true });
    // An HTTP request on the Modbus port is not framed as Modbus.
    expect(malformedCode(Buffer.from('GET / HTTP/1.1\r\n\r\n'))).toMatchObject({ code: 'modbus.protocol_id_nonzero', fatal: true });
  });

  it('asks for the header while fewer than 6 bytes arrived', () => {
    for (let n = 0; n < 6; n++) expect(decodeModbusAdu(fixture(3).subarray(0, n), 0, 'request')).toEqual({ kind: 'need', atLeast: 7 });
  });
});

describe('PDU (non-fatal: the ADU is skipped)', () => {
  const cases: [string, Buffer, ModbusDirection, string][] = [
    ['bare FC 3, no data', bytes(...mbap(1, 2, 1), 0x03), 'request', 'modbus.pdu_truncated'],
    ['bare FC 16, no data', bytes(...mbap(1, 2, 1), 0x10), 'request', 'modbus.pdu_truncated'],
    ['bare FC 8, no sub-function', bytes(...mbap(1, 2, 1), 0x08), 'request', 'modbus.pdu_truncated'],
    ['bare FC 43, no MEI type', bytes(...mbap(1, 2, 1), 0x2b), 'request', 'modbus.pdu_truncated'],
    ['bare FC 3 response', bytes(...mbap(1, 2, 1), 0x03), 'response', 'modbus.pdu_truncated'],
    ['bare exception response', bytes(...mbap(1, 2, 1), 0x83), 'response', 'modbus.pdu_truncated'],
    ['FC 3 request with 2 trailing bytes', bytes(...mbap(1, 8, 1), 0x03, 0x00, 0x00, 0x00, 0x01, 0xde, 0xad), 'request', 'modbus.pdu_trailing_bytes'],
    ['FC 7 request with a data byte', bytes(...mbap(1, 3, 1), 0x07, 0x00), 'request', 'modbus.pdu_trailing_bytes'],
    ['exception response with extra byte', bytes(...mbap(1, 4, 1), 0x83, 0x02, 0x00), 'response', 'modbus.pdu_trailing_bytes'],
    ['FC 3 quantity 0', bytes(...mbap(1, 6, 1), 0x03, 0x00, 0x00, /* quantity */ 0x00, 0x00), 'request', 'modbus.quantity_out_of_range'],
    ['FC 3 quantity 126', bytes(...mbap(1, 6, 1), 0x03, 0x00, 0x00, /* quantity */ 0x00, 0x7e), 'request', 'modbus.quantity_out_of_range'],
    ['FC 1 quantity 2001', bytes(...mbap(1, 6, 1), 0x01, 0x00, 0x00, /* quantity */ 0x07, 0xd1), 'request', 'modbus.quantity_out_of_range'],
    ['FC 3 address 65535 quantity 2', bytes(...mbap(1, 6, 1), 0x03, 0xff, 0xff, 0x00, 0x02), 'request', 'modbus.address_out_of_range'],
    ['FC 16 quantity 124', bytes(...mbap(1, 7, 1), 0x10, 0x00, 0x00, /* quantity */ 0x00, 0x7c, /* byte count */ 0xf8), 'request', 'modbus.quantity_out_of_range'],
    ['FC 16 quantity 0, byte count 0', bytes(...mbap(1, 7, 1), 0x10, 0x00, 0x00, 0x00, 0x00, 0x00), 'request', 'modbus.quantity_out_of_range'],
    ['FC 15 quantity 1969', bytes(...mbap(1, 7, 1), 0x0f, 0x00, 0x00, /* quantity */ 0x07, 0xb1, /* byte count */ 0xf7), 'request', 'modbus.quantity_out_of_range'],
    ['FC 23 write quantity 122', bytes(...mbap(1, 11, 1), 0x17, 0, 0, 0, 1, 0, 0, /* write qty */ 0x00, 0x7a, 0xf4), 'request', 'modbus.quantity_out_of_range'],
    ['FC 23 read quantity 0', bytes(...mbap(1, 13, 1), 0x17, 0, 0, /* read qty */ 0, 0, 0, 0, 0, 1, 2, 0, 1), 'request', 'modbus.quantity_out_of_range'],
    ['FC 5 value 0x1234', alter(fixture(5), 10, 0x12), 'request', 'modbus.invalid_value'],
    ['FC 5 value 0x00FF', bytes(...mbap(1, 6, 1), 0x05, 0x00, 0x01, 0x00, 0xff), 'request', 'modbus.invalid_value'],
    ['FC 20 reference type 7', alter(fixture(20), 9, 0x07), 'request', 'modbus.invalid_value'],
    ['FC 43/14 read device id code 5', alter(fixture(43), 9, 0x05), 'request', 'modbus.invalid_value'],
    ['FC 0 request', bytes(...mbap(1, 2, 1), 0x00), 'request', 'modbus.invalid_function_code'],
    ['FC 0x83 in a request', bytes(...mbap(1, 3, 1), 0x83, 0x02), 'request', 'modbus.invalid_function_code'],
    ['exception on FC 0 (0x80)', bytes(...mbap(1, 3, 1), 0x80, 0x01), 'response', 'modbus.invalid_function_code'],
    ['FC 3 response byte count odd', bytes(...mbap(1, 6, 1), 0x03, /* byte count */ 0x03, 0x00, 0x01, 0x02), 'response', 'modbus.byte_count_mismatch'],
    ['FC 3 response byte count 0', bytes(...mbap(1, 3, 1), 0x03, /* byte count */ 0x00), 'response', 'modbus.byte_count_mismatch'],
    ['FC 24 FIFO count 32', bytes(...mbap(1, 6, 1), 0x18, 0x00, 0x42, /* FIFO count */ 0x00, 0x20), 'response', 'modbus.quantity_out_of_range'],
    ['FC 43/14 response object overruns', bytes(...mbap(1, 11, 1), 0x2b, 0x0e, 1, 1, 0, 0, /* 1 object */ 1, /* id */ 0, /* len 9 */ 9, 0x41), 'response', 'modbus.pdu_truncated'],
  ];

  it.each(cases)('%s', (_name, buf, dir, code) => {
    expect(malformedCode(buf, dir)).toEqual({ code, consume: buf.length, fatal: false });
  });

  describe('byte count vs quantity vs length', () => {
    it('FC 16: byte count not 2 x quantity', () => {
      const f = alter(fixture(16), 12, 0x05); // byte 12 = byte count (4 → 5)
      expect(malformedCode(f)).toEqual({ code: 'modbus.byte_count_mismatch', consume: f.length, fatal: false });
    });
    it('FC 16: byte count right but the MBAP length carries one register less', () => {
      const f = fixture(16);
      const short = Buffer.concat([f.subarray(0, f.length - 2)]);
      short.writeUInt16BE(f.readUInt16BE(4) - 2, 4); // length field shrunk with the PDU
      expect(malformedCode(short)).toEqual({ code: 'modbus.byte_count_mismatch', consume: short.length, fatal: false });
    });
    it('FC 15: byte count not ceil(q / 8)', () => {
      expect(malformedCode(alter(fixture(15), 12, 0x01)).code).toBe('modbus.byte_count_mismatch');
    });
    it('FC 23: write byte count not 2 x write quantity', () => {
      expect(malformedCode(alter(fixture(23), 16, 0x04)).code).toBe('modbus.byte_count_mismatch');
    });
    it('FC 20: byte count not a multiple of 7', () => {
      expect(malformedCode(alter(fixture(20), 8, 0x0d)).code).toBe('modbus.byte_count_mismatch');
    });
    it('FC 21: record length overruns the request data length', () => {
      expect(malformedCode(alter(fixture(21), 14, 0x04)).code).toBe('modbus.byte_count_mismatch');
    });
    it('FC 1 response: byte count says 4, 3 bytes follow', () => {
      expect(malformedCode(bytes(...mbap(1, 6, 1), 0x01, /* byte count */ 0x04, 0xcd, 0x6b, 0x05), 'response').code).toBe('modbus.byte_count_mismatch');
    });
    it('FC 24 response: byte count disagrees with FIFO count', () => {
      expect(malformedCode(bytes(...mbap(1, 8, 1), 0x18, /* byte count */ 0x00, 0x06, /* FIFO count */ 0x00, 0x01, 0x01, 0xb8), 'response').code).toBe('modbus.byte_count_mismatch');
    });
  });

  it('stays in sync: a malformed ADU between two good ones', () => {
    const bad = bytes(...mbap(2, 6, 1), 0x03, 0x00, 0x00, 0x00, 0x00); // quantity 0
    const stream = Buffer.concat([fixture(3), bad, fixture(6)]);
    const kinds: string[] = [];
    let off = 0;
    while (off < stream.length) {
      const r = decodeModbusAdu(stream, off, 'request');
      if (r.kind === 'need') throw new Error('unexpected need');
      kinds.push(r.kind === 'frame' ? `frame fc ${r.frame.fc}` : r.anomaly.code);
      off += r.kind === 'frame' ? r.consumed : r.consume;
    }
    expect(kinds).toEqual(['frame fc 3', 'modbus.quantity_out_of_range', 'frame fc 6']);
  });

  it('accepts the limits themselves', () => {
    const ok = (buf: Buffer) => expect(decodeModbusAdu(buf, 0, 'request').kind).toBe('frame');
    ok(bytes(...mbap(1, 6, 1), 0x03, 0xff, 0x83, /* 125 */ 0x00, 0x7d)); // ends at 65535
    ok(bytes(...mbap(1, 6, 1), 0x01, 0x00, 0x00, /* 2000 */ 0x07, 0xd0));
    const regs = Buffer.alloc(246);
    ok(Buffer.concat([bytes(...mbap(1, 7 + 246, 1), 0x10, 0x00, 0x00, /* 123 */ 0x00, 0x7b, 246), regs])); // a 259-byte ADU
    ok(Buffer.concat([bytes(...mbap(1, 7 + 246, 1), 0x0f, 0x00, 0x00, /* 1968 */ 0x07, 0xb0, 246), regs]));
  });
});
