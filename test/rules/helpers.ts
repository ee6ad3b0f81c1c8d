/** Builders for rules/ tests: a policy from YAML text, and Modbus request frames. */
import { compilePolicy } from '../../rules/compile';
import type { CompiledPolicy } from '../../rules/compiled';
import { formatDiagnostic } from '../../rules/diagnostics';
import { loadPolicyText } from '../../rules/load';
import type { ModbusRequest, ModbusRequestBody } from '../../protocols/modbus/types';

export function compileText(text: string, file = 'test.yaml'): CompiledPolicy {
  const r = loadPolicyText(text, file);
  if (!r.ok) throw new Error(r.errors.map(formatDiagnostic).join('\n'));
  return compilePolicy(r.policy, { file, hash: 'test' });
}

let tid = 0;
export function req(unit: number, body: ModbusRequestBody): ModbusRequest {
  tid = (tid + 1) & 0xffff;
  return { kind: 'request', mbap: { tid, pid: 0, length: 6, unit }, ...body } as ModbusRequest;
}

export const read = (unit: number, fc: 1 | 2 | 3 | 4, address: number, quantity: number): ModbusRequest =>
  req(unit, { op: 'read', fc, table: (['coils', 'discrete_inputs', 'holding_registers', 'input_registers'] as const)[fc - 1]!, address, quantity });

export const writeRegs = (unit: number, address: number, values: number[]): ModbusRequest =>
  req(unit, { op: 'write_multiple_registers', fc: 16, address, quantity: values.length, values });

export const writeReg = (unit: number, address: number, value: number): ModbusRequest => req(unit, { op: 'write_single_register', fc: 6, address, value });

export const writeCoil = (unit: number, address: number, value: boolean): ModbusRequest => req(unit, { op: 'write_single_coil', fc: 5, address, value });

export const diag = (unit: number, subfunction: number): ModbusRequest => req(unit, { op: 'diagnostics', fc: 8, subfunction, data: Buffer.alloc(2) });

export const mei = (unit: number, type: number): ModbusRequest => req(unit, { op: 'encapsulated', fc: 43, mei: type, readDeviceIdCode: 1, objectId: 0, data: Buffer.from([1, 0]) });

export const readWrite = (unit: number, readAddress: number, readQuantity: number, writeAddress: number, values: number[]): ModbusRequest =>
  req(unit, { op: 'read_write_multiple_registers', fc: 23, readAddress, readQuantity, writeAddress, writeQuantity: values.length, values });

export const maskWrite = (unit: number, address: number, andMask: number, orMask: number): ModbusRequest => req(unit, { op: 'mask_write_register', fc: 22, address, andMask, orMask });

export const other = (unit: number, fc: number): ModbusRequest => req(unit, { op: 'other', fc, data: Buffer.alloc(0) });
