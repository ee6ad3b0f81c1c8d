/** Table accesses, one-line summaries and the stable audit fields. */
import {
  accessesOf, decodeModbusAdu, encodeException, fields, functionCode, functionLabel, functionName,
  FUNCTION_CODES, FUNCTION_NAMES, MODBUS_ANOMALY_SPECS, ModbusAnomalies, summarize, type ModbusFrame, type ModbusRequest,
} from '../../../protocols/modbus';
import { bytes, mbap, REQUESTS, RESPONSES } from './fixtures';

function decoded(fc: number, dir: 'request' | 'response' = 'request', exception = false): ModbusFrame {
  const list = dir === 'request' ? REQUESTS : RESPONSES;
  const f = list.find((x) => (x.bytes[7]! & 0x7f) === fc && !!(x.bytes[7]! & 0x80) === exception)!;
  const r = decodeModbusAdu(f.bytes, 0, dir);
  if (r.kind !== 'frame') throw new Error(JSON.stringify(r));
  return r.frame;
}
const req = (fc: number) => decoded(fc) as ModbusRequest;

describe('accessesOf', () => {
  it('reads name their table', () => {
    expect(accessesOf(req(1))).toEqual([{ table: 'coils', access: 'read', address: 19, quantity: 19 }]);
    expect(accessesOf(req(2))).toEqual([{ table: 'discrete_inputs', access: 'read', address: 196, quantity: 22 }]);
    expect(accessesOf(req(3))).toEqual([{ table: 'holding_registers', access: 'read', address: 107, quantity: 3 }]);
    expect(accessesOf(req(4))).toEqual([{ table: 'input_registers', access: 'read', address: 8, quantity: 1 }]);
  });
  it('writes carry their values (coils as 0/1)', () => {
    expect(accessesOf(req(5))).toEqual([{ table: 'coils', access: 'write', address: 172, quantity: 1, values: [1] }]);
    expect(accessesOf(req(6))).toEqual([{ table: 'holding_registers', access: 'write', address: 1, quantity: 1, values: [3] }]);
    expect(accessesOf(req(15))).toEqual([{ table: 'coils', access: 'write', address: 19, quantity: 10, values: [1, 0, 1, 1, 0, 0, 1, 1, 1, 0] }]);
    expect(accessesOf(req(16))).toEqual([{ table: 'holding_registers', access: 'write', address: 1, quantity: 2, values: [10, 258] }]);
  });
  it('FC 22 writes one holding register without values', () => {
    expect(accessesOf(req(22))).toEqual([{ table: 'holding_registers', access: 'write', address: 4, quantity: 1 }]);
  });
  it('FC 23 writes then reads', () => {
    expect(accessesOf(req(23))).toEqual([
      { table: 'holding_registers', access: 'write', address: 14, quantity: 3, values: [255, 255, 255] },
      { table: 'holding_registers', access: 'read', address: 3, quantity: 6 },
    ]);
  });
  it('FC 24 reads its pointer register', () => {
    expect(accessesOf(req(24))).toEqual([{ table: 'holding_registers', access: 'read', address: 1246, quantity: 1 }]);
  });
  it('file records, diagnostics, identification and vendor codes touch no table', () => {
    for (const fc of [7, 8, 11, 12, 17, 20, 21, 43, 90]) expect(accessesOf(req(fc))).toEqual([]);
  });
});

