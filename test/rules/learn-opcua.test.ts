/** learn → check → replay on the recorded OPC UA capture (test/golden/opcua-none, SecurityMode None). */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { learnFromCaptures } from '../../daemon/cli/learn';
import { replayCaptures } from '../../daemon/cli/replay';
import { compilePolicy } from '../../rules/compile';
import { readPcap, tcpView, withPayload, writePcap } from '../golden/pcap-file';

const CAPTURE = path.join(__dirname, '..', 'golden', 'opcua-none', 'capture.pcap');
let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'otgate-learn-ua-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function learned(k: number) {
  const r = await learnFromCaptures([CAPTURE], k);
  if (!r.check.ok) throw new Error(`${r.yaml}\n${JSON.stringify(r.check.errors, null, 1)}`);
  return { yaml: r.yaml, policy: compilePolicy(r.check.policy, { file: 'learned.yaml', hash: 'test' }) };
}

test('services and NodeIds per pair, with evidence; the policy passes the loader and allows the whole capture', async () => {
  const { yaml, policy } = await learned(1);
  expect(yaml).toContain('protocol: opcua');
  expect(yaml).toMatch(/endpoints:\n {12}- "opc\.tcp:\/\/127\.0\.0\.61:4840"/);
  expect(yaml).toMatch(/security: \{ policies: \[None\], modes: \[None\] \} .*REVIEW/);
  expect(yaml).toContain('identities: [anonymous]');
  expect(yaml).toMatch(/- Read {3}# 2 seen, first /);
  expect(yaml).toMatch(/read:\n {12}- "ns=2;s=Chiller\.Mode" .*\n {12}- "ns=2;s=Chiller\.Setpoint" {3}# 2 seen/);
  expect(yaml).toMatch(/write:\n {12}- "ns=2;s=Chiller\.Setpoint" .*values seen 17\.5\.\.17\.5/);
  const r = await replayCaptures([CAPTURE], policy, null);
  expect(r.pdus).toBe(21);
  expect(r.denies).toBe(0);
});

test('a read of another node, of an otherwise learned kind, is denied', async () => {
  const { policy } = await learned(1);
  const { linkType, packets } = readPcap(CAPTURE);
  const needle = Buffer.from('Chiller.Mode');
  const i = packets.findIndex((p) => tcpView(p.data).payload.includes(needle));
  const v = tcpView(packets[i]!.data);
  const payload = Buffer.from(v.payload);
  Buffer.from('Chiller.Alrm').copy(payload, payload.indexOf(needle)); // same length: framing holds
  packets[i] = { ...packets[i]!, data: withPayload(packets[i]!.data, v.seq, payload) };
  const file = path.join(tmp, 'other-node.pcap');
  writePcap(file, linkType, packets);
  const r = await replayCaptures([file], policy, null);
  expect(r.changes.map((c) => [c.after.fields.service, c.after.reason, c.after.fields.nodeIds])).toEqual([
    ['ReadRequest', 'opcua_node_not_allowed', ['ns=2;s=Chiller.Setpoint', 'ns=2;s=Chiller.Alrm']],
  ]);
});

test('with K = 3 the single Write is left for review, and replay shows it denied', async () => {
  const { yaml, policy } = await learned(3);
  expect(yaml).toMatch(/# not proposed: service Write 1 seen.*\(fewer than 3: REVIEW\)/);
  expect(yaml).not.toMatch(/^ {10}write:/m);
  const r = await replayCaptures([CAPTURE], policy, null);
  expect(r.changes.map((c) => [c.after.fields.service, c.after.reason])).toEqual([['WriteRequest', 'opcua_service_not_allowed']]);
});
