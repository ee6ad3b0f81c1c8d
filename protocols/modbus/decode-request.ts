/**
 * Request PDUs, MB-AP §6. `p` is the function code's index, `end` the ADU's end (from the MBAP
 * length), so `end - p` is the PDU length (>= 1, the header check guarantees it).
 */
import { ModbusAnomalies as A } from './anomalies';
import { readFileSubRequests, writeFileSubRequests } from './file-records';
import {
  COIL_OFF, COIL_ON, MAX_READ_BITS, MAX_READ_REGISTERS, MAX_RW_READ, MAX_RW_WRITE, MAX_WRITE_COILS,
  MAX_WRITE_REGISTERS, MEI_DEVICE_ID, READ_FILE_BYTE_COUNT, WRITE_FILE_BYTE_COUNT,
} from './limits';
import { atLeast, block, counted, exact, fault, Fault, readBits, readWords, u16 } from './pdu';
import type { Mbap, ModbusRequest, ModbusTable } from './types';

/** Table read by FC 1-4, MB-AP §6.1-6.4. */
export const READ_TABLE: Readonly<Record<1 | 2 | 3 | 4, ModbusTable>> = Object.freeze({
  1: 'coils',
  2: 'discrete_inputs',
  3: 'holding_registers',
  4: 'input_registers',
});

