import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AuditStore } from '../../daemon/audit/store';
import type { ActionSink, DecisionEvent, PipelineEnv } from '../../daemon/pipeline/contract';
import { createModbusInspector } from '../../daemon/pipeline/modbus-inspector';
import { RelayManager } from '../../daemon/relay-manager';
import { RelaySimulator } from '../../hw/sim/simulator';
import { SimRelay } from '../../hw/sim/sim-relay';
import { compilePolicy } from '../../rules/compile';
import type { CompiledPolicy } from '../../rules/compiled';
import { loadPolicyText } from '../../rules/load';
import { until } from '../hw/until';

const POLICY = (socket: string, extra = '') => `
version: 1
site: relay-test
zones:
  - { name: supervisory, level: 2, networks: [127.0.0.0/24] }
  - { name: control, level: 1, networks: [127.0.1.0/24] }
assets:
  - { name: hmi-1, zone: supervisory, address: 127.0.0.11 }
  - { name: chiller-plc, zone: control, address: 127.0.1.21, safety_critical: true }
conduits:
  - name: hmi-chiller-plc
    from_zone: supervisory
    to_zone: control
    protocol: modbus
    listen: 127.0.0.1:0
    upstream: { asset: chiller-plc, port: 502 }
    rules:
      - name: hmi-write-setpoint
        clients: [hmi-1]
        modbus:
          unit_ids: [1]
          functions: [write_single_register]
          write: { holding_registers: [{ range: "100-109", min: 50, max: 250 }] }
relay:
  driver: sim
  sim: { socket: ${JSON.stringify(socket)} }
  heartbeat_ms: 50
  watchdog_timeout_ms: 400
  feedback_timeout_ms: 300
  feedback_poll_ms: 50
${extra}
  trip:
    - name: chiller-writes
      assets: safety_critical
      denied_writes: { count: 2, within_s: 10 }
`;

function compile(text: string): CompiledPolicy {
  const loaded = loadPolicyText(text, 'test.yaml');
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  return compilePolicy(loaded.policy, { file: 'test.yaml', hash: 'x' });
}

/** FC 6 Write Single Register (MB-AP §6.6) with its MBAP header (MB-TCP §3.1.3). */
function writeRegister(tid: number, address: number, value: number): Buffer {
  return Buffer.from([tid >> 8, tid & 0xff, 0, 0, 0, 6, 1, 6, address >> 8, address & 0xff, value >> 8, value & 0xff]);
}

