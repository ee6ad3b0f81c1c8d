/**
 * How the golden captures under test/golden/<case>/ were recorded: real peers over loopback,
 * tcpdump on `lo` (root), then `otgate audit --json` on the capture gives expected.jsonl, which
 * is reviewed by hand (and spot-checked against tshark's Modbus dissector) before it is kept.
 *
 *   npm run build
 *   node dist/scripts/record-golden.js modbus-basic            # writes capture.pcap
 *   node dist/daemon/main.js audit --pcap test/golden/modbus-basic/capture.pcap --json \
 *     > test/golden/modbus-basic/expected.jsonl
 *
 * Peers: scripts/testbed/chiller-plc.ts (modbus-serial ServerTCP) on 127.0.0.21:502; a
 * modbus-serial ModbusRTU client from 127.0.0.11 (reads and writes), another from 127.0.0.12
 * (reads only) and a raw socket from 127.0.0.13 (FC 8 echo, FC 43 device id, an unknown
 * FC 65). The network-condition cases (mid-stream, lost segment, …) are synthesised from this
 * capture by test/golden/conditions.ts, not recorded.
 *
 * mqtt-aedes (MQTT 3.1.1): an aedes broker on 127.0.0.41:1883; MQTT.js "scada-1" from
 * 127.0.0.43 subscribes (QoS 1 and 0 filters), "pc-101" from 127.0.0.42 (user name, a retained
 * QoS 1 will) publishes telemetry at QoS 0 and 1 and a retained status, then both disconnect.
 * mqtt-mosquitto (MQTT 5): the same session against Debian's mosquitto on a free 127.0.0.1 port
 * (its own config in a temp dir), clients from 127.0.0.52 / 127.0.0.53: detected by content.
 * opcua-none: scripts/testbed/chiller-opcua.ts (node-opcua server, SecurityMode None) on
 * 127.0.0.61:4840 and a node-opcua client (see opcuaSession), PKI in temp dirs.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import ModbusRTU from 'modbus-serial';
import { MqttClient, type IClientOptions } from 'mqtt';
import { startChillerOpcua } from './testbed/chiller-opcua';
import { startChillerPlc } from './testbed/chiller-plc';
import { startMqttBroker } from './testbed/mqtt-broker';

const SERVER = '127.0.0.21';

async function client(local: string, port: number): Promise<ModbusRTU> {
  const c = new ModbusRTU();
  await c.connectTCP(SERVER, { port, localAddress: local } as never);
  c.setID(1);
  c.setTimeout(2000);
  return c;
}

const close = (c: ModbusRTU) => new Promise<void>((r) => c.close(() => r()));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function raw(local: string, port: number, frames: Buffer[]): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect({ host: SERVER, port, localAddress: local });
    let i = 0;
    const next = () => {
      if (i >= frames.length) {
        s.end();
        return;
      }
      s.write(frames[i++]!);
    };
    s.on('connect', next);
    s.on('data', () => setTimeout(next, 5));
    s.on('close', () => resolve());
    s.on('error', () => resolve());
    setTimeout(() => s.destroy(), 3000);
  });
}

function adu(tid: number, unit: number, pdu: number[]): Buffer {
  const b = Buffer.alloc(7 + pdu.length);
  b.writeUInt16BE(tid, 0);
  b.writeUInt16BE(pdu.length + 1, 4);
  b[6] = unit;
  Buffer.from(pdu).copy(b, 7);
  return b;
}

async function modbusBasic(port: number): Promise<void> {
  const a = await client('127.0.0.11', port);
  await a.readHoldingRegisters(0, 10);
  await a.readCoils(0, 8);
  await a.readInputRegisters(0, 4);
  await a.readDiscreteInputs(0, 8);
  for (const v of [200, 210, 190]) await a.writeRegister(100, v);
  await a.writeRegisters(100, [210, 1]);
  await a.writeCoil(3, true);
  await a.writeCoils(0, [true, false, true]);
  await a.readHoldingRegisters(100, 2);
  await close(a);
  const b = await client('127.0.0.12', port);
  for (let i = 0; i < 3; i++) await b.readHoldingRegisters(100, 2);
  await b.readInputRegisters(0, 4);
  await close(b);
  await raw('127.0.0.13', port, [
    adu(1, 1, [0x08, 0x00, 0x00, 0x12, 0x34]), // FC 8 return query data
    adu(2, 1, [0x2b, 0x0e, 0x01, 0x00]), // FC 43 MEI 14 read device id, basic
    adu(3, 1, [0x41, 0x01, 0x02]), // FC 65, user-defined
  ]);
}

/** A peer under test: start it, then the session to record; `port` is where the server listens. */
interface Case {
  readonly host: string;
  start(): Promise<{ port: number; close(): Promise<void> }>;
  session(port: number): Promise<void>;
}

