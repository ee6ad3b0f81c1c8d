/**
 * Human and machine views of a frame for the audit log: `summarize` is one line for people,
 * `fields` the stable JSON fields of `otgate audit --json` (documented in docs/audit.md;
 * keys are never renamed, only added).
 */
import { DIAGNOSTIC_SUBFUNCTIONS, EXCEPTION_NAMES, functionLabel, MEI_TYPES } from './names';
import type { ModbusFrame, ModbusRequest, ModbusResponse } from './types';

/** Values shown in a summary before "… +N". */
const SHOWN = 8;

const hex = (n: number, width: number): string => `0x${n.toString(16).padStart(width, '0')}`;

function list(values: readonly number[]): string {
  const head = values.slice(0, SHOWN).join(', ');
  return values.length > SHOWN ? `[${head}, … +${values.length - SHOWN}]` : `[${head}]`;
}

const span = (address: number, quantity: number): string =>
  quantity === 1 ? `${address}` : `${address}..${address + quantity - 1}`;

export function summarize(frame: ModbusFrame): string {
  const head = `FC ${frame.fc} ${functionLabel(frame.fc)}`;
  return frame.kind === 'request' ? `${head} unit ${frame.mbap.unit} ${requestDetail(frame)}`.trimEnd() : `${head} ${responseDetail(frame)}`;
}

function requestDetail(r: ModbusRequest): string {
  switch (r.op) {
    case 'read':
      return `${r.table} ${span(r.address, r.quantity)}`;
    case 'write_single_coil':
      return `coils ${r.address} = ${r.value ? 'on' : 'off'}`;
    case 'write_single_register':
      return `holding_registers ${r.address} = ${r.value}`;
    case 'write_multiple_coils':
      return `coils ${span(r.address, r.quantity)} = ${list(r.values)}`;
    case 'write_multiple_registers':
      return `holding_registers ${span(r.address, r.quantity)} = ${list(r.values)}`;
    case 'no_data':
      return '';
    case 'diagnostics':
      return `sub-function ${hex(r.subfunction, 4)} ${DIAGNOSTIC_SUBFUNCTIONS[r.subfunction] ?? 'reserved'}`;
    case 'read_file_record':
    case 'write_file_record': {
      const shown = r.subRequests.slice(0, 3).map((s) => `file ${s.file} record ${s.record} len ${s.length}`).join(', ');
      return r.subRequests.length > 3 ? `${shown}, … +${r.subRequests.length - 3}` : shown;
    }
    case 'mask_write_register':
      return `holding_registers ${r.address} and ${hex(r.andMask, 4)} or ${hex(r.orMask, 4)}`;
    case 'read_write_multiple_registers':
      return `write holding_registers ${span(r.writeAddress, r.writeQuantity)} = ${list(r.values)}, read holding_registers ${span(r.readAddress, r.readQuantity)}`;
    case 'read_fifo_queue':
      return `holding_registers ${r.address}`;
    case 'encapsulated': {
      const mei = `MEI ${r.mei} ${MEI_TYPES[r.mei] ?? 'reserved'}`;
      return r.readDeviceIdCode === undefined ? `${mei} (${r.data.length} bytes)` : `${mei} code ${r.readDeviceIdCode} object ${r.objectId ?? 0}`;
    }
    case 'other':
      return `(${r.data.length} bytes)`;
  }
}

function responseDetail(r: ModbusResponse): string {
  const who = `unit ${r.mbap.unit}`;
  if (r.exception) return `${who} exception ${hex(r.exceptionCode, 2)} ${EXCEPTION_NAMES[r.exceptionCode] ?? 'unknown'}`;
  const where = r.address === undefined ? '' : ` ${span(r.address, r.quantity ?? 1)}`;
  if (r.values !== undefined) return `response ${who}${where} = ${list(r.values)}`;
  if (where !== '') return `response ${who}${where}`;
  return `response ${who} (${r.data.length} bytes)`;
}

/** Stable audit fields. `fc` never carries the 0x80 bit; `exception` says whether it was set. */
export function fields(frame: ModbusFrame): Record<string, unknown> {
  const out: Record<string, unknown> = {
    tid: frame.mbap.tid,
    unit: frame.mbap.unit,
    fc: frame.fc,
    function: functionLabel(frame.fc),
    exception: frame.kind === 'response' && frame.exception,
  };
  if (frame.kind === 'response') {
    if (frame.exception) {
      out.exceptionCode = frame.exceptionCode;
      return out;
    }
    if (frame.address !== undefined) out.address = frame.address;
    if (frame.quantity !== undefined) out.quantity = frame.quantity;
    else if (frame.values !== undefined && (frame.fc === 3 || frame.fc === 4 || frame.fc === 23 || frame.fc === 24)) out.quantity = frame.values.length;
    if (frame.values !== undefined && (frame.fc === 5 || frame.fc === 6)) out.values = frame.values;
    if (frame.subfunction !== undefined) out.subfunction = frame.subfunction;
    if (frame.mei !== undefined) out.mei = frame.mei;
    return out;
  }
  const r = frame;
  switch (r.op) {
    case 'read':
      Object.assign(out, { table: r.table, address: r.address, quantity: r.quantity });
      break;
    case 'write_single_coil':
      Object.assign(out, { table: 'coils', address: r.address, quantity: 1, values: [r.value ? 1 : 0] });
      break;
    case 'write_single_register':
      Object.assign(out, { table: 'holding_registers', address: r.address, quantity: 1, values: [r.value] });
      break;
    case 'write_multiple_coils':
      Object.assign(out, { table: 'coils', address: r.address, quantity: r.quantity, values: r.values });
      break;
    case 'write_multiple_registers':
      Object.assign(out, { table: 'holding_registers', address: r.address, quantity: r.quantity, values: r.values });
      break;
    case 'mask_write_register':
      Object.assign(out, { table: 'holding_registers', address: r.address, quantity: 1, andMask: r.andMask, orMask: r.orMask });
      break;
    case 'read_write_multiple_registers':
      Object.assign(out, {
        table: 'holding_registers',
        readAddress: r.readAddress, readQuantity: r.readQuantity,
        writeAddress: r.writeAddress, writeQuantity: r.writeQuantity, values: r.values,
      });
      break;
    case 'read_fifo_queue':
      Object.assign(out, { table: 'holding_registers', address: r.address });
      break;
    case 'diagnostics':
      out.subfunction = r.subfunction;
      break;
    case 'encapsulated':
      out.mei = r.mei;
      if (r.readDeviceIdCode !== undefined) Object.assign(out, { readDeviceIdCode: r.readDeviceIdCode, objectId: r.objectId });
      break;
    case 'read_file_record':
    case 'write_file_record':
      out.files = r.subRequests.map((s) => ({ file: s.file, record: s.record, length: s.length }));
      break;
    case 'no_data':
      break;
    case 'other':
      out.dataLength = r.data.length;
      break;
  }
  return out;
}
