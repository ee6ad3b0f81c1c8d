import { generate, type Packet } from 'mqtt-packet';
import { MqttPacketDecoder, type MqttVersion } from '../../../protocols/mqtt';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const MAX = 1 << 20;
/** Hex dump fixture: bytes, then `;` and a comment, per line. */
const annotated = (text: string) => hex(text.split('\n').map((l) => l.split(';')[0]).join(' '));

function decodeOne(buf: Buffer, v: MqttVersion | null) {
  const r = new MqttPacketDecoder().decode(buf, 0, v, MAX);
  if (r.kind !== 'frame') throw new Error(`expected a frame, got ${JSON.stringify(r)}`);
  expect(r.consumed).toBe(buf.length);
  return r.frame.packet;
}

/** Parse → generate → parse: the second parse equals the first. */
function roundTrip(buf: Buffer, v: MqttVersion | null) {
  const first = decodeOne(buf, v);
  const version = (first.cmd === 'connect' ? first.protocolVersion : v) ?? 4;
  const again = generate(first, { protocolVersion: version });
  const second = decodeOne(again, v);
  expect(second).toEqual(first);
  return first;
}

describe('MQTT packet decoder (mqtt-packet behind otgate\'s header check)', () => {
  it('CONNECT 3.1.1: client id "test", clean session, keep-alive 60', () => {
    const p = roundTrip(
      annotated(`
        10 10               ; CONNECT, remaining length 16
        00 04 4d 51 54 54   ; protocol name "MQTT"
        04                  ; level 4 = 3.1.1
        02                  ; flags: clean session
        00 3c               ; keep-alive 60 s
        00 04 74 65 73 74   ; client id "test"
      `),
      null,
    );
    expect(p).toMatchObject({ cmd: 'connect', protocolVersion: 4, clientId: 'test', keepalive: 60, clean: true });
  });

  it('CONNECT 3.1 (MQIsdp, level 3)', () => {
    const p = roundTrip(generate({ cmd: 'connect', protocolId: 'MQIsdp', protocolVersion: 3, clientId: 'old', keepalive: 10, clean: true }), null);
    expect(p).toMatchObject({ protocolId: 'MQIsdp', protocolVersion: 3 });
  });

  it('CONNECT 5 with will, username and password; the decoder learns v5 from it', () => {
    const buf = generate(
      {
        cmd: 'connect', protocolVersion: 5, clientId: 'pc-101', keepalive: 30, clean: true, username: 'sensor', password: Buffer.from('s3cret'),
        will: { topic: 'fab/etch/pc-101/status', payload: Buffer.from('offline'), qos: 1, retain: false },
        properties: { topicAliasMaximum: 10 },
      },
      { protocolVersion: 5 },
    );
    const p = roundTrip(buf, null);
    expect(p).toMatchObject({ protocolVersion: 5, username: 'sensor', will: { topic: 'fab/etch/pc-101/status', qos: 1 }, properties: { topicAliasMaximum: 10 } });
  });

  it('PUBLISH QoS 1 byte fixture (3.1.1 §3.3)', () => {
    const p = roundTrip(hex('32 0b 00 05 61 2f 62 2f 63 00 07 68 69'), 4); // topic "a/b/c", id 7, payload "hi"
    expect(p).toMatchObject({ cmd: 'publish', topic: 'a/b/c', qos: 1, messageId: 7, retain: false });
    expect((p as { payload: Buffer }).payload.toString()).toBe('hi');
  });

  it('SUBSCRIBE 5 with options and a subscription identifier, SUBACK 5 with 0x87', () => {
    const sub = roundTrip(
      generate({ cmd: 'subscribe', messageId: 3, properties: { subscriptionIdentifier: 9 }, subscriptions: [
        { topic: 'fab/+/+/telemetry', qos: 1, nl: true, rap: false, rh: 1 }, { topic: '#', qos: 0, nl: false, rap: false, rh: 0 },
      ] }, { protocolVersion: 5 }),
      5,
    );
    expect(sub).toMatchObject({ subscriptions: [{ topic: 'fab/+/+/telemetry', nl: true, rh: 1 }, { topic: '#' }] });
    const ack = roundTrip(hex('90 05 00 03 00 01 87'), 5);
    expect(ack).toMatchObject({ cmd: 'suback', messageId: 3, granted: [1, 0x87] });
  });

  const every: Array<[string, Packet, MqttVersion]> = [
    ['CONNACK 4', { cmd: 'connack', returnCode: 5, sessionPresent: false }, 4],
    ['CONNACK 5', { cmd: 'connack', reasonCode: 0x87, sessionPresent: false, properties: { topicAliasMaximum: 10 } }, 5],
    ['PUBLISH 5 alias', { cmd: 'publish', topic: 't', payload: Buffer.from('x'), qos: 2, messageId: 9, retain: true, dup: false, properties: { topicAlias: 2 } }, 5],
    ['PUBACK 5', { cmd: 'puback', messageId: 1, reasonCode: 0x87 }, 5],
    ['PUBREC 4', { cmd: 'pubrec', messageId: 1 }, 4],
    ['PUBREL 4', { cmd: 'pubrel', messageId: 1 }, 4],
    ['PUBCOMP 5', { cmd: 'pubcomp', messageId: 1, reasonCode: 0 }, 5],
    ['SUBACK 4', { cmd: 'suback', messageId: 2, granted: [0, 0x80] }, 4],
    ['UNSUBSCRIBE 4', { cmd: 'unsubscribe', messageId: 4, unsubscriptions: ['a/#', 'b'] }, 4],
    ['UNSUBACK 5', { cmd: 'unsuback', messageId: 4, granted: [0, 0x11] }, 5],
    ['PINGREQ', { cmd: 'pingreq' }, 4],
    ['PINGRESP', { cmd: 'pingresp' }, 4],
    ['DISCONNECT 5', { cmd: 'disconnect', reasonCode: 0 }, 5],
    ['AUTH 5', { cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'x' } }, 5],
  ];
  it.each(every)('%s: parse → generate → parse', (_name, packet, v) => {
    const p = roundTrip(generate(packet, { protocolVersion: v }), v);
    expect(p.cmd).toBe(packet.cmd);
  });

  it('needs the whole packet, counted from the packet start', () => {
    const buf = hex('32 0b 00 05 61 2f 62 2f 63 00 07 68 69');
    expect(new MqttPacketDecoder().decode(buf.subarray(0, 6), 0, 4, MAX)).toEqual({ kind: 'need', atLeast: 13 });
  });

  it('decodes back-to-back packets from offsets', () => {
    const a = generate({ cmd: 'pingreq' });
    const b = generate({ cmd: 'publish', topic: 'x/y', payload: Buffer.from('1'), qos: 0, retain: false, dup: false });
    const buf = Buffer.concat([a, b, a]);
    const d = new MqttPacketDecoder();
    let off = 0;
    const cmds: string[] = [];
    while (off < buf.length) {
      const r = d.decode(buf, off, 4, MAX);
      if (r.kind !== 'frame') throw new Error(r.kind);
      cmds.push(r.frame.packet.cmd);
      off += r.consumed;
    }
    expect(cmds).toEqual(['pingreq', 'publish', 'pingreq']);
  });

  it('a bad body is a named, non-fatal anomaly that skips the packet; the next one decodes', () => {
    const d = new MqttPacketDecoder();
    const bad = hex('10 06 00 04 58 58 58 58'); // protocol name "XXXX"
    const r = d.decode(bad, 0, null, MAX);
    expect(r).toMatchObject({ kind: 'malformed', consume: 8, fatal: false, anomaly: { code: 'mqtt.packet_invalid', family: 'malformed' } });
    expect(d.decode(generate({ cmd: 'pingreq' }), 0, 4, MAX).kind).toBe('frame');
  });

  it('never hands the parser more than the cap', () => {
    const d = new MqttPacketDecoder();
    const r = d.decode(hex('30 ff ff ff 7f'), 0, 4, 1024);
    expect(r).toMatchObject({ kind: 'malformed', fatal: true, consume: 0, anomaly: { code: 'mqtt.packet_too_large' } });
  });
});
