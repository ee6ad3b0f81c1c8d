/**
 * Response PDUs, MB-AP §6 (normal) and §7 (exception). `fc` in the frame never carries the
 * 0x80 bit: `exception` says whether it was set. `data` is the PDU after the function code (a
 * view of the input); well-known fields are decoded beside it.
 */
import { ModbusAnomalies as A } from './anomalies';
import { checkFileSubResponses, writeFileSubRequests } from './file-records';
import { COIL_OFF, COIL_ON, MAX_FIFO_COUNT, MAX_READ_BITS, MAX_READ_REGISTERS, MAX_WRITE_COILS, MAX_WRITE_REGISTERS, MEI_DEVICE_ID } from './limits';
import { atLeast, block, counted, exact, fault, Fault, readWords, u16 } from './pdu';
import type { Mbap, ModbusResponse } from './types';

export function decodeResponsePdu(buf: Buffer, p: number, end: number, mbap: Mbap): ModbusResponse | Fault {
  const wire = buf[p]!;
  const n = end - p;
  const kind = 'response' as const;
  if (wire === 0 || wire === 0x80) return fault(A.invalid_function_code, `function code ${wire} in a response`);
  if (wire & 0x80) {
    // MB-AP §7: function code + 0x80, exception code(1).
    const bad = exact(wire, n, 2);
    if (bad) return bad;
    return { kind, mbap, fc: wire & 0x7f, exception: true, exceptionCode: buf[p + 1]! };
  }
  const fc = wire;
  const data = buf.subarray(p + 1, end);
  const exception = false as const;
  // Frames with extra fields are written out as literals, not `{ ...base, x }`: a spread per
  // response was the costliest line of the forwarding path (bench/micro-inspector.ts).
  const base = { kind, mbap, fc, exception, data };
  switch (fc) {
    case 1:
    case 2: {
      // MB-AP §6.1, §6.2: byte count(1, = ceil(q/8), so 1..250) status bytes.
      const bad = atLeast(fc, n, 2);
      if (bad) return bad;
      const count = buf[p + 1]!;
      if (count < 1 || count > (MAX_READ_BITS + 7) >> 3) return fault(A.byte_count_mismatch, `FC ${fc}: byte count ${count} (1..250)`);
      return counted(fc, count, n - 2) ?? base;
    }
    case 3:
    case 4:
    case 23: {
      // MB-AP §6.3, §6.4, §6.17: byte count(1, = 2 x N, N 1..125) registers.
      const bad = atLeast(fc, n, 2);
      if (bad) return bad;
      const count = buf[p + 1]!;
      if (count < 2 || count > 2 * MAX_READ_REGISTERS || count % 2 !== 0) {
        return fault(A.byte_count_mismatch, `FC ${fc}: byte count ${count} (even, 2..250)`);
      }
      const follow = counted(fc, count, n - 2);
      if (follow) return follow;
      return { kind, mbap, fc, exception, data, values: readWords(buf, p + 2, count >> 1) };
    }
    case 5: {
      // MB-AP §6.5: echo of address and value.
      const bad = exact(fc, n, 5);
      if (bad) return bad;
      const value = u16(buf, p + 3);
      if (value !== COIL_ON && value !== COIL_OFF) return fault(A.invalid_value, `FC 5: echoed value 0x${value.toString(16)}`);
      return { kind, mbap, fc, exception, data, address: u16(buf, p + 1), values: [value === COIL_ON ? 1 : 0] };
    }
    case 6: {
      // MB-AP §6.6: echo of address and value.
      const bad = exact(fc, n, 5);
      if (bad) return bad;
      return { kind, mbap, fc, exception, data, address: u16(buf, p + 1), values: [u16(buf, p + 3)] };
    }
    case 7:
      // MB-AP §6.7: output data(1).
      return exact(fc, n, 2) ?? base;
    case 8: {
      // MB-AP §6.8: sub-function(2) data.
      const bad = atLeast(fc, n, 3);
      if (bad) return bad;
      return { ...base, subfunction: u16(buf, p + 1) };
    }
    case 11:
      // MB-AP §6.9: status(2) event count(2).
      return exact(fc, n, 5) ?? base;
    case 12: {
      // MB-AP §6.10: byte count(1, 6 + events 0..64) status(2) event count(2) message count(2) events.
      const bad = atLeast(fc, n, 2);
      if (bad) return bad;
      const count = buf[p + 1]!;
      if (count < 6 || count > 70) return fault(A.byte_count_mismatch, `FC 12: byte count ${count} (6..70)`);
      return counted(fc, count, n - 2) ?? base;
    }
    case 15:
    case 16: {
      // MB-AP §6.11, §6.12: echo of address and quantity.
      const bad = exact(fc, n, 5);
      if (bad) return bad;
      const address = u16(buf, p + 1);
      const quantity = u16(buf, p + 3);
      const range = block(fc, address, quantity, fc === 15 ? MAX_WRITE_COILS : MAX_WRITE_REGISTERS);
      if (range) return range;
      return { kind, mbap, fc, exception, data, address, quantity };
    }
    case 17: {
      // MB-AP §6.13: byte count(1) server id, run indicator, device-specific data.
      const bad = atLeast(fc, n, 2);
      if (bad) return bad;
      return counted(fc, buf[p + 1]!, n - 2) ?? base;
    }
    case 20: {
      // MB-AP §6.14: response data length(1) sub-responses.
      const bad = atLeast(fc, n, 2);
      if (bad) return bad;
      const follow = counted(fc, buf[p + 1]!, n - 2);
      if (follow) return follow;
      return checkFileSubResponses(buf, p + 2, end) ?? base;
    }
    case 21: {
      // MB-AP §6.15: echo of the request.
      const bad = atLeast(fc, n, 2);
      if (bad) return bad;
      const follow = counted(fc, buf[p + 1]!, n - 2);
      if (follow) return follow;
      const subs = writeFileSubRequests(buf, p + 2, end);
      return subs instanceof Fault ? subs : base;
    }
    case 22: {
      // MB-AP §6.16: echo of address, AND mask, OR mask.
      const bad = exact(fc, n, 7);
      if (bad) return bad;
      return { ...base, address: u16(buf, p + 1) };
    }
    case 24: {
      // MB-AP §6.18: byte count(2, = 2 + 2 x FIFO count) FIFO count(2, <= 31) values.
      const bad = atLeast(fc, n, 5);
      if (bad) return bad;
      const count = u16(buf, p + 1);
      const fifo = u16(buf, p + 3);
      if (fifo > MAX_FIFO_COUNT) return fault(A.quantity_out_of_range, `FC 24: FIFO count ${fifo} (0..31)`);
      if (count !== 2 + 2 * fifo) return fault(A.byte_count_mismatch, `FC 24: byte count ${count} for ${fifo} values`);
      const follow = counted(fc, count, n - 3);
      if (follow) return follow;
      return { ...base, values: readWords(buf, p + 5, fifo) };
    }
    case 43: {
      const bad = atLeast(fc, n, 2);
      if (bad) return bad;
      const mei = buf[p + 1]!;
      if (mei !== MEI_DEVICE_ID) return { ...base, mei };
      return checkDeviceId(buf, p, end) ?? { ...base, mei };
    }
    default:
      return base;
  }
}