describe('relay manager (sim relay, real audit store)', () => {
  let dir: string;
  let sim: RelaySimulator;
  let audit: AuditStore;
  let policy: CompiledPolicy;
  const managers: RelayManager[] = [];
  const socket = () => path.join(dir, 'relay.sock');
  const latch = () => path.join(dir, 'relay-latch.json');

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'otgate-relaymgr-'));
    sim = await RelaySimulator.start({ socket: socket(), timeoutMs: 400 });
    audit = AuditStore.open(path.join(dir, 'audit.db'));
    policy = compile(POLICY(socket()));
  });
  afterEach(async () => {
    for (const m of managers.splice(0)) await m.stop();
    audit.close();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (p: CompiledPolicy = policy): Promise<RelayManager> => {
    const m = await RelayManager.fromPolicy(p.relay!, { latchFile: latch(), audit, policy: () => p });
    managers.push(m);
    return m;
  };
  const probe = () => new SimRelay({ socket: socket() });

  it('compiles the relay section of the policy', () => {
    expect(policy.relay).toMatchObject({ driver: { kind: 'sim', socket: socket() }, heartbeatMs: 50, watchdogTimeoutMs: 400 });
    expect(policy.relay!.trip[0]).toMatchObject({ name: 'chiller-writes', assets: 'safety_critical', deniedWrites: { count: 2, withinMs: 10000 } });
  });

  it('a fresh install connects; forbidden writes to the safety-critical chiller trip it, with frame-arrival → command time audited', async () => {
    const m = await start();
    expect((await m.status()).commanded).toBe('connected');
    expect((await probe().read()).contact).toBe('connected');

    // The real Modbus inspector, fed the bytes of a rogue HMI writing 60.0 °C (600) to the setpoint.
    const events: DecisionEvent[] = [];
    const env: PipelineEnv = {
      policy: () => policy,
      now: () => Date.now(),
      hrnow: () => process.hrtime.bigint(),
      record: (e) => events.push(e),
      sampleAllowed: () => false,
      count: () => undefined,
      violation: (e, at) => m.violation(e, at),
    };
    const replies: Buffer[] = [];
    const sink: ActionSink = { forward: () => undefined, reply: (_d, b) => void replies.push(b), close: () => undefined };
    const insp = createModbusInspector(
      { flowId: 'f1', conduit: 'hmi-chiller-plc', protocol: 'modbus', client: { ip: '127.0.0.11', port: 40000 }, server: { ip: '127.0.1.21', port: 502 }, passive: false },
      env,
      sink,
    );
    insp.feed('c2s', writeRegister(1, 100, 600));
    expect(m.tripped).toBe(false); // 1 of 2
    insp.feed('c2s', writeRegister(2, 100, 600));
    expect(replies).toHaveLength(2); // both refused with a Modbus exception

    await until(async () => (await probe().read()).contact === 'isolated');
    const trip = await until(async () => audit.relayEvents({ kind: 'trip' })[0]);
    expect(trip).toMatchObject({ cause: 'policy:chiller-writes:denied_writes', actor: 'policy', state: 'isolated' });
    expect(trip.triggerTs).not.toBeNull();
    expect(trip.commandTs!).toBeGreaterThanOrEqual(trip.triggerTs!);
    expect(trip.confirmedTs!).toBeGreaterThanOrEqual(trip.commandTs!);
    expect(trip.detail).toMatchObject({ rule: 'chiller-writes', trigger: 'denied_writes', serverAsset: 'chiller-plc', conduit: 'hmi-chiller-plc' });
    const ms = trip.detail!.triggerToCommandMs as number;
    expect(ms).toBeGreaterThanOrEqual(0);
    // eslint-disable-next-line no-console
    console.log(`frame arrival → relay command ${ms.toFixed(3)} ms; command → feedback ${(trip.detail!.commandToConfirmMs as number).toFixed(3)} ms`);
    expect(events.filter((e) => e.verdict === 'deny')).toHaveLength(2);
    expect(JSON.parse(readFileSync(latch(), 'utf8'))).toMatchObject({ tripped: true, state: 'isolated', trip: { cause: 'policy:chiller-writes:denied_writes' } });
  });

  it('latches across restarts: a restarted manager keeps the relay open until an authorized restore with a reason', async () => {
    const m1 = await start();
    await m1.isolate('alice (uid 1000, claimed)', 'drill');
    await m1.stop();
    managers.splice(0);

    const m2 = await start();
    const st = await m2.status();
    expect(st).toMatchObject({ tripped: true, commanded: 'isolated', trip: { cause: 'operator', actor: 'alice (uid 1000, claimed)', reason: 'drill' } });
    await new Promise((r) => setTimeout(r, 200));
    expect((await probe().read()).contact).toBe('isolated');

    await expect(m2.restore('bob', '  ')).rejects.toMatchObject({ code: 'reason_required' });
    expect((await probe().read()).contact).toBe('isolated');
    const after = await m2.restore('bob (uid 1001, claimed)', 'drill over, reviewed');
    expect(after).toMatchObject({ tripped: false, commanded: 'connected', contact: 'connected' });
    const reset = audit.relayEvents({ kind: 'reset' })[0]!;
    expect(reset).toMatchObject({ cause: 'restore', actor: 'bob (uid 1001, claimed)', reason: 'drill over, reviewed', state: 'connected' });
    expect(reset.confirmedTs).not.toBeNull();
  });

  it('an unclean exit while connected is latched as a heartbeat loss at the next start', async () => {
    const m1 = await start();
    expect((await m1.status()).commanded).toBe('connected');
    // Simulate kill -9: no clean stop, the latch still says running + connected.
    (m1 as unknown as { heartbeat: { stop(): void }; poll: NodeJS.Timeout }).heartbeat.stop();
    clearInterval((m1 as unknown as { poll: NodeJS.Timeout }).poll);
    managers.splice(0);
    const m2 = await start();
    expect(await m2.status()).toMatchObject({ tripped: true, commanded: 'isolated', trip: { cause: 'heartbeat-lost', actor: 'watchdog' } });
    expect(audit.relayEvents({ kind: 'trip' }).at(-1)).toMatchObject({ cause: 'heartbeat-lost' });
  });

  it('a watchdog trip while running (stalled heartbeat) is noticed, latched and audited', async () => {
    const m = await start();
    (m as unknown as { heartbeat: { stop(): void } }).heartbeat.stop(); // as if the event loop hung
    const trip = await until(async () => audit.relayEvents({ kind: 'trip' }).at(-1), 3000, 20);
    expect(m.tripped).toBe(true);
    expect(trip).toMatchObject({ cause: 'heartbeat-lost', actor: 'watchdog' });
  });

  it('feedback mismatch raises an audited alarm (contact open while commanded connected → latched)', async () => {
    const m = await start();
    await probe().fault('open');
    await until(async () => audit.relayEvents({ kind: 'fault' }).length > 0, 3000, 20);
    expect(audit.relayEvents({ kind: 'fault' })[0]).toMatchObject({ cause: 'feedback-mismatch', detail: expect.objectContaining({ commanded: 'connected', contact: 'isolated' }) });
    await until(async () => m.tripped, 3000, 20);
  });

  it('restore requires the key-switch when configured', async () => {
    const p = compile(POLICY(socket(), '  require_keyswitch: true'));
    const m = await start(p);
    await m.isolate('alice', 'test');
    await expect(m.restore('alice', 'ok')).rejects.toMatchObject({ code: 'keyswitch' });
    expect(audit.relayEvents({ kind: 'refused' })).toHaveLength(1);
    await probe().keyswitch(true);
    expect(await m.restore('alice', 'ok')).toMatchObject({ commanded: 'connected', tripped: false });
  });

  it('a corrupt latch file counts as tripped', async () => {
    writeFileSync(latch(), '{ not json');
    const m = await start();
    expect(await m.status()).toMatchObject({ tripped: true, commanded: 'isolated', trip: { cause: 'latch-unreadable' } });
  });
});
