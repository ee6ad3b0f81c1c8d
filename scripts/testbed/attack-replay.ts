/**
 * The attack replay: every scenario of scripts/testbed/scenarios.ts run against a plant (the
 * network-namespace testbed, or the Docker one), judged by what arrived at the device and what
 * the kernel counted — not by otgate's own log. Allowed traffic runs in the same pass.
 *
 *   node dist/scripts/testbed/netns/run.js          # namespaces (root), builds and tears down
 *   node dist/scripts/testbed/attack-replay.js --docker   # against `docker compose up` (see docs/testbed.md)
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { ProtocolName } from '../../daemon/pipeline/contract';
import { agentOver, type Agent } from './agent-client';
import { repoRoot } from './repo-root';
import { PLANT, SCENARIOS, hostByName, type Scenario } from './scenarios';

export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface DeviceState {
  plc?: { setpoint: number; writeCount: number; writes: { address: number; value: number }[]; peers: string[]; connections: number; requests: number; byFunction: Record<string, number>; byUnit: Record<string, number> };
  opcua?: { setpoint: number; writes: unknown[] };
  mqtt?: { subscriptions: { client: string; topic: string }[] };
}

/** What the replay needs from a plant, whichever way it is built. */
export interface PlantTransport {
  /** The agent running on the host (namespace / container) that carries this plant host. */
  agentFor(host: string): Agent;
  deviceState(): Promise<DeviceState>;
  /** The otgate command line on the gateway (e.g. ['firewall', 'island', 'on']). */
  otgate(args: readonly string[]): Promise<ExecResult>;
  /** Kernel drop counters on the gateway (default: `otgate firewall status --json`). */
  drops?(): Promise<{ input: number; forward: number; island: number }>;
  /** Is the gateway daemon still running? */
  gatewayAlive(): Promise<boolean>;
  /** Protocols that have a conduit in the running policy (others' scenarios are pending). */
  readonly active: ReadonlySet<ProtocolName>;
}

export interface ScenarioResult {
  readonly id: string;
  readonly kind: Scenario['kind'];
  readonly title: string;
  readonly status: 'pass' | 'fail' | 'pending';
  readonly evidence: readonly string[];
  readonly ms: number;
}

const addr = (host: string): string => hostByName(host).address;
const device = (name: string): { host: string; port: number } => {
  const d = PLANT.devices.find((x) => x.host === name)!;
  return { host: addr(name), port: d.port };
};
const listener = (conduit: string): { host: string; port: number } => {
  const c = PLANT.conduits.find((x) => x.name === conduit)!;
  return { host: PLANT.levels.find((l) => l.ns === c.from)!.gateway, port: c.port };
};
const j = (v: unknown): string => JSON.stringify(v);

type Check = (t: PlantTransport, ev: string[]) => Promise<boolean | 'pending'>;

/** A protocol without a conduit in this build: pending — but the kernel must still have stopped it. */
function pendingUnless(ev: string[], proto: string, stopped: boolean): 'pending' | false {
  ev.push(`pending: no ${proto} conduit in this build (no inspector); ${stopped ? 'meanwhile the kernel drops the connection' : 'and the traffic was NOT stopped'}`);
  return stopped ? 'pending' : false;
}