/**
 * MB-AP §6.21 response: MEI(1) read device id code(1) conformity level(1) more follows(1,
 * 0x00/0xFF) next object id(1) number of objects(1) then objects [id(1) length(1) value].
 */
function checkDeviceId(buf: Buffer, p: number, end: number): Fault | null {
  const bad = atLeast(43, end - p, 7);
  if (bad) return bad;
  const code = buf[p + 2]!;
  if (code < 1 || code > 4) return fault(A.invalid_value, `FC 43/14: read device id code ${code} (1..4)`);
  const more = buf[p + 4]!;
  if (more !== 0x00 && more !== 0xff) return fault(A.invalid_value, `FC 43/14: more follows 0x${more.toString(16)}`);
  const objects = buf[p + 6]!;
  let i = p + 7;
  for (let k = 0; k < objects; k++) {
    if (i + 2 > end || i + 2 + buf[i + 1]! > end) return fault(A.pdu_truncated, `FC 43/14: object ${k} of ${objects} cut`);
    i += 2 + buf[i + 1]!;
  }
  return i === end ? null : fault(A.pdu_trailing_bytes, `FC 43/14: ${end - i} bytes after ${objects} objects`);
}

/**
 * The forwarding path's check: true only when `decodeResponsePdu` would return a frame (no
 * Fault) for the common function codes — exception (MB-AP §7), 1/2 (§6.1, §6.2), 3/4/23 (§6.3,
 * §6.4, §6.17), 5/6 (§6.5, §6.6), 15/16 (§6.11, §6.12) — with the same checks, and without
 * building the frame. False means "decode it in full" (another FC, or an anomaly to report).
 */
export function isWellFormedResponsePdu(buf: Buffer, p: number, end: number): boolean {
  const wire = buf[p]!;
  const n = end - p;
  if (wire === 0 || wire === 0x80) return false;
  if (wire & 0x80) return n === 2;
  switch (wire) {
    case 1:
    case 2: {
      if (n < 2) return false;
      const count = buf[p + 1]!;
      return count >= 1 && count <= (MAX_READ_BITS + 7) >> 3 && count === n - 2;
    }
    case 3:
    case 4:
    case 23: {
      if (n < 2) return false;
      const count = buf[p + 1]!;
      return count >= 2 && count <= 2 * MAX_READ_REGISTERS && count % 2 === 0 && count === n - 2;
    }
    case 5: {
      if (n !== 5) return false;
      const value = u16(buf, p + 3);
      return value === COIL_ON || value === COIL_OFF;
    }
    case 6:
      return n === 5;
    case 15:
    case 16: {
      if (n !== 5) return false;
      const address = u16(buf, p + 1);
      const quantity = u16(buf, p + 3);
      return quantity >= 1 && quantity <= (wire === 15 ? MAX_WRITE_COILS : MAX_WRITE_REGISTERS) && address + quantity <= 0x10000;
    }
    default:
      return false;
  }
}
