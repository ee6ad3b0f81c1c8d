/**
 * A testbed agent: one process inside one plant host (a network namespace, or a Docker
 * container) that runs simulated devices and client actions on request, so every packet
 * really comes from that host's addresses. Requests and replies are JSON lines:
 *
 *   stdin  {"id":1,"op":"modbusRead","args":{...}}   stdout {"id":1,"ok":true,"result":{...}}
 *
 * Modes: no arguments = the stdin/stdout channel (the netns testbed spawns it with
 * `ip netns exec`); `--start plc,opcua,mqtt --control PATH` starts devices at boot and also
 * answers on a unix socket (Docker services); `--call PATH JSON` sends one request to such a
 * socket and prints the reply (`docker compose exec`).
 */
import net from 'node:net';
import readline from 'node:readline';
import { startChillerPlc, freePort, CHILLER_SETPOINT, type ChillerPlc } from './chiller-plc';
import { startDeviceTap, type DeviceTap } from './device-tap';
import { exceptionCode, ModbusWire, pdu, registers } from './modbus-wire';
import { PLANT, hostByName } from './scenarios';

type Args = Record<string, unknown>;

const devices: { plc?: { plc: ChillerPlc; tap: DeviceTap }; opcua?: import('./chiller-opcua').ChillerOpcua; mqtt?: import('./mqtt-broker').TestbedBroker } = {};

const num = (a: Args, k: string, d?: number): number => {
  const v = a[k] ?? d;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`argument ${k} must be a number`);
  return v;
};
const str = (a: Args, k: string, d?: string): string => {
  const v = a[k] ?? d;
  if (typeof v !== 'string') throw new Error(`argument ${k} must be a string`);
  return v;
};

async function connect(a: Args): Promise<ModbusWire> {
  const w = await ModbusWire.connect(str(a, 'host'), num(a, 'port', 502), a.local as string | undefined, num(a, 'connectMs', 2000));
  if (typeof w === 'string') throw Object.assign(new Error(`connect: ${w}`), { outcome: w });
  return w;
}

function describe(r: Awaited<ReturnType<ModbusWire['request']>>): Record<string, unknown> {
  if (r.kind !== 'pdu') return { outcome: r.kind };
  const ex = exceptionCode(r.pdu);
  return ex === null ? { outcome: 'response', fc: r.pdu[0], values: registers(r.pdu) } : { outcome: 'exception', fc: r.pdu[0], exception: ex };
}