async function mqttConnect(local: string, host: string, port: number, opts: IClientOptions): Promise<MqttClient> {
  const c = new MqttClient(() => net.connect({ host, port, localAddress: local }), { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
  await new Promise<void>((resolve, reject) => {
    c.once('connect', () => resolve());
    c.once('error', reject);
  });
  return c;
}

const mqttEnd = (c: MqttClient) => new Promise<void>((r) => c.end(false, {}, () => r()));

/** One publisher with a will and a user name, one subscriber; QoS 0 and 1, a retained publish. */
async function mqttSession(host: string, port: number, version: 4 | 5, pubFrom: string, subFrom: string): Promise<void> {
  const scada = await mqttConnect(subFrom, host, port, { protocolVersion: version, clientId: 'scada-1', clean: true });
  let delivered = 0;
  scada.on('message', () => delivered++);
  await scada.subscribeAsync({ 'plant/+/telemetry': { qos: 1 }, 'plant/alarms': { qos: 0 } });
  const pc = await mqttConnect(pubFrom, host, port, {
    protocolVersion: version, clientId: 'pc-101', username: 'pc-101', password: 'not-recorded-in-audit',
    will: { topic: 'plant/pc-101/status', payload: Buffer.from('offline'), qos: 1, retain: true },
  });
  for (let i = 0; i < 3; i++) await pc.publishAsync('plant/pc-101/telemetry', `{"particles":${10 + i}}`, { qos: 0 });
  for (let i = 0; i < 3; i++) await pc.publishAsync('plant/pc-101/telemetry', `{"particles":${20 + i}}`, { qos: 1 });
  await pc.publishAsync('plant/pc-101/status', 'online', { qos: 1, retain: true });
  for (let i = 0; i < 100 && delivered < 6; i++) await sleep(20);
  await mqttEnd(pc);
  await mqttEnd(scada);
}

async function startMosquitto(host: string): Promise<{ port: number; close(): Promise<void> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'otgate-record-mosq-'));
  chmodSync(dir, 0o755);
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, host, () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const conf = path.join(dir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} ${host}\nallow_anonymous true\npersistence false\nlog_dest stderr\nlog_type error\n`);
  chmodSync(conf, 0o644);
  const proc = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: 'ignore' });
  const exited = new Promise((r) => proc.once('exit', r));
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host, port }, () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (up) break;
    await sleep(50);
  }
  return {
    port,
    close: async () => {
      if (proc.exitCode === null && proc.pid !== undefined) process.kill(proc.pid, 'SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A SecurityMode None session from node-opcua's client: GetEndpoints, CreateSession /
 * ActivateSession (anonymous), Browse, Read of both chiller nodes, a Write of the setpoint,
 * CloseSession, CloseSecureChannel. Its PKI lives in a temp dir (XDG_CONFIG_HOME too).
 */
async function opcuaSession(host: string, port: number): Promise<void> {
  const pki = mkdtempSync(path.join(os.tmpdir(), 'otgate-record-ua-'));
  process.env.XDG_CONFIG_HOME = pki;
  const ua = await import('node-opcua');
  const clientCertificateManager = new ua.OPCUACertificateManager({ rootFolder: path.join(pki, 'pki'), automaticallyAcceptUnknownCertificate: true });
  const client = ua.OPCUAClient.create({
    endpointMustExist: false,
    securityMode: ua.MessageSecurityMode.None,
    securityPolicy: ua.SecurityPolicy.None,
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
    clientCertificateManager,
    applicationName: 'otgate-golden',
  });
  try {
    await client.connect(`opc.tcp://${host}:${port}`);
    const session = await client.createSession();
    await session.browse('ns=2;s=Chiller');
    await session.read([
      { nodeId: 'ns=2;s=Chiller.Setpoint', attributeId: ua.AttributeIds.Value },
      { nodeId: 'ns=2;s=Chiller.Mode', attributeId: ua.AttributeIds.Value },
    ]);
    await session.write({ nodeId: 'ns=2;s=Chiller.Setpoint', attributeId: ua.AttributeIds.Value, value: { value: { dataType: ua.DataType.Double, value: 17.5 } } });
    await session.read({ nodeId: 'ns=2;s=Chiller.Setpoint', attributeId: ua.AttributeIds.Value });
    await session.close();
  } finally {
    await client.disconnect();
    await clientCertificateManager.dispose();
    rmSync(pki, { recursive: true, force: true });
  }
}

