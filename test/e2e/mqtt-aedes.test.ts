/**
 * End to end, MQTT 3.1.1: MQTT.js clients → the spawned otgate daemon → an aedes broker.
 * Outcomes are checked at the subscriber, at the broker and in the SQLite audit store.
 */
import { randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { generate } from 'mqtt-packet';
import { AuditStore } from '../../daemon/audit/store';
import { startGateway, type Gateway } from '../helpers/gateway';
import { endClient, freePort, mqttClient, rawSocketClosed, startAedes, type Broker } from '../helpers/mqtt-peers';
import { eventually } from '../helpers/wait';

const GW = '127.0.40.1';
const BROKER = '127.0.40.50';
const SENSOR = '127.0.40.101';
const SCADA = '127.0.40.10';

const policy = (listenPort: number, brokerPort: number) => `
version: 1
site: e2e-mqtt
defaults: { mode: enforce, audit: { allowed: all } }
zones:
  - { name: field, level: 0, networks: [127.0.40.0/24] }
assets:
  - { name: pc-101, zone: field, address: ${SENSOR} }
  - { name: scada-1, zone: field, address: ${SCADA} }
  - { name: mqtt-broker, zone: field, address: ${BROKER} }
conduits:
  - name: mqtt-fab
    from_zone: field
    to_zone: field
    protocol: mqtt
    listen: ${GW}:${listenPort}
    upstream: { asset: mqtt-broker, port: ${brokerPort} }
    limits: { max_frame_bytes: 65536 }
    rules:
      - name: sensor-telemetry
        clients: [pc-101]
        mqtt:
          client_ids: ["pc-101*"]
          publish: ["fab/etch/pc-101/telemetry"]
          max_qos: 1
          max_payload_bytes: 1024
      - name: scada-read
        clients: [scada-1]
        mqtt:
          subscribe: ["fab/+/+/telemetry"]
`;

describe('MQTT 3.1.1 through the spawned gateway (aedes broker, MQTT.js clients)', () => {
  let broker: Broker;
  let gw: Gateway;
  let port: number;
  let scada: MqttClient;
  let sensor: MqttClient;
  const received: { topic: string; payload: Buffer }[] = [];

  beforeAll(async () => {
    broker = await startAedes(BROKER);
    port = await freePort(GW);
    gw = await startGateway({ policy: policy(port, broker.port) });
    scada = await mqttClient(SCADA, GW, port, { protocolVersion: 4, clientId: 'scada-1' });
    scada.on('message', (topic, payload) => received.push({ topic, payload: Buffer.from(payload) }));
    sensor = await mqttClient(SENSOR, GW, port, { protocolVersion: 4, clientId: 'pc-101' });
  });

  afterAll(async () => {
    await endClient(sensor);
    await endClient(scada);
    await gw?.stop();
    gw?.remove();
    await broker?.close();
  });

  const rows = () => {
    const s = AuditStore.open(gw.dbFile);
    try {
      return s.query({});
    } finally {
      s.close();
    }
  };

  it('refuses a subscription to # while the allowed filter in the same SUBSCRIBE works (SUBACK 0x80)', async () => {
    // MQTT.js reports any 0x80 in a SUBACK as an error carrying the packet.
    const err = await scada.subscribeAsync({ '#': { qos: 0 }, 'fab/+/+/telemetry': { qos: 1 } }).then(() => null, (e: { packet?: { granted?: number[] } }) => e);
    expect(err?.packet?.granted).toEqual([0x80, 1]);
    const ev = await eventually(() => rows().find((e) => e.reason === 'mqtt_subscribe_not_allowed'));
    expect(ev).toMatchObject({ action: 'refused', technique: 'T0861', clientAsset: 'scada-1' });
  });

  it('delivers an allowed publish byte-identical; a denied publish never reaches the broker', async () => {
    const payload = randomBytes(700);
    await sensor.publishAsync('fab/etch/th-102/telemetry', Buffer.from('spoofed'), { qos: 1 }); // acked by the gateway, dropped
    await sensor.publishAsync('fab/etch/pc-101/telemetry', payload, { qos: 1 });
    const msg = await eventually(() => received.find((m) => m.topic === 'fab/etch/pc-101/telemetry'));
    expect(msg.payload.equals(payload)).toBe(true);
    expect(received.map((m) => m.topic)).toEqual(['fab/etch/pc-101/telemetry']);
    expect(broker.published).not.toContain('fab/etch/th-102/telemetry');
    const ev = await eventually(() => rows().find((e) => e.reason === 'mqtt_publish_not_allowed'));
    expect(ev).toMatchObject({ action: 'refused', technique: 'T0856', rule: 'sensor-telemetry', fields: expect.objectContaining({ topic: 'fab/etch/th-102/telemetry', qos: 1 }) });
  });

  it('refuses an oversize payload', async () => {
    received.length = 0;
    await sensor.publishAsync('fab/etch/pc-101/telemetry', Buffer.alloc(1500, 1), { qos: 1 });
    await sensor.publishAsync('fab/etch/pc-101/telemetry', Buffer.from('small'), { qos: 1 });
    await eventually(() => received.length > 0);
    expect(received.map((m) => m.payload.toString())).toEqual(['small']);
    await eventually(() => rows().find((e) => e.reason === 'mqtt_payload_too_large'));
  });

  it('a declared 268,435,455-byte packet closes only that connection', async () => {
    const connect = generate({ cmd: 'connect', protocolVersion: 4, clientId: 'pc-101-raw', keepalive: 30, clean: true });
    const r = await rawSocketClosed(SENSOR, GW, port, [connect, Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f])]);
    expect(r.closedByPeer).toBe(true);
    // The other clients keep working.
    received.length = 0;
    await sensor.publishAsync('fab/etch/pc-101/telemetry', Buffer.from('still here'), { qos: 1 });
    const m = await eventually(() => received.find((x) => x.payload.toString() === 'still here'));
    expect(m.topic).toBe('fab/etch/pc-101/telemetry');
    await eventually(() => rows().find((e) => e.anomaly === 'mqtt.packet_too_large' && e.action === 'closed'));
  });
});
