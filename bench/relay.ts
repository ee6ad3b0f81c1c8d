/**
 * Measure 7 — relay trip latency. (a) A violating frame (a denied setpoint write to the
 * safety-critical chiller; trip rule `denied_writes: { count: 1 }`) → relay command, from the
 * daemon's own relay audit rows (trigger = frame arrival, command = sent to the driver,
 * confirmed = feedback contact read back), with 16 clients polling through the gateway meanwhile.
 * (b) Daemon killed (-9) → the simulated relay's watchdog opens the contact (heartbeat 50 ms,
 * watchdog timeout 400 ms: the figure is dominated by the configured timeout, by design).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { AuditStore } from '../daemon/audit/store';
import { controlRequest } from '../daemon/control/client';
import { RelaySimulator } from '../hw/sim/simulator';
import { freePort, startGateway, type BenchGateway } from './lib/gateway';
import { BENCH } from './lib/policy';
import { sleep, startPeer } from './lib/proc';
import { Histogram, round, summarize } from './lib/stats';
import type { BenchContext, BenchResult } from './lib/types';
import { requestFor } from './peers/modbus-load';

const WATCHDOG_MS = 400;

const policy = (listenPort: number, plcPort: number, simSocket: string) => `
version: 1
site: bench-relay
defaults: { mode: enforce, audit: { allowed: none } }
relay:
  driver: sim
  sim: { socket: ${simSocket} }
  heartbeat_ms: 50
  watchdog_timeout_ms: ${WATCHDOG_MS}
  feedback_timeout_ms: 300
  feedback_poll_ms: 200
  trip:
    - name: chiller-write
      assets: safety_critical
      denied_writes: { count: 1, within_s: 10 }
zones:
  - { name: supervisory, level: 2, networks: [127.0.20.0/24] }
  - { name: control, level: 1, networks: [127.0.10.0/24] }
assets:
  - { name: hmi-1, zone: supervisory, address: ${BENCH.client} }
  - { name: chiller-plc, zone: control, address: ${BENCH.plcHost}, safety_critical: true }
conduits:
  - name: hmi-chiller
    from_zone: supervisory
    to_zone: control
    protocol: modbus
    listen: ${BENCH.gatewayHost}:${listenPort}
    upstream: { asset: chiller-plc, port: ${plcPort} }
    limits: { max_connections: 64, max_connections_per_client: 64 }
    rules:
      - name: hmi-setpoint
        clients: [hmi-1]
        modbus:
          unit_ids: [1]
          functions: [read_holding_registers, write_single_register, write_multiple_registers]
          read: { holding_registers: ["0-199"] }
          write: { holding_registers: [{ range: "100-109", min: 50, max: 250 }] }
`;

/** FC 6 write of 600 to register 100 (outside 50..250): denied, and a trip. */
const violating = (tid: number): Buffer => Buffer.from([tid >> 8, tid & 255, 0, 0, 0, 6, 1, 6, 0, 100, 600 >> 8, 600 & 255]);

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await sleep(2);
  }
  return cond();
}

function background(port: number, n: number): () => void {
  const socks: net.Socket[] = [];
  let stop = false;
  for (let i = 0; i < n; i++) {
    const s = net.connect({ host: BENCH.gatewayHost, port, localAddress: BENCH.client, noDelay: true });
    let tid = 0;
    const send = () => !stop && s.write(requestFor(3, (tid = (tid + 1) & 0xffff)));
    s.on('connect', send);
    s.on('data', send);
    s.on('error', () => {});
    socks.push(s);
  }
  return () => {
    stop = true;
    for (const s of socks) s.destroy();
  };
}