async function drops(t: PlantTransport): Promise<{ input: number; forward: number; island: number }> {
  if (t.drops) return t.drops();
  const r = await t.otgate(['firewall', 'status', '--json']);
  if (r.code !== 0) throw new Error(`firewall status failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { drops: { input: number; forward: number; island: number } }).drops;
}

const plcOf = async (t: PlantTransport): Promise<NonNullable<DeviceState['plc']>> => {
  const s = (await t.deviceState()).plc;
  if (!s) throw new Error('the PLC is not running');
  return s;
};

const PLC = device('chiller-plc');
const SETPOINT = 100;
const refused = (r: Record<string, unknown>): boolean => r.outcome === 'exception' || r.outcome === 'closed';

const checks: Record<string, Check> = {
  async 'allowed-hmi-read'(t, ev) {
    const before = await plcOf(t);
    const r = await t.agentFor('hmi-1').call('modbusRead', { ...PLC, local: addr('hmi-1'), addr: SETPOINT });
    const after = await plcOf(t);
    ev.push(`hmi-1 → ${PLC.host}:${PLC.port} FC 3 HR ${SETPOINT}: ${j(r)}`, `PLC: setpoint ${after.setpoint}, requests ${before.requests} → ${after.requests}, peers ${j(after.peers)}`);
    return r.outcome === 'response' && j(r.values) === j([before.setpoint]) && after.requests > before.requests && !after.peers.includes(addr('hmi-1'));
  },

  async 'allowed-hmi-write'(t, ev) {
    const r = await t.agentFor('hmi-1').call('modbusWrite', { ...PLC, local: addr('hmi-1'), addr: SETPOINT, value: 200 });
    const s = await plcOf(t);
    ev.push(`hmi-1 FC 6 HR ${SETPOINT} = 200: ${j(r)}`, `PLC: setpoint ${s.setpoint}, last write ${j(s.writes.at(-1))}`);
    return r.outcome === 'response' && s.setpoint === 200;
  },

  async 'allowed-historian-read'(t, ev) {
    const l = listener('historian-chiller-plc');
    const r = await t.agentFor('historian').call('modbusRead', { ...l, local: addr('historian'), table: 'input', addr: 0, n: 4 });
    ev.push(`historian → ${l.host}:${l.port} FC 4 IR 0..3: ${j(r)}`);
    return r.outcome === 'response' && j(r.values) === j([172, 221, 340, 63]);
  },

  async 'allowed-scada-subscribe'(t, ev) {
    const d = device('mqtt-broker');
    const r = await t.agentFor('scada-1').call('mqttSubscribe', { ...d, local: addr('scada-1'), topic: 'fab/+/+/telemetry', timeoutMs: 3000 }, 20_000);
    const s = (await t.deviceState()).mqtt;
    const seen = (s?.subscriptions ?? []).some((x) => x.topic === 'fab/+/+/telemetry');
    ev.push(`scada-1 → ${d.host}:${d.port} SUBSCRIBE fab/+/+/telemetry: ${j(r)}`, `broker saw it: ${seen}`);
    if (!t.active.has('mqtt')) {
      ev.push('pending: no mqtt conduit in this build (no inspector)');
      return 'pending';
    }
    return r.outcome === 'granted [0]' && seen;
  },

  async 'bypass-direct'(t, ev) {
    const d0 = await drops(t);
    const p0 = await plcOf(t);
    const ews = t.agentFor('ews-1');
    const noConduit = PLANT.devices.filter((d) => !PLANT.conduits.some((c) => c.from === 'ops' && c.device === d.host)).map((d) => ({ name: d.host, ...device(d.host) }));
    const outcomes = await Promise.all(noConduit.map((x) => ews.call('tcpProbe', { host: x.host, port: x.port, local: addr('ews-1'), timeoutMs: 1500 })));
    const plcRead = await ews.call('modbusRead', { ...PLC, local: addr('ews-1'), addr: SETPOINT });
    const d1 = await drops(t);
    const p1 = await plcOf(t);
    noConduit.forEach((x, i) => ev.push(`ews-1 → ${x.name} ${x.host}:${x.port}: ${j(outcomes[i])}`));
    ev.push(`ews-1 → chiller-plc ${PLC.host}:${PLC.port} FC 3 (steered to the historian conduit, ews-1 not its client): ${j(plcRead)}`);
    ev.push(`kernel forward drops ${d0.forward} → ${d1.forward}`, `PLC requests ${p0.requests} → ${p1.requests}, peers ${j(p1.peers)}`);
    return noConduit.length > 0 && outcomes.every((o) => o.outcome === 'timeout') && d1.forward >= d0.forward + noConduit.length && refused(plcRead) && p1.requests === p0.requests && !p1.peers.some((p) => p.startsWith('10.30.'));
  },

  async 'wrong-zone-listener'(t, ev) {
    const l = listener('hmi-chiller-plc');
    const d0 = await drops(t);
    const p0 = await plcOf(t);
    const r = await t.agentFor('ews-1').call('tcpProbe', { ...l, local: addr('ews-1'), timeoutMs: 1500 });
    const d1 = await drops(t);
    const p1 = await plcOf(t);
    ev.push(`ews-1 → ${l.host}:${l.port} (supervisory listener): ${j(r)}`, `kernel input drops ${d0.input} → ${d1.input}`, `PLC requests ${p0.requests} → ${p1.requests}`);
    return r.outcome === 'timeout' && d1.input > d0.input && p1.requests === p0.requests;
  },

  async 'unlisted-client'(t, ev) {
    const p0 = await plcOf(t);
    const r = await t.agentFor('rogue').call('modbusRead', { ...PLC, local: addr('rogue'), addr: SETPOINT });
    const p1 = await plcOf(t);
    ev.push(`rogue ${addr('rogue')} FC 3 HR ${SETPOINT}: ${j(r)}`, `PLC requests ${p0.requests} → ${p1.requests}`);
    return refused(r) && p1.requests === p0.requests;
  },

  async 'forbidden-write'(t, ev) {
    const p0 = await plcOf(t);
    const r = await t.agentFor('hmi-1').call('modbusWrite', { ...PLC, local: addr('hmi-1'), addr: SETPOINT, value: 600 });
    const p1 = await plcOf(t);
    ev.push(`hmi-1 FC 6 HR ${SETPOINT} = 600 (60.0 °C): ${j(r)}`, `PLC setpoint ${p0.setpoint} → ${p1.setpoint}, writes ${p0.writeCount} → ${p1.writeCount}`);
    return refused(r) && p1.setpoint === p0.setpoint && p1.writeCount === p0.writeCount;
  },

  async 'fc8-restart'(t, ev) {
    const p0 = await plcOf(t);
    const r = await t.agentFor('hmi-1').call('modbusPdu', { ...PLC, local: addr('hmi-1'), pdu: 'restart' });
    const p1 = await plcOf(t);
    ev.push(`hmi-1 FC 8/1 restart: ${j(r)}`, `PLC FC 8 seen: ${p1.byFunction['8'] ?? 0} (before ${p0.byFunction['8'] ?? 0}), requests ${p0.requests} → ${p1.requests}`);
    return refused(r) && (p1.byFunction['8'] ?? 0) === (p0.byFunction['8'] ?? 0) && p1.requests === p0.requests;
  },

  async 'unit-id-sweep'(t, ev) {
    const p0 = await plcOf(t);
    const hmi = t.agentFor('hmi-1');
    const sweep = await hmi.call<{ answered: number[]; exceptions: Record<string, number>; closed: number; timeouts: number; outcome: string }>('unitSweep', { ...PLC, local: addr('hmi-1'), from: 1, to: 247, timeoutMs: 1000 }, 60_000);
    const id = await hmi.call('modbusPdu', { ...PLC, local: addr('hmi-1'), pdu: 'device-id' });
    const p1 = await plcOf(t);
    const units = Object.keys(p1.byUnit).filter((u) => (p1.byUnit[u] ?? 0) !== (p0.byUnit[u] ?? 0));
    ev.push(`sweep 1..247: answered ${j(sweep.answered)}, exceptions ${j(sweep.exceptions)}, closed ${sweep.closed}, timeouts ${sweep.timeouts}`, `FC 43/14: ${j(id)}`, `PLC saw units ${j(units)}; FC 43 seen ${p1.byFunction['43'] ?? 0}`);
    return j(sweep.answered) === j([1]) && units.every((u) => u === '1') && refused(id) && (p1.byFunction['43'] ?? 0) === (p0.byFunction['43'] ?? 0);
  },

  async 'opcua-write-setpoint'(t, ev) {
    const d = device('chiller-opcua');
    const s0 = (await t.deviceState()).opcua;
    const r = await t.agentFor('hmi-1').call('opcuaWrite', { endpoint: `opc.tcp://${d.host}:${d.port}`, nodeId: 'ns=2;s=Chiller.Setpoint', value: 60, timeoutMs: 4000 }, 20_000);
    const s1 = (await t.deviceState()).opcua;
    ev.push(`hmi-1 → OPC UA Write Chiller.Setpoint = 60: ${j(r)}`, `server setpoint ${s0?.setpoint} → ${s1?.setpoint}, writes at the server ${s1?.writes.length ?? 0}`);
    const stopped = r.status !== 'Good' && s1 !== undefined && s1.setpoint === s0?.setpoint && s1.writes.length === (s0?.writes.length ?? 0);
    return t.active.has('opcua') ? stopped : pendingUnless(ev, 'opcua', stopped);
  },

  async 'mqtt-wildcard'(t, ev) {
    const d = device('mqtt-broker');
    const s0 = (await t.deviceState()).mqtt;
    const [wild, stranger] = await Promise.all([
      t.agentFor('scada-1').call('mqttSubscribe', { ...d, local: addr('scada-1'), topic: '#', timeoutMs: 3000 }, 20_000),
      t.agentFor('hmi-1').call('mqttSubscribe', { ...d, local: addr('hmi-1'), topic: 'fab/+/+/telemetry', timeoutMs: 3000 }, 20_000),
    ]);
    const s1 = (await t.deviceState()).mqtt;
    const count = (s: DeviceState['mqtt']) => (s?.subscriptions ?? []).length;
    const wildSeen = (s1?.subscriptions ?? []).filter((x) => x.topic === '#').length;
    ev.push(`scada-1 SUBSCRIBE "#": ${j(wild)}`, `hmi-1 (not a client of the MQTT conduit) CONNECT + SUBSCRIBE: ${j(stranger)}`, `broker: "#" subscriptions ${wildSeen}; subscriptions ${count(s0)} → ${count(s1)}`);
    const stopped = s1 !== undefined && wildSeen === 0 && count(s1) === count(s0) && !/granted \[[012]\]/.test(String(wild.outcome)) && !/granted \[[012]\]/.test(String(stranger.outcome));
    return t.active.has('mqtt') ? stopped : pendingUnless(ev, 'mqtt', stopped);
  },

  async flood(t, ev) {
    const p0 = await plcOf(t);
    const f = await t.agentFor('hmi-1').call<{ sent: number; elapsedMs: number; replies: number; okReplies: number; exceptions: Record<string, number>; connections: number }>('flood', { ...PLC, local: addr('hmi-1'), count: 2000, windowMs: 4000, addr: SETPOINT, value: 600 }, 30_000);
    const after = await t.agentFor('hmi-2').call('modbusRead', { ...PLC, local: addr('hmi-2'), addr: SETPOINT });
    const p1 = await plcOf(t);
    const alive = await t.gatewayAlive();
    ev.push(`flood: sent ${f.sent} FC 6 (= 600) in ${f.elapsedMs} ms over ${f.connections} connection(s); replies ${f.replies} (ok ${f.okReplies}, exceptions ${j(f.exceptions)})`, `PLC writes ${p0.writeCount} → ${p1.writeCount}, setpoint ${p1.setpoint}`, `hmi-2 read after the flood: ${j(after)}; gateway alive: ${alive}`);
    return f.sent === 2000 && f.elapsedMs <= 5000 && f.okReplies === 0 && p1.writeCount === p0.writeCount && p1.setpoint === p0.setpoint && after.outcome === 'response' && alive;
  },

  async island(t, ev) {
    const on = await t.otgate(['firewall', 'island', 'on']);
    ev.push(`otgate firewall island on: exit ${on.code} ${on.stdout.trim()}${on.stderr.trim()}`);
    try {
      const p0 = await plcOf(t);
      const d0 = await drops(t);
      const [hmi, hist] = await Promise.all([
        t.agentFor('hmi-1').call('modbusRead', { ...PLC, local: addr('hmi-1'), addr: SETPOINT, connectMs: 1500, timeoutMs: 1500 }),
        t.agentFor('historian').call('modbusRead', { ...listener('historian-chiller-plc'), local: addr('historian'), table: 'input', addr: 0, n: 4, connectMs: 1500, timeoutMs: 1500 }),
      ]);
      const p1 = await plcOf(t);
      const d1 = await drops(t);
      ev.push(`island on: hmi-1 read ${j(hmi)}; historian read ${j(hist)}`, `island drops ${d0.island} → ${d1.island}; PLC requests ${p0.requests} → ${p1.requests}`);
      const cut = hmi.outcome !== 'response' && hist.outcome !== 'response' && d1.island > d0.island && p1.requests === p0.requests;
      const off = await t.otgate(['firewall', 'island', 'off']);
      const back = await t.agentFor('hmi-1').call('modbusRead', { ...PLC, local: addr('hmi-1'), addr: SETPOINT });
      ev.push(`otgate firewall island off: exit ${off.code}; hmi-1 read after: ${j(back)}`);
      return on.code === 0 && cut && off.code === 0 && back.outcome === 'response';
    } finally {
      await t.otgate(['firewall', 'island', 'off']); // never leave the plant islanded by accident
    }
  },
};

