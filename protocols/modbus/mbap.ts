/**
 * MBAP header, MB-TCP §3.1.3: transaction id (2), protocol id (2, always 0), length (2, counts
 * the unit id and the PDU), unit id (1). The length field is authoritative: it frames the ADU.
 */
import { anomaly, malformed, need, type DecodeResult } from '../common';
import { ModbusAnomalies as A } from './anomalies';
import { MBAP_SIZE, MODBUS_MAX_ADU } from './limits';
import type { Mbap } from './types';

/**
 * Checks the header at `offset` as soon as its fields arrive (protocol id after 4 bytes, length
 * after 6), so a hostile length is refused before any buffering. Returns the ADU size in bytes
 * when the whole ADU is available, else a `need` (relative to `offset`) or a fatal `malformed`.
 */
export function frameAdu(buf: Buffer, offset: number, maxAdu: number): number | DecodeResult<never> {
  const avail = buf.length - offset;
  if (avail >= 4) {
    const pid = buf.readUInt16BE(offset + 2);
    if (pid !== 0) return malformed(anomaly(A.protocol_id_nonzero, `protocol id ${pid}`), 0, true);
  }
  if (avail < 6) return need(MBAP_SIZE);
  const length = buf.readUInt16BE(offset + 4);
  if (length < 2) return malformed(anomaly(A.mbap_length_too_small, `length ${length}`), 0, true);
  const adu = 6 + length;
  if (adu > MODBUS_MAX_ADU) {
    return malformed(anomaly(A.mbap_length_too_large, `length ${length} (ADU ${adu} > ${MODBUS_MAX_ADU})`), 0, true);
  }
  if (adu > maxAdu) return malformed(anomaly(A.frame_over_limit, `ADU ${adu} > limit ${maxAdu}`), 0, true);
  return avail < adu ? need(adu) : adu;
}

export function readMbap(buf: Buffer, offset: number): Mbap {
  return {
    tid: buf.readUInt16BE(offset),
    pid: buf.readUInt16BE(offset + 2),
    length: buf.readUInt16BE(offset + 4),
    unit: buf[offset + 6]!,
  };
}

/** Allocates an ADU for a PDU of `pduLength` bytes and writes its MBAP header. */
export function allocAdu(tid: number, unit: number, pduLength: number): Buffer {
  const out = Buffer.alloc(MBAP_SIZE + pduLength);
  out.writeUInt16BE(tid & 0xffff, 0);
  out.writeUInt16BE(0, 2);
  out.writeUInt16BE(pduLength + 1, 4);
  out[6] = unit & 0xff;
  return out;
}
