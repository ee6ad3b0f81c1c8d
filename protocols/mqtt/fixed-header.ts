/**
 * The fixed header, read by otgate itself before a single body byte is buffered:
 * 3.1.1 §2.2 / v5 §2.1.1. mqtt-packet buffers up to whatever length a peer declares, so the
 * size limit is decided here, from the header alone.
 */
import { anomaly, malformed, need, type DecodeResult } from '../common';
import { MqttAnomalies } from './anomalies';
import { PacketType, type FixedHeader, type MqttVersion } from './types';

/** 3.1.1 §2.2.3 / v5 §1.5.5: four bytes of variable byte integer encode at most 268,435,455. */
export const MAX_REMAINING_LENGTH = 268_435_455;

/** Required flags per type (3.1.1 §2.2.2 Table 2.2, v5 §2.1.3 Table 2-2); null = PUBLISH (DUP/QoS/RETAIN). */
const REQUIRED_FLAGS: readonly (number | null)[] = [
  -1, // 0 reserved
  0, 0, null, 0, 0, 0b0010, 0, 0b0010, 0, 0b0010, 0, 0, 0, 0,
  0, // 15 AUTH (v5)
];

/**
 * Reads the fixed header at `off`. `frame` carries the header; `consumed` is the whole packet's
 * size (header + remaining length), which the caller may not have buffered yet.
 * `version` null means "not known yet" (before CONNECT): AUTH is then rejected like in 3.1.1.
 */
export function readFixedHeader(buf: Buffer, off: number, maxPacketBytes: number, version: MqttVersion | null): DecodeResult<FixedHeader> {
  const avail = buf.length - off;
  if (avail < 2) return need(2);
  const b0 = buf[off]!;
  const type = b0 >> 4;
  const flags = b0 & 0x0f;
  if (type === 0 || (type === PacketType.AUTH && version !== 5)) {
    return malformed(anomaly(MqttAnomalies.packet_type_invalid, `type ${type}`), 0, true);
  }
  const required = REQUIRED_FLAGS[type];
  if (required === null ? ((flags >> 1) & 3) === 3 : flags !== required) {
    // [MQTT-2.2.2-2]: invalid flags → close; PUBLISH with QoS 3 [MQTT-3.3.1-4].
    return malformed(anomaly(MqttAnomalies.header_flags_invalid, `type ${type} flags 0x${flags.toString(16)}`), 0, true);
  }

  let value = 0;
  let mul = 1;
  for (let i = 0; i < 4; i++) {
    if (avail < 2 + i) return need(2 + i);
    const b = buf[off + 1 + i]!;
    value += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) {
      // [MQTT-1.5.5-1] minimum number of bytes: a final 0x00 after a continuation byte is padding.
      if (i > 0 && b === 0) {
        return malformed(anomaly(MqttAnomalies.remaining_length_invalid, 'non-minimal encoding'), 0, true);
      }
      const headerBytes = 2 + i;
      const size = headerBytes + value;
      if (size > maxPacketBytes) {
        return malformed(anomaly(MqttAnomalies.packet_too_large, `declared ${size} bytes, max ${maxPacketBytes}`), 0, true);
      }
      return { kind: 'frame', frame: { type, flags, remainingLength: value, headerBytes }, consumed: size };
    }
    mul *= 128;
  }
  return malformed(anomaly(MqttAnomalies.remaining_length_invalid, 'more than 4 bytes'), 0, true);
}
