/** MQTT rules: schema + loader + compile + matchers, from policy text. */
import { compilePolicy } from '../../rules/compile';
import type { ClientRules, CompiledPolicy } from '../../rules/compiled';
import { formatDiagnostic } from '../../rules/diagnostics';
import { loadPolicyText } from '../../rules/load';
import {
  DEFAULT_MQTT_CONDUIT,
  evaluateMqttConnect,
  evaluateMqttDelivery,
  evaluateMqttPublish,
  evaluateMqttSubscribe,
  type MqttIdentity,
} from '../../rules/matchers/mqtt';

const POLICY = `
version: 1
site: t
zones:
  - { name: field, level: 0, networks: [10.0.0.0/24] }
  - { name: supervisory, level: 2, networks: [10.20.0.0/24] }
assets:
  - { name: pc-101, zone: field, address: 10.0.0.101 }
  - { name: scada-1, zone: supervisory, address: 10.20.0.10 }
  - { name: broker, zone: supervisory, address: 10.20.0.50 }
conduits:
  - name: sensors
    from_zone: field
    to_zone: supervisory
    protocol: mqtt
    listen: 10.20.0.1:1883
    upstream: { asset: broker, port: 1883 }
    mqtt: { v3_publish_deny: close, command_topics: ["fab/+/+/cmd/#"] }
    rules:
      - name: pc-101-telemetry
        clients: [pc-101]
        mqtt:
          client_ids: ["pc-101"]
          usernames: ["sensor-*"]
          publish: ["fab/etch/pc-101/telemetry", "fab/etch/pc-101/status"]
          max_qos: 1
          max_payload_bytes: 64
          payload_schemas:
            - topic: "fab/+/+/telemetry"
              schema: { type: object, required: [pm], properties: { pm: { type: number, minimum: 0 } } }
  - name: scada
    from_zone: supervisory
    to_zone: supervisory
    protocol: mqtt
    listen: 10.20.0.1:1884
    upstream: { asset: broker, port: 1883 }
    rules:
      - name: scada-read
        clients: [scada-1]
        mqtt:
          subscribe: ["fab/+/+/telemetry", "$SYS/broker/uptime"]
          max_qos: 1
`;

function compile(text: string): CompiledPolicy {
  const r = loadPolicyText(text, 't.yaml');
  if (!r.ok) throw new Error(r.errors.map(formatDiagnostic).join('\n'));
  return compilePolicy(r.policy, { file: 't.yaml', hash: 'h' });
}

const policy = compile(POLICY);
const sensors = policy.conduits.get('sensors')!;
const scada = policy.conduits.get('scada')!;
const pc: ClientRules = sensors.rulesFor('10.0.0.101')!;
const sc: ClientRules = scada.rulesFor('10.20.0.10')!;
const sensorId: MqttIdentity = { clientId: 'pc-101', username: 'sensor-a' };
const scadaId: MqttIdentity = { clientId: 'scada', username: null };
const NOW = Date.parse('2026-06-01T00:00:00Z');
const pub = (topic: string, payload = '{"pm":3}', qos: 0 | 1 | 2 = 1, retain = false) => ({ topic, payload: Buffer.from(payload), qos, retain });

