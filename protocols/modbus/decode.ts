/**
 * Modbus TCP ADU decoder: MBAP header (MB-TCP §3.1.3) then the PDU (MB-AP §6, §7).
 *
 * Contract (see protocols/common DecodeResult): never throws on wire input; `consumed`,
 * `consume` and `atLeast` count from `offset`. A bad header is fatal (consume 0, the stream
 * cannot be framed); a bad PDU inside a well-framed ADU is not (consume = the ADU, the stream
 * stays in sync). Oversize lengths are refused from the header alone, before buffering.
 * Buffers in the returned frame (`data`) are views of `buf`: copy them to keep them.
 */
import { malformed, type DecodeResult } from '../common';
import { decodeRequestPdu } from './decode-request';
import { decodeResponsePdu, isWellFormedResponsePdu } from './decode-response';
import { MBAP_SIZE, MODBUS_MAX_ADU } from './limits';
import { frameAdu, readMbap } from './mbap';
import { Fault } from './pdu';
import type { ModbusFrame } from './types';

export type ModbusDirection = 'request' | 'response';

/**
 * Decodes one ADU at `offset` (0 <= offset <= buf.length). `maxAdu` caps the ADU size (the
 * conduit's limit); it can only lower the spec's 260 bytes.
 */
export function decodeModbusAdu(
  buf: Buffer,
  offset: number,
  dir: ModbusDirection,
  maxAdu: number = MODBUS_MAX_ADU,
): DecodeResult<ModbusFrame> {
  const size = frameAdu(buf, offset, maxAdu);
  if (typeof size !== 'number') return size;
  const mbap = readMbap(buf, offset);
  const p = offset + MBAP_SIZE;
  const end = offset + size;
  const r = dir === 'request' ? decodeRequestPdu(buf, p, end, mbap) : decodeResponsePdu(buf, p, end, mbap);
  if (r instanceof Fault) return malformed(r.anomaly, size, false);
  return { kind: 'frame', frame: r, consumed: size };
}

/**
 * The size of the well-formed response ADU at `offset`, or 0 when `decodeModbusAdu` must look
 * at it (incomplete, a bad header, an anomaly, or a function code outside the fast check). For
 * the forwarding path: reads the header in place and allocates nothing; the caller takes tid
 * (bytes 0-1), unit (6) and fc (7, & 0x7f) from the buffer (MB-TCP §3.1.3).
 */
export function wellFormedResponseSize(buf: Buffer, offset: number, maxAdu: number = MODBUS_MAX_ADU): number {
  const avail = buf.length - offset;
  if (avail < MBAP_SIZE + 1) return 0;
  if (buf[offset + 2] !== 0 || buf[offset + 3] !== 0) return 0;
  const length = (buf[offset + 4]! << 8) | buf[offset + 5]!;
  const adu = 6 + length;
  if (length < 2 || adu > MODBUS_MAX_ADU || adu > maxAdu || adu > avail) return 0;
  return isWellFormedResponsePdu(buf, offset + MBAP_SIZE, offset + adu) ? adu : 0;
}
