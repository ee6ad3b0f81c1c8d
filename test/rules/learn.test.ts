/** learn → check → replay on the recorded capture (test/golden/modbus-basic). */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { learnFromCaptures } from '../../daemon/cli/learn';
import { replayCaptures } from '../../daemon/cli/replay';
import { compilePolicy } from '../../rules/compile';
import { mergeRanges } from '../../rules/learn';
import { readPcap, tcpView, withPayload, writePcap } from '../golden/pcap-file';

const CAPTURE = path.join(__dirname, '..', 'golden', 'modbus-basic', 'capture.pcap');
let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'otgate-learn-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function learned(k: number) {
  const r = await learnFromCaptures([CAPTURE], k);
  if (!r.check.ok) throw new Error(`${r.yaml}\n${JSON.stringify(r.check.errors, null, 1)}`);
  return { yaml: r.yaml, policy: compilePolicy(r.check.policy, { file: 'learned.yaml', hash: 'test' }) };
}

test('the learned policy passes the loader and allows everything in its capture', async () => {
  const { yaml, policy } = await learned(1);
  expect(yaml).toContain('# evidence:');
  expect(yaml).toContain('REVIEW');
  const r = await replayCaptures([CAPTURE], policy, null);
  expect(r.denies).toBe(0);
  expect(r.pdus).toBe(36);
});

test('a write outside the learned range, of an otherwise learned kind, is denied', async () => {
  const { policy } = await learned(1);
  const { linkType, packets } = readPcap(CAPTURE);
  // Rewrite the first FC 6 request (holding 100) to address 300.
  const i = packets.findIndex((p) => {
    const v = tcpView(p.data);
    return v.dport === 502 && v.payload.length === 12 && v.payload[7] === 6;
  });
  const v = tcpView(packets[i]!.data);
  const payload = Buffer.from(v.payload);
  payload.writeUInt16BE(300, 8);
  packets[i] = { ...packets[i]!, data: withPayload(packets[i]!.data, v.seq, payload) };
  const file = path.join(tmp, 'modified.pcap');
  writePcap(file, linkType, packets);
  const r = await replayCaptures([file], policy, null);
  expect(r.denies).toBe(1);
  expect(r.changes[0]!.after.reason).toBe('modbus_address_not_allowed');
  expect(r.changes[0]!.after.fields.address).toBe(300);
});

test('writes seen fewer than K times are not proposed, and replay shows exactly those denied', async () => {
  const { yaml, policy } = await learned(3);
  expect(yaml).toMatch(/not proposed: FC 16 write_multiple_registers 1 seen/);
  expect(yaml).toMatch(/- 6 {3}# write_single_register: 3 seen/);
  const r = await replayCaptures([CAPTURE], policy, null);
  const denied = r.changes.map((c) => c.after.fields.fc).sort((a, b) => Number(a) - Number(b));
  // FC 5, 15, 16 once each by 127.0.0.11; FC 8 once by 127.0.0.13.
  expect(denied).toEqual([5, 8, 15, 16]);
});

test('ranges merge only where they touch', () => {
  expect(mergeRanges([[10, 19], [0, 9], [30, 30], [25, 28]])).toEqual([[0, 19], [25, 28], [30, 30]]);
});
