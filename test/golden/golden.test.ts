/**
 * Golden captures: pcap in, expected JSON lines out (test/golden/<case>/expected.jsonl).
 * modbus-basic was recorded between real peers (scripts/record-golden.ts); the network-condition
 * cases are synthesised from it (conditions.ts) and read back through libpcap like any capture.
 * Set UPDATE_GOLDEN=1 to rewrite the expected files after reviewing a deliberate change.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { analyzeCaptures } from '../../daemon/monitor/analyze';
import { auditLine } from '../../daemon/monitor/audit-line';
import { CONDITIONS } from './conditions';
import { readPcap, writePcap } from './pcap-file';

const HERE = __dirname;
const RECORDED = path.join(HERE, 'modbus-basic', 'capture.pcap');
let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'otgate-golden-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function linesOf(file: string): Promise<string[]> {
  const out: string[] = [];
  await analyzeCaptures([file], null, (e) => out.push(JSON.stringify(auditLine(e, false))));
  return out;
}

function expectGolden(name: string, lines: string[]): void {
  const file = path.join(HERE, name, 'expected.jsonl');
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, `${lines.join('\n')}\n`);
  expect(existsSync(file)).toBe(true);
  const expected = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
  expect(lines).toEqual(expected);
}

test('modbus-basic: recorded between modbus-serial peers, every PDU decoded', async () => {
  const lines = await linesOf(RECORDED);
  expectGolden('modbus-basic', lines);
  expect(lines).toHaveLength(36);
  expect(lines.every((l) => JSON.parse(l).anomaly === null)).toBe(true);
});

/** Captures recorded between real peers (scripts/record-golden.ts), besides modbus-basic. */
const RECORDED_CASES: Record<string, (lines: Record<string, unknown>[]) => void> = {
  'mqtt-aedes': (lines) => expectMqttSession(lines, 4),
  'mqtt-mosquitto': (lines) => expectMqttSession(lines, 5),
  'opcua-none': expectOpcuaSession,
};

/** The recorded SecurityMode None session: every request and response decoded, in order. */
function expectOpcuaSession(lines: Record<string, unknown>[]): void {
  expect(lines.every((l) => l.proto === 'opcua' && l.anomaly === null && l.encrypted !== true)).toBe(true);
  const reqs = lines.filter((l) => l.dir === 'request');
  expect(reqs.map((l) => l.service ?? l.msgType)).toEqual([
    'HEL', 'OpenSecureChannelRequest', 'GetEndpointsRequest', 'CreateSessionRequest', 'ActivateSessionRequest', 'BrowseRequest',
    'ReadRequest', 'WriteRequest', 'ReadRequest', 'CloseSessionRequest', 'CloseSecureChannelRequest',
  ]);
  expect(reqs.find((l) => l.service === 'ReadRequest')).toEqual(expect.objectContaining({ nodeIds: ['ns=2;s=Chiller.Setpoint', 'ns=2;s=Chiller.Mode'], securityPolicy: 'None', encrypted: false }));
  expect(reqs.find((l) => l.service === 'WriteRequest')).toEqual(expect.objectContaining({ nodeIds: ['ns=2;s=Chiller.Setpoint'], values: [[17.5]] }));
  const res = lines.filter((l) => l.dir === 'response' && l.msgType === 'MSG');
  expect(res.every((l) => l.statusCode === 'Good' && typeof l.requestId === 'number')).toBe(true);
  // Each MSG response answers the request with its request id.
  const ids = (xs: Record<string, unknown>[]) => xs.map((l) => l.requestId);
  expect(ids(res)).toEqual(ids(reqs.filter((l) => l.msgType === 'MSG')));
}

/** The recorded MQTT session: SUBSCRIBE, PUBLISH at QoS 0 and 1, a retained publish, a will; nothing secret. */
function expectMqttSession(lines: Record<string, unknown>[], version: number): void {
  expect(lines.every((l) => l.proto === 'mqtt' && l.anomaly === null && l.protocolVersion === version)).toBe(true);
  const req = (type: string) => lines.filter((l) => l.dir === 'request' && l.type === type);
  expect(req('SUBSCRIBE')).toEqual([expect.objectContaining({ topics: ['plant/+/telemetry', 'plant/alarms'], qos: [1, 0] })]);
  expect(req('CONNECT')).toEqual([
    expect.objectContaining({ clientId: 'scada-1', username: false }),
    expect.objectContaining({ clientId: 'pc-101', username: true, topic: 'plant/pc-101/status', qos: 1, retain: true }), // the will
  ]);
  const pubs = req('PUBLISH');
  expect(pubs.map((p) => [p.topic, p.qos, p.retain])).toEqual([
    ...Array(3).fill(['plant/pc-101/telemetry', 0, false]),
    ...Array(3).fill(['plant/pc-101/telemetry', 1, false]),
    ['plant/pc-101/status', 1, true],
  ]);
  expect(pubs.filter((p) => p.qos === 1).every((p) => typeof p.packetId === 'number')).toBe(true);
  // Deliveries to the subscriber, and its PUBACKs for the QoS 1 ones.
  expect(lines.filter((l) => l.dir === 'response' && l.type === 'PUBLISH')).toHaveLength(6);
  expect(req('PUBACK')).toHaveLength(3);
  expect(JSON.stringify(lines)).not.toContain('not-recorded-in-audit'); // the password
}

describe.each(Object.keys(RECORDED_CASES))('recorded capture %s', (name) => {
  test('every PDU decoded, as expected', async () => {
    const lines = await linesOf(path.join(HERE, name, 'capture.pcap'));
    expectGolden(name, lines);
    RECORDED_CASES[name]!(lines.map((l) => JSON.parse(l) as Record<string, unknown>));
  });
});

describe.each(Object.keys(CONDITIONS))('network condition %s', (name) => {
  test('matches its expected lines', async () => {
    const { linkType, packets } = readPcap(RECORDED);
    const file = path.join(tmp, `${name}.pcap`);
    writePcap(file, linkType, CONDITIONS[name]!(packets));
    const lines = await linesOf(file);
    expectGolden(name, lines);
    if (LOSSLESS.includes(name)) {
      // Same PDUs as the recording, whatever the segmentation (timestamps and port aside).
      const norm = (ls: string[]) => ls.map((l) => l.replace(/"ts":[0-9.]+,/, '').replace(/15020/g, '502')).sort();
      expect(norm(lines)).toEqual(norm(await linesOf(RECORDED)));
    }
  });
});

const LOSSLESS = ['retransmissions', 'one-byte-segments', 'several-pdus-per-segment', 'non-standard-port'];

test('lost segment: a gap anomaly, the orphaned response flagged, decoding carries on', async () => {
  const { linkType, packets } = readPcap(RECORDED);
  const file = path.join(tmp, 'lost.pcap');
  writePcap(file, linkType, CONDITIONS['lost-segment']!(packets));
  const lines = (await linesOf(file)).map((l) => JSON.parse(l) as Record<string, unknown>);
  const anomalies = lines.filter((l) => l.anomaly !== null).map((l) => l.anomaly);
  expect(anomalies).toEqual(['stream.gap', 'modbus.unsolicited_response']);
  expect(lines.filter((l) => l.anomaly === null)).toHaveLength(34);
});