export async function benchRelay(ctx: BenchContext): Promise<BenchResult> {
  const trips = Number(process.env.BENCH_RELAY_TRIPS ?? 100);
  const simDir = mkdtempSync(path.join(os.tmpdir(), 'otgate-bench-sim-'));
  const simSocket = path.join(simDir, 'relay.sock');
  const sim = await RelaySimulator.start({ socket: simSocket, timeoutMs: WATCHDOG_MS });
  const server = await startPeer<{ port: number }>('modbus-server', [BENCH.plcHost, '0']);
  const port = await freePort(BENCH.gatewayHost);
  const text = policy(port, server.ready.port, simSocket);
  let gw: BenchGateway | null = null;
  const cmd = new Histogram();
  const confirm = new Histogram();
  const kills: number[] = [];
  try {
    gw = await startGateway(text);
    const sock = path.join(gw.dir, 'otgate.sock');
    const restore = () => controlRequest(sock, 'relay.restore', { reason: 'benchmark: trip measured', actor: 'bench' });
    if (!(await until(() => sim.status().contact === 'connected', 5000))) await restore();
    await until(() => sim.status().contact === 'connected', 5000);
    const stopLoad = background(port, 16);
    const attacker = net.connect({ host: BENCH.gatewayHost, port, localAddress: BENCH.client, noDelay: true });
    attacker.on('error', () => {});
    await new Promise((r) => attacker.once('connect', r));
    await sleep(500);
    for (let i = 0; i < trips; i++) {
      attacker.write(violating(i + 1));
      if (!(await until(() => sim.status().contact === "isolated", 3000))) throw new Error(`trip ${i + 1} did not open the relay: ${JSON.stringify(sim.status())}\n${gw!.child.output().slice(-3000)}`);
      await restore();
      if (!(await until(() => sim.status().contact === 'connected', 3000))) throw new Error('restore did not close the relay');
    }
    stopLoad();
    attacker.destroy();
    await gw.child.stop('SIGTERM'); // flushes the audit store
    const store = AuditStore.open(path.join(gw.dir, 'audit.db'));
    const rows = store.relayEvents({}).filter((r) => r.kind === 'trip' && r.cause?.startsWith('policy:') && r.triggerTs !== null && r.commandTs !== null);
    store.close();
    for (const r of rows) {
      cmd.add((r.commandTs! - r.triggerTs!) * 1e6);
      if (r.confirmedTs !== null) confirm.add((r.confirmedTs - r.triggerTs!) * 1e6);
    }
    ctx.log(`${rows.length} policy trips: frame → command p50 ${summarize(cmd).p50} µs, p99 ${summarize(cmd).p99} µs`);
    rmSync(gw.dir, { recursive: true, force: true });
    gw = null;
    // Daemon killed → watchdog opens the contact.
    for (let k = 0; k < 3; k++) {
      gw = await startGateway(text);
      const s = path.join(gw.dir, 'otgate.sock');
      if (!(await until(() => sim.status().contact === 'connected', 3000))) await controlRequest(s, 'relay.restore', { reason: 'benchmark: kill test', actor: 'bench' });
      await until(() => sim.status().contact === 'connected', 3000);
      await sleep(300);
      const killedAt = Date.now();
      gw.child.proc.kill('SIGKILL');
      await until(() => sim.status().contact === 'isolated', WATCHDOG_MS * 5);
      const at = sim.status().watchdogTrippedAt;
      kills.push(at ? at - killedAt : NaN);
      ctx.log(`kill -9 → contact open after ${at ? at - killedAt : '?'} ms (watchdog timeout ${WATCHDOG_MS} ms)`);
      await gw.child.stop();
      rmSync(gw.dir, { recursive: true, force: true });
      gw = null;
    }
  } finally {
    if (gw) await gw.stop();
    await server.stop();
    await sim.stop();
    rmSync(simDir, { recursive: true, force: true });
  }
  const c = summarize(cmd);
  const f = summarize(confirm);
  return {
    name: 'relay',
    title: 'Relay trip latency (sim relay driver; 16 clients polling during the trips)',
    setup: { trips, heartbeatMs: 50, watchdogTimeoutMs: WATCHDOG_MS },
    data: { commandUs: c, confirmedUs: f, killToOpenMs: kills },
    table: {
      head: ['measure', 'n', 'p50', 'p99', 'max / values'],
      rows: [
        ['violating frame arrival → relay command', c.n, `${round(c.p50)} µs`, `${round(c.p99)} µs`, `${round(c.p999)} µs`],
        ['violating frame arrival → contact confirmed open (feedback read)', f.n, `${round(f.p50 / 1000, 2)} ms`, `${round(f.p99 / 1000, 2)} ms`, ''],
        [`daemon kill -9 → simulated relay open (watchdog ${WATCHDOG_MS} ms)`, kills.length, '', '', `${kills.join(', ')} ms`],
      ],
    },
    budget: [
      { what: 'relay command after the violating frame (p99)', target: '≤ 2 ms', reached: `${round(c.p99 / 1000, 3)} ms`, met: c.p99 <= 2000 },
    ],
  };
}
