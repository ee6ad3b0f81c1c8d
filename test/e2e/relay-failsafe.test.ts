/**
 * Fail-safe isolation end to end: the spawned daemon drives the simulated relay (a separate
 * simulator with its own heartbeat watchdog). A forbidden write storm to the safety-critical
 * chiller trips it; restore needs the management socket and a reason; a trip stays latched
 * across a daemon restart; kill -9 of the daemon opens the relay within the watchdog timeout.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { AuditStore } from '../../daemon/audit/store';
import { RelaySimulator } from '../../hw/sim/simulator';
import { freePort, startChillerPlc, CHILLER_SETPOINT, type ChillerPlc } from '../../scripts/testbed/chiller-plc';
import { MAIN, startGateway, type Gateway } from '../helpers/gateway';
import { closeClient, exceptionOf, modbusClient } from '../helpers/modbus-peers';
import { eventually } from '../helpers/wait';

const run = promisify(execFile);
const GW_HOST = '127.0.20.1';
const HMI = '127.0.20.11';
// Generous for a loaded CI machine: the heartbeat timer must never miss it while the daemon lives.
const WATCHDOG_MS = 1000;

function policy(listenPort: number, plcPort: number, simSocket: string): string {
  return `
version: 1
site: relay-e2e
defaults: { mode: enforce, audit: { allowed: none } }
relay:
  driver: sim
  sim: { socket: ${simSocket} }
  heartbeat_ms: 100
  watchdog_timeout_ms: ${WATCHDOG_MS}
  feedback_timeout_ms: 300
  feedback_poll_ms: 200
  trip:
    - name: chiller-write-storm
      assets: safety_critical
      denied_writes: { count: 2, within_s: 10 }
zones:
  - { name: supervisory, level: 2, networks: [127.0.20.0/24] }
  - { name: control, level: 1, networks: [127.0.10.0/24] }
assets:
  - { name: hmi-1, zone: supervisory, address: ${HMI} }
  - { name: chiller-plc, zone: control, address: 127.0.10.21, safety_critical: true }
conduits:
  - name: hmi-chiller
    from_zone: supervisory
    to_zone: control
    protocol: modbus
    listen: ${GW_HOST}:${listenPort}
    upstream: { asset: chiller-plc, port: ${plcPort} }
    rules:
      - name: hmi-setpoint
        clients: [hmi-1]
        modbus:
          unit_ids: [1]
          functions: [read_holding_registers, write_single_register]
          read: { holding_registers: ["0-199"] }
          write: { holding_registers: [{ range: "100-109", min: 50, max: 250 }] }
`;
}

describe('fail-safe relay through the spawned daemon', () => {
  let simDir: string;
  let sim: RelaySimulator;
  let plc: ChillerPlc;
  let gw: Gateway;
  let port: number;
  let policyText: string;
  const socketOf = (g: Gateway) => path.join(g.dir, 'otgate.sock');
  const relayCli = (g: Gateway, ...args: string[]) => run(process.execPath, [MAIN, 'relay', ...args, '--socket', socketOf(g), '--json']);
  const relayRows = (g: Gateway) => {
    const s = AuditStore.open(g.dbFile);
    try {
      return s.relayEvents({});
    } finally {
      s.close();
    }
  };

  beforeAll(async () => {
    simDir = mkdtempSync(path.join(os.tmpdir(), 'otgate-sim-'));
    sim = await RelaySimulator.start({ socket: path.join(simDir, 'relay.sock'), timeoutMs: WATCHDOG_MS });
    plc = await startChillerPlc({ host: '127.0.10.21' });
    port = await freePort(GW_HOST);
    policyText = policy(port, plc.port, path.join(simDir, 'relay.sock'));
    gw = await startGateway({ policy: policyText });
  });

  afterAll(async () => {
    await gw?.stop();
    gw?.remove();
    await sim?.stop();
    await plc?.close();
    rmSync(simDir, { recursive: true, force: true });
  });

  test('a fresh daemon connects the relay and keeps the watchdog fed', async () => {
    await eventually(() => sim.status().contact === 'connected');
    await new Promise((r) => setTimeout(r, WATCHDOG_MS * 2));
    expect(sim.status()).toMatchObject({ contact: 'connected', watchdogTripped: false });
  });

  test('denied writes to the safety-critical chiller trip the relay; the audit row holds the timings', async () => {
    const c = await modbusClient(GW_HOST, port, HMI);
    expect(await exceptionOf(c.writeRegister(CHILLER_SETPOINT, 600))).toBe(3);
    expect(sim.status().contact).toBe('connected'); // one is not a storm
    expect(await exceptionOf(c.writeRegister(CHILLER_SETPOINT, 610))).toBe(3);
    await eventually(() => sim.status().contact === 'isolated');
    await closeClient(c);
    const trip = await eventually(() => relayRows(gw).find((r) => r.cause?.startsWith('policy:chiller-write-storm')));
    expect(trip.triggerTs).not.toBeNull();
    expect(trip.commandTs).not.toBeNull();
    expect(trip.commandTs!).toBeGreaterThanOrEqual(trip.triggerTs!);
    expect(trip.state).toBe('isolated');
    expect(plc.writes.some((w) => w.value === 600 || w.value === 610)).toBe(false);
  });

  test('restore needs a reason; with one it reconnects and is audited with the actor', async () => {
    const noReason = await run(process.execPath, [MAIN, 'relay', 'restore', '--socket', socketOf(gw)]).catch((e: { code: number; stderr: string }) => e);
    expect((noReason as { code: number }).code).not.toBe(0);
    expect(sim.status().contact).toBe('isolated');
    const { stdout } = await relayCli(gw, 'restore', '--reason', 'setpoint writes reviewed with the operations lead', '--actor', 'alice');
    expect(JSON.parse(stdout)).toMatchObject({ commanded: 'connected', tripped: false });
    await eventually(() => sim.status().contact === 'connected');
    const row = await eventually(() => relayRows(gw).find((r) => r.cause === 'restore'));
    expect(row.actor).toMatch(/^alice/);
    expect(row.reason).toMatch(/reviewed/);
  });

  test('an operator isolation stays latched across a daemon restart', async () => {
    await relayCli(gw, 'isolate', '--reason', 'suspicious vendor session', '--actor', 'bob');
    await eventually(() => sim.status().contact === 'isolated');
    expect(await gw.stop()).toBe(0);
    gw = await startGateway({ policy: policyText, dir: gw.dir });
    await new Promise((r) => setTimeout(r, 500));
    expect(sim.status().contact).toBe('isolated');
    const { stdout } = await relayCli(gw, 'status');
    expect(JSON.parse(stdout)).toMatchObject({ commanded: 'isolated', tripped: true });
    await relayCli(gw, 'restore', '--reason', 'vendor session closed', '--actor', 'bob');
    await eventually(() => sim.status().contact === 'connected');
  });

  test('kill -9 of the daemon: the watchdog opens the relay within its timeout', async () => {
    await eventually(() => sim.status().contact === 'connected');
    const killedAt = Date.now();
    await gw.kill9();
    await eventually(() => sim.status().contact === 'isolated', WATCHDOG_MS * 4, 5);
    const openedAfter = (sim.status().watchdogTrippedAt ?? Date.now()) - killedAt;
    process.stdout.write(`relay opened ${openedAfter} ms after kill -9 (watchdog timeout ${WATCHDOG_MS} ms)\n`);
    expect(sim.status().watchdogTripped).toBe(true);
    expect(openedAfter).toBeLessThanOrEqual(WATCHDOG_MS + 250);
    // A restarted daemon does not reconnect by itself after an unclean death.
    gw = await startGateway({ policy: policyText, dir: gw.dir });
    await new Promise((r) => setTimeout(r, 500));
    expect(sim.status().contact).toBe('isolated');
  });
});