const ops: Record<string, (a: Args) => Promise<unknown>> = {
  async startDevices(a) {
    const want = String(a.devices ?? 'plc,opcua,mqtt').split(',');
    const started: string[] = [];
    for (const d of PLANT.devices) {
      const host = hostByName(d.host);
      if (d.kind === 'modbus-plc' && want.includes('plc') && !devices.plc) {
        // The simulated PLC listens on loopback; the tap on the device address is its network port.
        const plc = await startChillerPlc({ host: '127.0.0.1', port: await freePort('127.0.0.1') });
        const tap = await startDeviceTap({ host: host.address, port: d.port }, { host: plc.host, port: plc.port });
        devices.plc = { plc, tap };
        started.push(`${d.host} ${host.address}:${d.port}`);
      } else if (d.kind === 'opcua-server' && want.includes('opcua') && !devices.opcua) {
        devices.opcua = await (await import('./chiller-opcua')).startChillerOpcua({ host: host.address, port: d.port });
        started.push(`${d.host} ${host.address}:${d.port}`);
      } else if (d.kind === 'mqtt-broker' && want.includes('mqtt') && !devices.mqtt) {
        devices.mqtt = await (await import('./mqtt-broker')).startMqttBroker({ host: host.address, port: d.port });
        started.push(`${d.host} ${host.address}:${d.port}`);
      }
    }
    return { started };
  },

  /** Ground truth at the devices. */
  async deviceState() {
    const p = devices.plc;
    return {
      plc: p && {
        setpoint: p.plc.holding[CHILLER_SETPOINT],
        writes: p.plc.writes.slice(-20),
        writeCount: p.plc.writes.length,
        peers: [...new Set(p.tap.record.peers)],
        connections: p.tap.record.peers.length,
        requests: p.tap.record.requests,
        byFunction: { ...p.tap.record.byFunction },
        byUnit: { ...p.tap.record.byUnit },
      },
      opcua: devices.opcua && { setpoint: devices.opcua.setpoint(), writes: devices.opcua.writes.slice(-20) },
      mqtt: devices.mqtt && { subscriptions: devices.mqtt.subscriptions.slice(-50) },
    };
  },

  /** TCP connect only: did the SYN get an answer? */
  async tcpProbe(a) {
    const w = await ModbusWire.connect(str(a, 'host'), num(a, 'port'), a.local as string | undefined, num(a, 'timeoutMs', 1500));
    if (typeof w === 'string') return { outcome: w };
    w.close();
    return { outcome: 'connected' };
  },

  async modbusRead(a) {
    const w = await connect(a).catch((e: { outcome?: string; message: string }) => e.outcome ?? e.message);
    if (typeof w === 'string') return { outcome: w };
    try {
      const body = str(a, 'table', 'holding') === 'input' ? pdu.readInput(num(a, 'addr'), num(a, 'n', 1)) : pdu.readHolding(num(a, 'addr'), num(a, 'n', 1));
      return describe(await w.request(num(a, 'unit', 1), body, num(a, 'timeoutMs', 2000)));
    } finally {
      w.close();
    }
  },

  async modbusWrite(a) {
    const w = await connect(a).catch((e: { outcome?: string; message: string }) => e.outcome ?? e.message);
    if (typeof w === 'string') return { outcome: w };
    try {
      return describe(await w.request(num(a, 'unit', 1), pdu.writeRegister(num(a, 'addr'), num(a, 'value')), num(a, 'timeoutMs', 2000)));
    } finally {
      w.close();
    }
  },

  async modbusPdu(a) {
    const w = await connect(a).catch((e: { outcome?: string; message: string }) => e.outcome ?? e.message);
    if (typeof w === 'string') return { outcome: w };
    try {
      const which = str(a, 'pdu');
      const body = which === 'restart' ? pdu.restartComms() : which === 'device-id' ? pdu.deviceId() : null;
      if (body === null) throw new Error(`unknown pdu ${which}`);
      return describe(await w.request(num(a, 'unit', 1), body, num(a, 'timeoutMs', 2000)));
    } finally {
      w.close();
    }
  },

  /** FC 3 on unit ids from..to, reconnecting when the gateway closes the connection. */
  async unitSweep(a) {
    const answered: number[] = [];
    const exceptions: Record<string, number> = {};
    let closed = 0;
    let timeouts = 0;
    let w: ModbusWire | null = null;
    for (let unit = num(a, 'from', 1); unit <= num(a, 'to', 247); unit++) {
      if (w === null || w.closed) {
        w?.close();
        w = await connect(a).catch(() => null);
        if (w === null) return { outcome: 'connect-failed', answered, exceptions, closed, timeouts, at: unit };
      }
      const r = describe(await w.request(unit, pdu.readHolding(0, 1), num(a, 'timeoutMs', 1000)));
      if (r.outcome === 'response') answered.push(unit);
      else if (r.outcome === 'exception') exceptions[String(r.exception)] = (exceptions[String(r.exception)] ?? 0) + 1;
      else if (r.outcome === 'closed') closed++;
      else timeouts++;
    }
    w?.close();
    return { outcome: 'done', answered, exceptions, closed, timeouts };
  },

  /** `count` requests pipelined in bursts over `windowMs`, then wait briefly for replies. */
  async flood(a) {
    const count = Math.min(num(a, 'count', 2000), 10_000);
    const windowMs = Math.min(num(a, 'windowMs', 4000), 5000);
    const bursts = 20;
    const perBurst = Math.ceil(count / bursts);
    let sent = 0;
    let reconnects = 0;
    const replies: Buffer[] = [];
    let w: ModbusWire | null = null;
    const t0 = Date.now();
    for (let b = 0; b < bursts && sent < count; b++) {
      if (w === null || w.closed) {
        if (w) replies.push(...w.unmatched);
        w?.close();
        w = await connect(a).catch(() => null);
        if (w === null) break;
        reconnects++;
      }
      for (let i = 0; i < perBurst && sent < count; i++) if (w.send(num(a, 'unit', 1), pdu.writeRegister(num(a, 'addr'), num(a, 'value')))) sent++;
      await new Promise((r) => setTimeout(r, windowMs / bursts));
    }
    const elapsedMs = Date.now() - t0;
    await new Promise((r) => setTimeout(r, 300));
    if (w) replies.push(...w.unmatched);
    w?.close();
    const exceptions: Record<string, number> = {};
    let ok = 0;
    for (const p of replies) {
      const ex = exceptionCode(p);
      if (ex === null) ok++;
      else exceptions[String(ex)] = (exceptions[String(ex)] ?? 0) + 1;
    }
    return { sent, elapsedMs, connections: reconnects, replies: replies.length, okReplies: ok, exceptions };
  },

  async opcuaWrite(a) {
    const { opcuaWrite } = await import('./chiller-opcua');
    return { status: await opcuaWrite(str(a, 'endpoint'), str(a, 'nodeId'), num(a, 'value'), num(a, 'timeoutMs', 4000)) };
  },

  async mqttSubscribe(a) {
    const { mqttSubscribe } = await import('./mqtt-broker');
    return { outcome: await mqttSubscribe(str(a, 'host'), num(a, 'port', 1883), str(a, 'local'), str(a, 'topic'), num(a, 'timeoutMs', 3000)) };
  },
};