export function decodeRequestPdu(buf: Buffer, p: number, end: number, mbap: Mbap): ModbusRequest | Fault {
  const fc = buf[p]!;
  const n = end - p;
  const kind = 'request' as const;
  switch (fc) {
    case 1:
    case 2:
    case 3:
    case 4: {
      // MB-AP §6.1-6.4: address(2) quantity(2); bits 1..2000, registers 1..125.
      const bad = exact(fc, n, 5);
      if (bad) return bad;
      const address = u16(buf, p + 1);
      const quantity = u16(buf, p + 3);
      const range = block(fc, address, quantity, fc <= 2 ? MAX_READ_BITS : MAX_READ_REGISTERS);
      if (range) return range;
      return { kind, mbap, op: 'read', fc, table: READ_TABLE[fc], address, quantity };
    }
    case 5: {
      // MB-AP §6.5: address(2) value(2), value 0xFF00 (on) or 0x0000 (off).
      const bad = exact(fc, n, 5);
      if (bad) return bad;
      const value = u16(buf, p + 3);
      if (value !== COIL_ON && value !== COIL_OFF) {
        return fault(A.invalid_value, `FC 5: value 0x${value.toString(16).padStart(4, '0')} (0xFF00 or 0x0000)`);
      }
      return { kind, mbap, op: 'write_single_coil', fc, address: u16(buf, p + 1), value: value === COIL_ON };
    }
    case 6: {
      // MB-AP §6.6: address(2) value(2).
      const bad = exact(fc, n, 5);
      if (bad) return bad;
      return { kind, mbap, op: 'write_single_register', fc, address: u16(buf, p + 1), value: u16(buf, p + 3) };
    }
    case 7:
    case 11:
    case 12:
    case 17: {
      // MB-AP §6.7, §6.9, §6.10, §6.13: function code only.
      const bad = exact(fc, n, 1);
      if (bad) return bad;
      return { kind, mbap, op: 'no_data', fc };
    }
    case 8: {
      // MB-AP §6.8: sub-function(2) data(N x 2); the data's meaning depends on the sub-function.
      const bad = atLeast(fc, n, 3);
      if (bad) return bad;
      return { kind, mbap, op: 'diagnostics', fc, subfunction: u16(buf, p + 1), data: buf.subarray(p + 3, end) };
    }
    case 15: {
      // MB-AP §6.11: address(2) quantity(2, 1..1968) byte count(1, = ceil(q/8)) outputs(N).
      const bad = atLeast(fc, n, 6);
      if (bad) return bad;
      const address = u16(buf, p + 1);
      const quantity = u16(buf, p + 3);
      const count = buf[p + 5]!;
      const range = block(fc, address, quantity, MAX_WRITE_COILS);
      if (range) return range;
      if (count !== (quantity + 7) >> 3) return fault(A.byte_count_mismatch, `FC 15: byte count ${count} for ${quantity} coils`);
      const follow = counted(fc, count, n - 6);
      if (follow) return follow;
      return { kind, mbap, op: 'write_multiple_coils', fc, address, quantity, values: readBits(buf, p + 6, quantity) };
    }
    case 16: {
      // MB-AP §6.12: address(2) quantity(2, 1..123) byte count(1, = 2q) registers(N).
      const bad = atLeast(fc, n, 6);
      if (bad) return bad;
      const address = u16(buf, p + 1);
      const quantity = u16(buf, p + 3);
      const count = buf[p + 5]!;
      const range = block(fc, address, quantity, MAX_WRITE_REGISTERS);
      if (range) return range;
      if (count !== 2 * quantity) return fault(A.byte_count_mismatch, `FC 16: byte count ${count} for ${quantity} registers`);
      const follow = counted(fc, count, n - 6);
      if (follow) return follow;
      return { kind, mbap, op: 'write_multiple_registers', fc, address, quantity, values: readWords(buf, p + 6, quantity) };
    }
    case 20: {
      // MB-AP §6.14: byte count(1, 0x07..0xF5, 7 per sub-request) sub-requests.
      const bad = atLeast(fc, n, 2);
      if (bad) return bad;
      const count = buf[p + 1]!;
      if (count < READ_FILE_BYTE_COUNT.min || count > READ_FILE_BYTE_COUNT.max || count % 7 !== 0) {
        return fault(A.byte_count_mismatch, `FC 20: byte count ${count} (multiple of 7 in 7..245)`);
      }
      const follow = counted(fc, count, n - 2);
      if (follow) return follow;
      const subRequests = readFileSubRequests(buf, p + 2, end);
      if (subRequests instanceof Fault) return subRequests;
      return { kind, mbap, op: 'read_file_record', fc, subRequests };
    }
    case 21: {
      // MB-AP §6.15: request data length(1, 0x09..0xFB) sub-requests with their data.
      const bad = atLeast(fc, n, 2);
      if (bad) return bad;
      const count = buf[p + 1]!;
      if (count < WRITE_FILE_BYTE_COUNT.min || count > WRITE_FILE_BYTE_COUNT.max) {
        return fault(A.byte_count_mismatch, `FC 21: request data length ${count} (9..251)`);
      }
      const follow = counted(fc, count, n - 2);
      if (follow) return follow;
      const subRequests = writeFileSubRequests(buf, p + 2, end);
      if (subRequests instanceof Fault) return subRequests;
      return { kind, mbap, op: 'write_file_record', fc, subRequests };
    }
    case 22: {
      // MB-AP §6.16: address(2) AND mask(2) OR mask(2).
      const bad = exact(fc, n, 7);
      if (bad) return bad;
      return { kind, mbap, op: 'mask_write_register', fc, address: u16(buf, p + 1), andMask: u16(buf, p + 3), orMask: u16(buf, p + 5) };
    }
    case 23: {
      // MB-AP §6.17: read address, read quantity (1..125), write address, write quantity
      // (1..121), write byte count (= 2 x write quantity), write registers.
      const bad = atLeast(fc, n, 10);
      if (bad) return bad;
      const readAddress = u16(buf, p + 1);
      const readQuantity = u16(buf, p + 3);
      const writeAddress = u16(buf, p + 5);
      const writeQuantity = u16(buf, p + 7);
      const count = buf[p + 9]!;
      const r = block(fc, readAddress, readQuantity, MAX_RW_READ, 'read quantity');
      if (r) return r;
      const w = block(fc, writeAddress, writeQuantity, MAX_RW_WRITE, 'write quantity');
      if (w) return w;
      if (count !== 2 * writeQuantity) return fault(A.byte_count_mismatch, `FC 23: byte count ${count} for ${writeQuantity} registers`);
      const follow = counted(fc, count, n - 10);
      if (follow) return follow;
      return {
        kind, mbap, op: 'read_write_multiple_registers', fc,
        readAddress, readQuantity, writeAddress, writeQuantity, values: readWords(buf, p + 10, writeQuantity),
      };
    }
    case 24: {
      // MB-AP §6.18: FIFO pointer address(2).
      const bad = exact(fc, n, 3);
      if (bad) return bad;
      return { kind, mbap, op: 'read_fifo_queue', fc, address: u16(buf, p + 1) };
    }
    case 43: {
      // MB-AP §6.19-6.21: MEI type(1) then MEI-specific data. MEI 14 (§6.21): read device id
      // code (1..4) and object id; other MEI types are carried opaque for the policy to judge.
      const bad = atLeast(fc, n, 2);
      if (bad) return bad;
      const mei = buf[p + 1]!;
      const data = buf.subarray(p + 2, end);
      if (mei !== MEI_DEVICE_ID) return { kind, mbap, op: 'encapsulated', fc, mei, data };
      const exactBad = exact(fc, n, 4);
      if (exactBad) return exactBad;
      const readDeviceIdCode = buf[p + 2]!;
      if (readDeviceIdCode < 1 || readDeviceIdCode > 4) return fault(A.invalid_value, `FC 43/14: read device id code ${readDeviceIdCode} (1..4)`);
      return { kind, mbap, op: 'encapsulated', fc, mei, readDeviceIdCode, objectId: buf[p + 3]!, data };
    }
    default:
      // MB-AP §4.1: 0 is not a function code; 128..255 are exception responses, never requests.
      if (fc === 0 || fc >= 0x80) return fault(A.invalid_function_code, `function code ${fc} in a request`);
      return { kind, mbap, op: 'other', fc, data: buf.subarray(p + 1, end) };
  }
}