export async function runReplay(t: PlantTransport, print: (line: string) => void = () => undefined): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const s of SCENARIOS) {
    const ev: string[] = [];
    const t0 = Date.now();
    let status: ScenarioResult['status'];
    try {
      const ok = await checks[s.id]!(t, ev);
      status = ok === 'pending' ? 'pending' : ok ? 'pass' : 'fail';
    } catch (err) {
      ev.push(`error: ${err instanceof Error ? err.message : String(err)}`);
      status = 'fail';
    }
    const r: ScenarioResult = { id: s.id, kind: s.kind, title: s.title, status, evidence: ev, ms: Date.now() - t0 };
    results.push(r);
    print(`${status.toUpperCase().padEnd(7)} ${s.kind.padEnd(7)} ${s.id} — ${s.title} (${r.ms} ms)`);
    for (const e of ev) print(`          ${e}`);
  }
  const n = (st: ScenarioResult['status']) => results.filter((r) => r.status === st).length;
  print(`replay: ${n('pass')} passed, ${n('fail')} failed, ${n('pending')} pending`);
  return results;
}

/** Scenario ids the replay knows: kept in step with SCENARIOS by test/testbed/scenarios.test.ts. */
export const CHECKED_SCENARIOS: readonly string[] = Object.keys(checks);