describe('MQTT policy', () => {
  it('compiles conduit options and per-client rules', () => {
    expect(sensors.mqtt).toEqual({ v3PublishDeny: 'close', commandTopics: ['fab/+/+/cmd/#'] });
    expect(scada.mqtt).toEqual(DEFAULT_MQTT_CONDUIT);
    expect(pc.mqtt?.map((r) => r.name)).toEqual(['pc-101-telemetry']);
  });

  it('binds client id and user name to the asset at CONNECT', () => {
    expect(evaluateMqttConnect(pc, sensorId, null, NOW, sensors.mqtt!).allow).toBe(true);
    expect(evaluateMqttConnect(pc, { clientId: 'th-102', username: 'sensor-a' }, null, NOW, sensors.mqtt!)).toMatchObject({ allow: false, reason: 'mqtt_client_not_allowed', technique: 'T0869' });
    expect(evaluateMqttConnect(pc, { clientId: 'pc-101', username: null }, null, NOW, sensors.mqtt!)).toMatchObject({ allow: false, reason: 'mqtt_client_not_allowed' });
    expect(evaluateMqttConnect(null, sensorId, null, NOW, sensors.mqtt!)).toMatchObject({ allow: false, reason: 'no_rule' });
  });

  it('checks the will like a publish', () => {
    expect(evaluateMqttConnect(pc, sensorId, pub('fab/etch/pc-101/status', 'offline', 1), NOW, sensors.mqtt!).allow).toBe(true);
    expect(evaluateMqttConnect(pc, sensorId, pub('fab/etch/pc-101/status', 'offline', 1, true), NOW, sensors.mqtt!)).toMatchObject({ allow: false, reason: 'mqtt_retain_not_allowed' });
    expect(evaluateMqttConnect(pc, sensorId, pub('fab/x/y', 'offline'), NOW, sensors.mqtt!)).toMatchObject({ allow: false, reason: 'mqtt_publish_not_allowed', detail: expect.stringMatching(/^will: /) });
  });

  it('publish: topic, QoS, retain, size, JSON Schema — in that order', () => {
    const ev = (p: ReturnType<typeof pub>) => evaluateMqttPublish(pc, sensorId, p, NOW, sensors.mqtt!);
    expect(ev(pub('fab/etch/pc-101/telemetry'))).toEqual({ allow: true, rule: 'pc-101-telemetry' });
    expect(ev(pub('fab/etch/th-102/telemetry'))).toMatchObject({ allow: false, reason: 'mqtt_publish_not_allowed', technique: 'T0856', rule: 'pc-101-telemetry' });
    expect(ev(pub('fab/etch/chiller/cmd/start'))).toMatchObject({ allow: false, reason: 'mqtt_publish_not_allowed', technique: 'T0855' });
    expect(ev(pub('fab/etch/pc-101/telemetry', '{"pm":3}', 2))).toMatchObject({ allow: false, reason: 'mqtt_qos_not_allowed' });
    expect(ev(pub('fab/etch/pc-101/telemetry', '{"pm":3}', 0, true))).toMatchObject({ allow: false, reason: 'mqtt_retain_not_allowed' });
    expect(ev(pub('fab/etch/pc-101/telemetry', JSON.stringify({ pm: 1, pad: 'x'.repeat(80) })))).toMatchObject({ allow: false, reason: 'mqtt_payload_too_large' });
    expect(ev(pub('fab/etch/pc-101/telemetry', '{"pm":-1}'))).toMatchObject({ allow: false, reason: 'mqtt_payload_invalid' });
    expect(ev(pub('fab/etch/pc-101/telemetry', 'not json'))).toMatchObject({ allow: false, reason: 'mqtt_payload_invalid', detail: expect.stringContaining('not JSON') });
    expect(ev(pub('fab/etch/pc-101/status', 'online'))).toMatchObject({ allow: true }); // no schema on status
  });

  it('subscribe: containment, $SYS only when named, QoS downgraded', () => {
    const ev = (f: string, q: 0 | 1 | 2 = 1) => evaluateMqttSubscribe(sc, scadaId, f, q, NOW);
    expect(ev('fab/etch/pc-101/telemetry')).toEqual({ verdict: { allow: true, rule: 'scada-read' }, qos: 1 });
    expect(ev('fab/+/+/telemetry', 2)).toEqual({ verdict: { allow: true, rule: 'scada-read' }, qos: 1 });
    expect(ev('#').verdict).toMatchObject({ allow: false, reason: 'mqtt_subscribe_not_allowed', technique: 'T0861' });
    expect(ev('fab/etch/pc-101/cmd').verdict).toMatchObject({ allow: false, technique: 'T0801' });
    expect(ev('$SYS/#').verdict.allow).toBe(false);
    expect(ev('$SYS/broker/uptime').verdict.allow).toBe(true);
    expect(ev('$share/g/fab/etch/pc-101/telemetry').verdict.allow).toBe(true);
    expect(ev('$share/g/#').verdict.allow).toBe(false);
    expect(ev('fab/#/x').verdict).toMatchObject({ allow: false, detail: expect.stringContaining('not a valid') });
    // The sensor has no subscribe allowlist at all.
    expect(evaluateMqttSubscribe(pc, sensorId, 'fab/etch/pc-101/telemetry', 0, NOW).verdict.allow).toBe(false);
  });

  it('deliveries must match the subscribe allowlist', () => {
    expect(evaluateMqttDelivery(sc, scadaId, 'fab/etch/pc-101/telemetry', NOW).allow).toBe(true);
    expect(evaluateMqttDelivery(sc, scadaId, 'fab/etch/pc-101/cmd', NOW)).toMatchObject({ allow: false, reason: 'mqtt_delivery_not_allowed' });
    expect(evaluateMqttDelivery(sc, scadaId, '$SYS/broker/load', NOW).allow).toBe(false);
  });

  it('the loader reports invalid filters and schemas at their node', () => {
    const bad = POLICY.replace('publish: ["fab/etch/pc-101/telemetry"', 'publish: ["fab/#/x"').replace('minimum: 0', 'minimum: "zero"');
    const r = loadPolicyText(bad, 'bad.yaml');
    expect(r.ok).toBe(false);
    const msgs = r.ok ? [] : r.errors.map(formatDiagnostic).join('\n');
    expect(msgs).toMatch(/not a valid topic filter/);
    expect(msgs).toMatch(/JSON Schema does not compile/);
  });

  it('the schema rejects unknown keys and bad values in mqtt bodies', () => {
    expect(loadPolicyText(POLICY.replace('max_qos: 1\n          max_payload', 'max_qos: 3\n          max_payload'), 'x').ok).toBe(false);
    expect(loadPolicyText(POLICY.replace('v3_publish_deny: close', 'v3_publish_deny: maybe'), 'x').ok).toBe(false);
    expect(loadPolicyText(POLICY.replace('client_ids:', 'clientids:'), 'x').ok).toBe(false);
  });
});
