/**
 * End to end, MQTT 5: mosquitto_pub / mosquitto_sub and MQTT.js → the spawned otgate daemon →
 * Debian's mosquitto 2.0 broker started on a free loopback port.
 */
import { randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { generate } from 'mqtt-packet';
import { AuditStore } from '../../daemon/audit/store';
import { startGateway, type Gateway } from '../helpers/gateway';
import { endClient, freePort, mqttClient, rawSocketClosed, runCli, startMosquitto, type Broker } from '../helpers/mqtt-peers';
import { eventually } from '../helpers/wait';

const GW = '127.0.41.1';
const BROKER = '127.0.41.50';
const SENSOR = '127.0.41.101';
const SCADA = '127.0.41.10';

const policy = (listenPort: number, brokerPort: number) => `
version: 1
site: e2e-mqtt5
defaults: { mode: enforce, audit: { allowed: all } }
zones:
  - { name: field, level: 0, networks: [127.0.41.0/24] }
assets:
  - { name: pc-101, zone: field, address: ${SENSOR} }
  - { name: scada-1, zone: field, address: ${SCADA} }
  - { name: mqtt-broker, zone: field, address: ${BROKER} }
conduits:
  - name: mqtt5-fab
    from_zone: field
    to_zone: field
    protocol: mqtt
    listen: ${GW}:${listenPort}
    upstream: { asset: mqtt-broker, port: ${brokerPort} }
    mqtt: { command_topics: ["fab/+/+/cmd/#"] }
    rules:
      - name: sensor-telemetry
        clients: [pc-101]
        mqtt:
          publish: ["fab/etch/pc-101/telemetry"]
          max_qos: 1
          max_payload_bytes: 1024
      - name: scada-read
        clients: [scada-1]
        mqtt:
          client_ids: ["scada-*"]
          subscribe: ["fab/+/+/telemetry"]
`;

describe('MQTT 5 through the spawned gateway (mosquitto 2.0, mosquitto_pub/sub, MQTT.js)', () => {
  let broker: Broker;
  let gw: Gateway;
  let port: number;

  beforeAll(async () => {
    broker = await startMosquitto(BROKER);
    port = await freePort(GW);
    gw = await startGateway({ policy: policy(port, broker.port) });
  });

  afterAll(async () => {
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
  const pub = (args: string[]) =>
    runCli('mosquitto_pub', ['-A', SENSOR, '-h', GW, '-p', String(port), '-V', 'mqttv5', '-i', 'pc-101', '-q', '1', ...args]).done;

  it('mosquitto_sub with # and an allowed filter: # refused, the allowed publish arrives byte-identical, the denied one never', async () => {
    const payload = randomBytes(48).toString('hex');
    const sub = runCli('mosquitto_sub', ['-A', SCADA, '-h', GW, '-p', String(port), '-V', 'mqttv5', '-i', 'scada-1', '-q', '1', '-t', '#', '-t', 'fab/+/+/telemetry', '-C', '1', '-N']);
    await eventually(() => rows().find((e) => e.reason === 'mqtt_subscribe_not_allowed'));
    await eventually(() => rows().find((e) => e.fields.type === 'SUBACK'), 5000);

    const denied = await pub(['-t', 'fab/etch/chiller/cmd/start', '-m', 'GO']);
    expect(denied.stderr).toMatch(/not authori[sz]ed/i); // PUBACK 0x87
    const allowed = await pub(['-t', 'fab/etch/pc-101/telemetry', '-m', payload]);
    expect(allowed.code).toBe(0);

    const got = await sub.done;
    expect(got.stdout.toString()).toBe(payload); // first (and only) message received is the allowed one
    const ev = await eventually(() => rows().find((e) => e.reason === 'mqtt_publish_not_allowed'));
    expect(ev).toMatchObject({ action: 'refused', technique: 'T0855', clientAsset: 'pc-101' });
    expect(rows().find((e) => e.reason === 'mqtt_subscribe_not_allowed')).toMatchObject({ technique: 'T0861', fields: expect.objectContaining({ topics: ['#', 'fab/+/+/telemetry'] }) });
  });

  it('MQTT.js v5: SUBACK carries 0x87 for # and the granted QoS for the allowed filter', async () => {
    let c: MqttClient | undefined;
    try {
      c = await mqttClient(SCADA, GW, port, { protocolVersion: 5, clientId: 'scada-js' });
      const err = await c.subscribeAsync({ '#': { qos: 0 }, 'fab/+/+/telemetry': { qos: 1 } }).then(() => null, (e: { packet?: { granted?: number[] } }) => e);
      expect(err?.packet?.granted).toEqual([0x87, 1]);
    } finally {
      await endClient(c);
    }
  });

  it('a CONNECT with a client id not bound to the address gets CONNACK 0x85', async () => {
    await expect(mqttClient(SCADA, GW, port, { protocolVersion: 5, clientId: 'rogue' })).rejects.toMatchObject({ code: 0x85 });
  });

  it('refuses an oversize payload with PUBACK 0x87', async () => {
    const r = await pub(['-t', 'fab/etch/pc-101/telemetry', '-m', 'x'.repeat(1500)]);
    expect(r.stderr).toMatch(/not authori[sz]ed/i);
    await eventually(() => rows().find((e) => e.reason === 'mqtt_payload_too_large'));
  });

  it('a declared 268,435,455-byte packet closes only that connection', async () => {
    let c: MqttClient | undefined;
    try {
      c = await mqttClient(SCADA, GW, port, { protocolVersion: 5, clientId: 'scada-2' });
      const got: string[] = [];
      c.on('message', (_t, m) => got.push(m.toString()));
      await c.subscribeAsync('fab/+/+/telemetry', { qos: 1 });
      const connect = generate({ cmd: 'connect', protocolVersion: 5, clientId: 'pc-101', keepalive: 30, clean: true }, { protocolVersion: 5 });
      const r = await rawSocketClosed(SENSOR, GW, port, [connect, Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f])]);
      expect(r.closedByPeer).toBe(true);
      expect((await pub(['-t', 'fab/etch/pc-101/telemetry', '-m', 'after'])).code).toBe(0);
      await eventually(() => got.includes('after'));
      expect(c.connected).toBe(true);
      expect(await eventually(() => rows().find((e) => e.anomaly === 'mqtt.packet_too_large'))).toMatchObject({ action: 'closed', technique: 'T0814' });
    } finally {
      await endClient(c);
    }
  });
});