async function handle(line: string): Promise<string> {
  let id: unknown = null;
  try {
    const req = JSON.parse(line) as { id?: unknown; op?: unknown; args?: Args };
    id = req.id ?? null;
    const fn = typeof req.op === 'string' ? ops[req.op] : undefined;
    if (!fn) throw new Error(`unknown op ${String(req.op)}`);
    return JSON.stringify({ id, ok: true, result: await fn(req.args ?? {}) });
  } catch (err) {
    return JSON.stringify({ id, ok: false, error: err instanceof Error ? err.message : String(err) });
  }
}

async function shutdown(): Promise<void> {
  await Promise.allSettled([devices.plc?.tap.close(), devices.plc?.plc.close(), devices.opcua?.close(), devices.mqtt?.close()]);
}

function serveStdio(): void {
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (line) => void handle(line).then((out) => process.stdout.write(`${out}\n`)));
  rl.on('close', () => void shutdown().then(() => process.exit(0)));
  process.stdout.write(`${JSON.stringify({ id: 0, ok: true, result: { ready: process.pid } })}\n`);
}

function serveControl(path: string): void {
  net
    .createServer((s) => {
      const rl = readline.createInterface({ input: s });
      rl.on('line', (line) => void handle(line).then((out) => s.write(`${out}\n`)));
      s.on('error', () => undefined);
    })
    .listen(path);
}

function call(path: string, json: string): void {
  const s = net.connect(path, () => s.write(`${json}\n`));
  readline.createInterface({ input: s }).once('line', (line) => {
    process.stdout.write(`${line}\n`);
    s.destroy();
  });
  s.on('error', (err) => {
    process.stderr.write(`agent call: ${err.message}\n`);
    process.exit(1);
  });
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i === -1 ? undefined : argv[i + 1];
  };
  const callPath = opt('--call');
  if (callPath !== undefined) call(callPath, argv[argv.indexOf('--call') + 2] ?? '{}');
  else {
    const stop = () => void shutdown().then(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    const start = opt('--start');
    const control = opt('--control');
    if (start !== undefined) void ops.startDevices!({ devices: start }).then((r) => process.stdout.write(`${JSON.stringify(r)}\n`));
    if (control !== undefined) serveControl(control);
    else serveStdio();
  }
}
