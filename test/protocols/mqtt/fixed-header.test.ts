import { readFixedHeader, MAX_REMAINING_LENGTH } from '../../../protocols/mqtt';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const MAX = 1024;

describe('MQTT fixed header (3.1.1 §2.2, v5 §2.1.1)', () => {
  it('reads type, flags and a one-byte remaining length', () => {
    // 0x32 = PUBLISH, QoS 1; remaining length 10
    const r = readFixedHeader(hex('32 0a'), 0, MAX, 4);
    expect(r).toEqual({ kind: 'frame', frame: { type: 3, flags: 2, remainingLength: 10, headerBytes: 2 }, consumed: 12 });
  });

  it('reads multi-byte remaining lengths (3.1.1 Table 2.4 boundaries)', () => {
    expect(readFixedHeader(hex('30 80 01'), 0, 1 << 20, 4)).toMatchObject({ kind: 'frame', frame: { remainingLength: 128, headerBytes: 3 } });
    expect(readFixedHeader(hex('30 ff 7f'), 0, 1 << 20, 4)).toMatchObject({ kind: 'frame', frame: { remainingLength: 16383 } });
    expect(readFixedHeader(hex('30 80 80 01'), 0, 1 << 22, 4)).toMatchObject({ kind: 'frame', frame: { remainingLength: 16384, headerBytes: 4 } });
  });

  it('asks for more bytes while the header is incomplete', () => {
    expect(readFixedHeader(hex('30'), 0, MAX, 4)).toEqual({ kind: 'need', atLeast: 2 });
    expect(readFixedHeader(hex('30 80'), 0, MAX << 10, 4)).toEqual({ kind: 'need', atLeast: 3 });
    expect(readFixedHeader(hex('00 30 80 80'), 1, MAX << 10, 4)).toEqual({ kind: 'need', atLeast: 4 });
  });

  it('decides 268,435,455 declared bytes are too large from the 5 header bytes alone', () => {
    const r = readFixedHeader(hex('30 ff ff ff 7f'), 0, MAX, 4);
    expect(MAX_REMAINING_LENGTH).toBe(268_435_455);
    expect(r).toMatchObject({ kind: 'malformed', fatal: true, anomaly: { code: 'mqtt.packet_too_large', family: 'resource' } });
  });

  it('counts the header in the packet size (v5 §3.1.2.11.4)', () => {
    expect(readFixedHeader(hex('30 7e'), 0, 128, 4).kind).toBe('frame'); // 2 + 126
    expect(readFixedHeader(hex('30 7f'), 0, 128, 4).kind).toBe('malformed'); // 2 + 127
  });

  it('rejects a fifth length byte and non-minimal encodings [MQTT-1.5.5-1]', () => {
    expect(readFixedHeader(hex('30 ff ff ff ff 01'), 0, 1 << 30, 4)).toMatchObject({ kind: 'malformed', anomaly: { code: 'mqtt.remaining_length_invalid' } });
    expect(readFixedHeader(hex('30 80 00'), 0, MAX, 4)).toMatchObject({ kind: 'malformed', anomaly: { code: 'mqtt.remaining_length_invalid' } });
  });

  it('rejects reserved types and flags [MQTT-2.2.2-2], QoS 3 [MQTT-3.3.1-4]', () => {
    expect(readFixedHeader(hex('00 00'), 0, MAX, 4)).toMatchObject({ anomaly: { code: 'mqtt.packet_type_invalid' } });
    expect(readFixedHeader(hex('f0 00'), 0, MAX, 4)).toMatchObject({ anomaly: { code: 'mqtt.packet_type_invalid' } });
    expect(readFixedHeader(hex('f0 00'), 0, MAX, 5).kind).toBe('frame'); // AUTH exists in MQTT 5
    expect(readFixedHeader(hex('80 00'), 0, MAX, 4)).toMatchObject({ anomaly: { code: 'mqtt.header_flags_invalid' } }); // SUBSCRIBE needs 0010
    expect(readFixedHeader(hex('82 00'), 0, MAX, 4).kind).toBe('frame');
    expect(readFixedHeader(hex('36 00'), 0, MAX, 4)).toMatchObject({ anomaly: { code: 'mqtt.header_flags_invalid' } });
    expect(readFixedHeader(hex('c1 00'), 0, MAX, 4)).toMatchObject({ anomaly: { code: 'mqtt.header_flags_invalid' } });
  });
});
