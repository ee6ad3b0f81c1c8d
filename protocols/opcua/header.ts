/**
 * The 8-byte message header framer (OPC 10000-6 §7.1.2.2 Table 71): MessageType (3 bytes),
 * IsFinal/chunk type (1 byte), MessageSize (UInt32 LE, whole chunk). The size is checked against
 * the limits as soon as the header is read, before any of the chunk is buffered.
 */
import { anomaly, malformed, need, type DecodeResult } from '../common';
import { OpcuaAnomalies } from './anomalies';
import type { ChunkType, MsgType, RawChunk } from './types';

export const HEADER_BYTES = 8;
/** OPC 10000-6 §7.1.2.3: a receive buffer is at least 8192 bytes. */
export const MIN_BUFFER_BYTES = 8192;
/**
 * Largest connection message: RHE holds two strings of at most 4096 bytes (§7.1.2.6 Table 75);
 * HEL's EndpointUrl and ERR's Reason are capped at 4096 too.
 */
export const MAX_CONNECTION_MESSAGE_BYTES = HEADER_BYTES + 4 + 4096 + 4 + 4096;

const MSG_TYPES: ReadonlySet<string> = new Set<MsgType>(['HEL', 'ACK', 'ERR', 'RHE', 'OPN', 'MSG', 'CLO']);

export const isConnectionType = (t: MsgType): t is 'HEL' | 'ACK' | 'ERR' | 'RHE' => t === 'HEL' || t === 'ACK' || t === 'ERR' || t === 'RHE';

/** Smallest valid chunk per type: header + what must follow it. */
function minSize(t: MsgType): number {
  switch (t) {
    case 'HEL':
      return HEADER_BYTES + 20 + 4; // Table 72: five UInt32 + EndpointUrl length
    case 'ACK':
      return HEADER_BYTES + 20; // Table 73
    case 'ERR':
      return HEADER_BYTES + 8; // Table 74: Error + Reason length
    case 'RHE':
      return HEADER_BYTES + 8; // Table 75: two string lengths
    case 'OPN':
      return HEADER_BYTES + 4 + 12 + 8; // channel id, three length fields, sequence header
    case 'MSG':
    case 'CLO':
      return HEADER_BYTES + 4 + 4 + 8; // channel id, token id, sequence header
  }
}

/**
 * Frame one chunk at `off`. `maxChunkBytes` bounds secure-conversation chunks (OPN/MSG/CLO);
 * connection messages are bounded by MAX_CONNECTION_MESSAGE_BYTES. A bad header is fatal: the
 * stream cannot be resynchronised (there is no frame marker), so `consume` is 0.
 */
export function frameChunk(buf: Buffer, off: number, maxChunkBytes: number): DecodeResult<RawChunk> {
  if (buf.length - off < HEADER_BYTES) return need(HEADER_BYTES);
  const type = buf.toString('latin1', off, off + 3);
  if (!MSG_TYPES.has(type)) {
    return malformed(anomaly(OpcuaAnomalies.unknown_message_type, `message type ${printable(buf.subarray(off, off + 3))}`), 0, true);
  }
  const msgType = type as MsgType;
  const ct = String.fromCharCode(buf[off + 3]!);
  const connection = isConnectionType(msgType);
  const finalOnly = connection || msgType === 'OPN' || msgType === 'CLO';
  if (ct !== 'F' && (finalOnly || (ct !== 'C' && ct !== 'A'))) {
    return malformed(anomaly(OpcuaAnomalies.bad_chunk_type, `${msgType} with chunk type ${printable(buf.subarray(off + 3, off + 4))}`), 0, true);
  }
  const size = buf.readUInt32LE(off + 4);
  // An abort chunk may carry only an error (§6.7.3): at least channel + security + sequence header.
  if (size < minSize(msgType)) {
    return malformed(anomaly(OpcuaAnomalies.chunk_too_small, `${msgType}${ct} declares ${size} bytes, needs at least ${minSize(msgType)}`), 0, true);
  }
  const max = connection ? MAX_CONNECTION_MESSAGE_BYTES : maxChunkBytes;
  if (size > max) {
    return malformed(anomaly(OpcuaAnomalies.chunk_too_large, `${msgType}${ct} declares ${size} bytes, limit ${max}`), 0, true);
  }
  // `need` counts bytes from `off`: this chunk's whole size, already checked against the limit.
  if (buf.length - off < size) return need(size);
  return {
    kind: 'frame',
    frame: { header: { msgType, chunkType: ct as ChunkType, size }, bytes: buf.subarray(off, off + size) },
    consumed: size,
  };
}

function printable(b: Buffer): string {
  return [...b].map((x) => (x >= 0x20 && x < 0x7f ? String.fromCharCode(x) : `\\x${x.toString(16).padStart(2, '0')}`)).join('');
}
