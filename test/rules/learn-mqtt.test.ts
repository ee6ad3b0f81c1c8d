/** learn → check → replay on the recorded MQTT captures (test/golden/mqtt-aedes, mqtt-mosquitto). */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { learnFromCaptures } from '../../daemon/cli/learn';
import { replayCaptures } from '../../daemon/cli/replay';
import { compilePolicy } from '../../rules/compile';
import { readPcap, tcpView, withPayload, writePcap } from '../golden/pcap-file';

const GOLDEN = path.join(__dirname, '..', 'golden');
let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'otgate-learn-mqtt-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function learned(capture: string, k: number) {
  const r = await learnFromCaptures([capture], k);
  if (!r.check.ok) throw new Error(`${r.yaml}\n${JSON.stringify(r.check.errors, null, 1)}`);
  return { yaml: r.yaml, policy: compilePolicy(r.check.policy, { file: 'learned.yaml', hash: 'test' }) };
}

/** The capture with the first client PUBLISH to `from` rewritten to `to` (same length: sequence numbers hold). */
function rewrittenTopic(capture: string, from: string, to: string): string {
  const { linkType, packets } = readPcap(capture);
  const needle = Buffer.from(from);
  const i = packets.findIndex((p) => {
    const v = tcpView(p.data);
    return v.payload.length > 0 && v.payload[0]! >> 4 === 3 && v.payload.includes(needle) && v.sport !== 1883;
  });
  expect(i).toBeGreaterThanOrEqual(0);
  const v = tcpView(packets[i]!.data);
  const payload = Buffer.from(v.payload);
  Buffer.from(to).copy(payload, payload.indexOf(needle));
  packets[i] = { ...packets[i]!, data: withPayload(packets[i]!.data, v.seq, payload) };
  const file = path.join(tmp, `${path.basename(path.dirname(capture))}-rewritten.pcap`);
  writePcap(file, linkType, packets);
  return file;
}

describe.each(['mqtt-aedes', 'mqtt-mosquitto'])('%s', (name) => {
  const capture = path.join(GOLDEN, name, 'capture.pcap');

  test('the learned policy binds client ids, lists topics with evidence, passes the loader and allows the whole capture', async () => {
    const { yaml, policy } = await learned(capture, 1);
    expect(yaml).toMatch(/client_ids:\n {12}- "pc-101" {3}# 1 seen, first /);
    expect(yaml).toMatch(/- "plant\/pc-101\/telemetry" {3}# 6 seen, first .*; QoS ≤ 1/);
    expect(yaml).toMatch(/- "plant\/pc-101\/status" {3}# 2 seen, .*2 retained, 1 as a will/);
    expect(yaml).toMatch(/subscribe:\n {12}- "plant\/\+\/telemetry" .*\n {12}- "plant\/alarms"/);
    expect(yaml).toContain('max_qos: 1');
    expect(yaml).toContain('retain: true');
    const r = await replayCaptures([capture], policy, null);
    expect(r.pdus).toBe(28);
    expect(r.denies).toBe(0);
  });

  test('a publish to another topic is denied', async () => {
    const { policy } = await learned(capture, 1);
    const r = await replayCaptures([rewrittenTopic(capture, 'plant/pc-101/telemetry', 'plant/pc-101/calibrate')], policy, null);
    expect(r.changes.map((c) => [c.after.reason, c.after.fields.type, c.after.fields.topic])).toEqual([
      ['mqtt_publish_not_allowed', 'PUBLISH', 'plant/pc-101/calibrate'],
    ]);
  });

  test('with K = 3 the topic published twice (once as the will) is left for review, and replay shows what that denies', async () => {
    const { yaml, policy } = await learned(capture, 3);
    expect(yaml).toMatch(/# not proposed: publish "plant\/pc-101\/status" 2 seen.*\(1 as a will\) \(fewer than 3: REVIEW\)/);
    const r = await replayCaptures([capture], policy, null);
    expect(r.changes.map((c) => [c.after.fields.type, c.after.reason])).toEqual([
      ['CONNECT', 'mqtt_publish_not_allowed'], // the will
      ['PUBLISH', 'mqtt_publish_not_allowed'],
    ]);
  });
});