const CASES: Record<string, Case> = {
  'opcua-none': {
    host: '127.0.0.61',
    start: async () => {
      process.env.XDG_CONFIG_HOME = mkdtempSync(path.join(os.tmpdir(), 'otgate-record-ua-xdg-'));
      const s = await startChillerOpcua({ host: '127.0.0.61', port: 4840 });
      return { port: 4840, close: () => s.close() };
    },
    session: (port) => opcuaSession('127.0.0.61', port),
  },
  'modbus-basic': {
    host: SERVER,
    start: async () => {
      const plc = await startChillerPlc({ host: SERVER, port: 502, unitId: 1 });
      return { port: 502, close: () => plc.close() };
    },
    session: modbusBasic,
  },
  'mqtt-aedes': {
    host: '127.0.0.41',
    start: async () => {
      const b = await startMqttBroker({ host: '127.0.0.41', port: 1883 });
      return { port: 1883, close: () => b.close() };
    },
    session: (port) => mqttSession('127.0.0.41', port, 4, '127.0.0.42', '127.0.0.43'),
  },
  'mqtt-mosquitto': {
    host: '127.0.0.1',
    start: () => startMosquitto('127.0.0.1'),
    session: (port) => mqttSession('127.0.0.1', port, 5, '127.0.0.52', '127.0.0.53'),
  },
};

async function main(): Promise<void> {
  const name = process.argv[2] ?? 'modbus-basic';
  const c = CASES[name];
  if (c === undefined) throw new Error(`unknown case ${name} (known: ${Object.keys(CASES).join(', ')})`);
  const dir = path.resolve('test/golden', name);
  mkdirSync(dir, { recursive: true });
  const server = await c.start();
  const file = path.join(dir, 'capture.pcap');
  const dump = spawn('tcpdump', ['-i', 'lo', '-s', '0', '-U', '--immediate-mode', '-n', '-w', file, `tcp and host ${c.host} and port ${server.port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((resolve) => dump.stderr.on('data', (d: Buffer) => d.toString().includes('listening on') && resolve()));
  await sleep(200);
  try {
    await c.session(server.port);
    await sleep(1500); // let libpcap's ring buffer deliver the last packets before SIGINT
  } finally {
    dump.kill('SIGINT');
    await new Promise((r) => dump.on('exit', r));
    await server.close();
  }
  process.stdout.write(`recorded ${file}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
