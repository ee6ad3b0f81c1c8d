import { generate, type Packet } from 'mqtt-packet';
import { MqttPacketDecoder, MqttSession, type MqttPacket, type MqttVersion } from '../../../protocols/mqtt';
import type { Direction } from '../../../protocols/common';

function packet(p: Packet, v: MqttVersion): MqttPacket {
  const r = new MqttPacketDecoder().decode(generate(p, { protocolVersion: v }), 0, v, 1 << 20);
  if (r.kind !== 'frame') throw new Error(r.kind);
  return r.frame.packet;
}

const connect = (v: MqttVersion, extra: Partial<Packet> = {}) =>
  packet({ cmd: 'connect', protocolVersion: v, clientId: 'c1', keepalive: 30, clean: true, ...extra } as Packet, v);
const connack = (v: MqttVersion, props?: object) =>
  packet({ cmd: 'connack', sessionPresent: false, ...(v === 5 ? { reasonCode: 0, properties: props } : { returnCode: 0 }) } as Packet, v);
const pub = (topic: string, qos: 0 | 1 | 2, id?: number, extra: object = {}) =>
  ({ cmd: 'publish', topic, qos, messageId: id, payload: Buffer.from('x'), retain: false, dup: false, ...extra }) as MqttPacket;

function connected(v: MqttVersion, max = 4, props?: object): MqttSession {
  const s = new MqttSession(max);
  expect(s.observe('c2s', connect(v, v === 5 ? { properties: { topicAliasMaximum: 5 } } as Partial<Packet> : {})).anomaly).toBeNull();
  expect(s.observe('s2c', connack(v, props)).anomaly).toBeNull();
  return s;
}

const code = (s: MqttSession, dir: Direction, p: MqttPacket) => s.observe(dir, p).anomaly?.code ?? null;

describe('MQTT session state', () => {
  it('records CONNECT facts without the password', () => {
    const s = new MqttSession(4);
    s.observe('c2s', connect(5, { username: 'u', password: Buffer.from('pw'), will: { topic: 'w/t', payload: Buffer.from('bye'), qos: 1, retain: true } } as Partial<Packet>));
    expect(s).toMatchObject({ version: 5, clientId: 'c1', username: 'u', keepAliveS: 30, phase: 'await_connack', will: { topic: 'w/t', qos: 1, retain: true, payloadBytes: 3 } });
    expect(JSON.stringify(s)).not.toContain('pw');
  });

  it('CONNECT first [MQTT-3.1.0-1] and once [MQTT-3.1.0-2]', () => {
    const s = new MqttSession(4);
    expect(s.observe('c2s', pub('a', 0))).toMatchObject({ fatal: true, anomaly: { code: 'mqtt.missing_connect', family: 'state' } });
    const t = connected(4);
    expect(t.observe('c2s', connect(4))).toMatchObject({ fatal: true, anomaly: { code: 'mqtt.second_connect' } });
  });

  it('flags packets in the wrong direction and server traffic before CONNACK', () => {
    const s = connected(4);
    expect(code(s, 'c2s', packet({ cmd: 'suback', messageId: 1, granted: [0] }, 4))).toBe('mqtt.wrong_direction');
    expect(code(s, 's2c', packet({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a', qos: 0 }] }, 4))).toBe('mqtt.wrong_direction');
    const early = new MqttSession(4);
    early.observe('c2s', connect(4));
    expect(code(early, 's2c', pub('a', 0))).toBe('mqtt.unexpected_packet');
    expect(code(connected(4), 's2c', connack(4))).toBe('mqtt.unexpected_packet');
  });

  it('tracks packet ids in flight and frees them on the right acknowledgement', () => {
    const s = connected(4);
    expect(code(s, 'c2s', pub('a', 1, 7))).toBeNull();
    expect(s.inFlight('c2s')).toBe(1);
    expect(code(s, 'c2s', pub('a', 1, 7))).toBe('mqtt.packet_id_in_use');
    expect(code(s, 'c2s', pub('a', 1, 7, { dup: true }))).toBeNull(); // retransmission
    expect(code(s, 's2c', packet({ cmd: 'puback', messageId: 7 }, 4))).toBeNull();
    expect(s.inFlight('c2s')).toBe(0);
    expect(code(s, 's2c', packet({ cmd: 'puback', messageId: 7 }, 4))).toBe('mqtt.unknown_packet_id');
    // QoS 2: PUBREC keeps it, PUBREL from the client is known, PUBCOMP ends it.
    expect(code(s, 'c2s', pub('a', 2, 8))).toBeNull();
    expect(code(s, 's2c', packet({ cmd: 'pubrec', messageId: 8 }, 4))).toBeNull();
    expect(code(s, 'c2s', packet({ cmd: 'pubrel', messageId: 8 }, 4))).toBeNull();
    expect(code(s, 's2c', packet({ cmd: 'pubcomp', messageId: 8 }, 4))).toBeNull();
    expect(s.inFlight('c2s')).toBe(0);
    // Server deliveries are acknowledged by the client.
    expect(code(s, 's2c', pub('b', 1, 7))).toBeNull();
    expect(code(s, 'c2s', packet({ cmd: 'puback', messageId: 7 }, 4))).toBeNull();
    expect(s.inFlight('s2c')).toBe(0);
  });

  it('turns a client flood into a fatal T0814 anomaly at the cap', () => {
    const s = connected(4, 3);
    for (let id = 1; id <= 3; id++) expect(code(s, 'c2s', pub('a', 1, id))).toBeNull();
    expect(s.observe('c2s', pub('a', 1, 4))).toMatchObject({ fatal: true, anomaly: { code: 'mqtt.too_many_in_flight', technique: 'T0814', family: 'resource' } });
    expect(s.inFlight('c2s')).toBe(3);
  });

  it('rejects packet id 0 and wildcard topic names [MQTT-2.3.1-1] [MQTT-3.3.2-2]', () => {
    const s = connected(4);
    expect(code(s, 'c2s', pub('a', 1, 0))).toBe('mqtt.packet_id_invalid');
    expect(code(s, 'c2s', pub('a/#', 0))).toBe('mqtt.topic_invalid');
    expect(code(s, 'c2s', pub('', 0))).toBe('mqtt.topic_invalid');
  });

  it('resolves MQTT 5 topic aliases so policy sees the real topic (v5 §3.3.2.3.4)', () => {
    const s = connected(5, 4, { topicAliasMaximum: 2 });
    expect(s.observe('c2s', pub('fab/a/t', 0, undefined, { properties: { topicAlias: 1 } }))).toMatchObject({ topic: 'fab/a/t', anomaly: null });
    expect(s.observe('c2s', pub('', 0, undefined, { properties: { topicAlias: 1 } }))).toMatchObject({ topic: 'fab/a/t', anomaly: null });
    expect(code(s, 'c2s', pub('', 0, undefined, { properties: { topicAlias: 2 } }))).toBe('mqtt.topic_alias_invalid');
    expect(code(s, 'c2s', pub('x', 0, undefined, { properties: { topicAlias: 3 } }))).toBe('mqtt.topic_alias_invalid');
    // Server → client aliases use the maximum the client announced in CONNECT (5 here).
    expect(s.observe('s2c', pub('d/e', 0, undefined, { properties: { topicAlias: 5 } }))).toMatchObject({ topic: 'd/e' });
    expect(s.observe('s2c', pub('', 0, undefined, { properties: { topicAlias: 5 } }))).toMatchObject({ topic: 'd/e' });
  });
});