describe('summarize', () => {
  it('writes one line per request', () => {
    const regs = decodeModbusAdu(bytes(...mbap(1, 11, 1), 0x10, 0x00, 0x64, 0x00, 0x02, 0x04, 0x02, 0x58, 0x02, 0x59), 0, 'request');
    if (regs.kind !== 'frame') throw new Error('bad fixture');
    expect(summarize(regs.frame)).toBe('FC 16 write_multiple_registers unit 1 holding_registers 100..101 = [600, 601]');
    expect(summarize(req(3))).toBe('FC 3 read_holding_registers unit 17 holding_registers 107..109');
    expect(summarize(req(5))).toBe('FC 5 write_single_coil unit 1 coils 172 = on');
    expect(summarize(req(7))).toBe('FC 7 read_exception_status unit 1');
    expect(summarize(req(8))).toBe('FC 8 diagnostics unit 1 sub-function 0x0000 return_query_data');
    expect(summarize(req(22))).toBe('FC 22 mask_write_register unit 1 holding_registers 4 and 0x00f2 or 0x0025');
    expect(summarize(req(23))).toBe('FC 23 read_write_multiple_registers unit 1 write holding_registers 14..16 = [255, 255, 255], read holding_registers 3..8');
    expect(summarize(req(43))).toBe('FC 43 encapsulated_interface_transport unit 1 MEI 14 read_device_identification code 1 object 0');
    expect(summarize(req(90))).toBe('FC 90 umas unit 0 (2 bytes)');
    expect(summarize(req(65))).toBe('FC 65 fc_65 unit 1 (0 bytes)');
  });
  it('truncates long value lists', () => {
    const r = req(15);
    expect(summarize(r)).toBe('FC 15 write_multiple_coils unit 1 coils 19..28 = [1, 0, 1, 1, 0, 0, 1, 1, … +2]');
  });
  it('describes responses and exceptions', () => {
    expect(summarize(decoded(3, 'response'))).toBe('FC 3 read_holding_registers response unit 17 = [555, 0, 100]');
    expect(summarize(decoded(16, 'response'))).toBe('FC 16 write_multiple_registers response unit 1 1..2');
    expect(summarize(decoded(3, 'response', true))).toBe('FC 3 read_holding_registers unit 17 exception 0x02 illegal_data_address');
    expect(summarize(decoded(17, 'response'))).toBe('FC 17 report_server_id response unit 1 (4 bytes)');
  });
});

describe('fields', () => {
  it('gives the stable audit fields of requests', () => {
    expect(fields(req(16))).toEqual({
      tid: 14, unit: 1, fc: 16, function: 'write_multiple_registers', exception: false,
      table: 'holding_registers', address: 1, quantity: 2, values: [10, 258],
    });
    expect(fields(req(23))).toMatchObject({ fc: 23, readAddress: 3, readQuantity: 6, writeAddress: 14, writeQuantity: 3, values: [255, 255, 255] });
    expect(fields(req(8))).toMatchObject({ fc: 8, subfunction: 0 });
    expect(fields(req(43))).toMatchObject({ fc: 43, mei: 14, readDeviceIdCode: 1, objectId: 0 });
    expect(fields(req(3))).not.toHaveProperty('values');
    expect(fields(req(20))).toMatchObject({ files: [{ file: 4, record: 1, length: 2 }, { file: 3, record: 9, length: 2 }] });
  });
  it('gives fc without the exception bit, and the exception code', () => {
    expect(fields(decoded(3, 'response', true))).toEqual({ tid: 3, unit: 17, fc: 3, function: 'read_holding_registers', exception: true, exceptionCode: 2 });
    const refusal = decodeModbusAdu(encodeException(req(16), 1), 0, 'response');
    expect(refusal.kind === 'frame' && fields(refusal.frame)).toMatchObject({ fc: 16, exception: true, exceptionCode: 1, tid: 14 });
  });
  it('is JSON-serialisable', () => {
    for (const f of [...REQUESTS.map((x) => decodeModbusAdu(x.bytes, 0, 'request')), ...RESPONSES.map((x) => decodeModbusAdu(x.bytes, 0, 'response'))]) {
      if (f.kind !== 'frame') throw new Error('bad fixture');
      const json = fields(f.frame);
      expect(JSON.parse(JSON.stringify(json))).toEqual(json);
    }
  });
});

describe('names and anomaly list', () => {
  it('maps function codes and names both ways', () => {
    expect(functionName(3)).toBe('read_holding_registers');
    expect(functionName(0x83)).toBe('read_holding_registers');
    expect(functionName(90)).toBe('umas');
    expect(functionName(65)).toBeNull();
    expect(functionLabel(65)).toBe('fc_65');
    expect(functionCode('encapsulated_interface_transport')).toBe(43);
    expect(functionCode('toString')).toBeNull();
    expect(FUNCTION_NAMES).toHaveLength(20);
    for (const n of FUNCTION_NAMES) expect(functionName(FUNCTION_CODES[n])).toBe(n);
  });
  it('declares every anomaly once, namespaced, with a family', () => {
    const specs = Object.values(ModbusAnomalies);
    expect(Object.keys(MODBUS_ANOMALY_SPECS)).toHaveLength(specs.length);
    for (const [name, s] of Object.entries(ModbusAnomalies)) {
      expect(s.code).toBe(`modbus.${name}`);
      expect(['malformed', 'state', 'resource']).toContain(s.family);
      expect(s.technique === null || /^T0\d{3}$/.test(s.technique)).toBe(true);
      expect(Object.isFrozen(s)).toBe(true);
    }
  });
});