// ---- Docker: agents via `docker compose exec`, devices via their control sockets. ----

const COMPOSE = ['compose', '-f', path.join(repoRoot(), 'testbed', 'docker-compose.yml')];
const AGENT_JS = 'dist/scripts/testbed/agent.js';
export const DOCKER_CONTROL_SOCKET = '/run/otgate-testbed-agent.sock';

function docker(args: readonly string[]): Promise<ExecResult> {
  return new Promise((resolve) => {
    const c = spawn('docker', [...COMPOSE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

export function dockerTransport(active: ReadonlySet<ProtocolName>): PlantTransport & { close(): void } {
  const agents = new Map<string, { agent: Agent; kill: () => void }>();
  const agentFor = (host: string): Agent => {
    const service = hostByName(host).service;
    let a = agents.get(service);
    if (!a) {
      const child = spawn('docker', [...COMPOSE, 'exec', '-T', service, 'node', AGENT_JS], { stdio: ['pipe', 'pipe', 'pipe'] });
      a = { agent: agentOver(child, service), kill: () => child.kill('SIGTERM') };
      agents.set(service, a);
    }
    return a.agent;
  };
  const call = async (service: string, op: string): Promise<Record<string, unknown>> => {
    const r = await docker(['exec', '-T', service, 'node', AGENT_JS, '--call', DOCKER_CONTROL_SOCKET, JSON.stringify({ id: 1, op })]);
    const msg = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { result?: Record<string, unknown> };
    return msg.result ?? {};
  };
  return {
    active,
    agentFor,
    async deviceState() {
      const parts = await Promise.all(PLANT.devices.map((d) => call(hostByName(d.host).service, 'deviceState')));
      return Object.assign({}, ...parts.map((p) => Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined && v !== null)))) as DeviceState;
    },
    otgate: (args) => docker(['exec', '-T', 'otgate', 'node', 'dist/daemon/main.js', ...args]),
    gatewayAlive: async () => (await docker(['exec', '-T', 'otgate', 'true'])).code === 0,
    close: () => {
      for (const a of agents.values()) a.kill();
    },
  };
}

if (require.main === module) {
  if (!process.argv.includes('--docker')) {
    process.stderr.write('usage: attack-replay.js --docker   (the namespace testbed: node dist/scripts/testbed/netns/run.js)\n');
    process.exit(2);
  }
  const active = new Set<ProtocolName>((process.env.OTGATE_TESTBED_PROTOCOLS ?? 'modbus').split(',') as ProtocolName[]);
  const t = dockerTransport(active);
  void runReplay(t, (l) => process.stdout.write(`${l}\n`)).then(
    (rs) => {
      t.close();
      process.exit(rs.some((r) => r.status === 'fail') ? 1 : 0);
    },
    (err: Error) => {
      t.close();
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    },
  );
}
