/**
 * Real MQTT peers for end-to-end tests: an in-process aedes broker (3.1.1), Debian's mosquitto
 * 2.0 (MQTT 5) started on a free loopback port with its own config in a temp dir (readable by
 * the `mosquitto` user it drops to) and killed by pid, MQTT.js clients bound to a chosen source
 * address (the gateway identifies clients by address), and the mosquitto_pub/sub CLIs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MqttClient, type IClientOptions } from 'mqtt';

export async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Broker {
  readonly host: string;
  readonly port: number;
  /** Topics the broker itself received (aedes only; mosquitto: empty). */
  readonly published: string[];
  close(): Promise<void>;
}

export async function startAedes(host: string): Promise<Broker> {
  const { Aedes } = await import('aedes');
  const broker = await Aedes.createBroker();
  const published: string[] = [];
  broker.on('publish', (packet: { topic: string }, client: unknown) => {
    if (client) published.push(packet.topic);
  });
  const server = net.createServer(broker.handle as unknown as (s: net.Socket) => void);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    host, port, published,
    close: () => new Promise<void>((resolve) => {
      server.close(() => broker.close(() => resolve()));
      setTimeout(resolve, 1000).unref();
    }),
  };
}

export async function startMosquitto(host: string): Promise<Broker & { proc: ChildProcess; log(): string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'otgate-mosq-'));
  chmodSync(dir, 0o755);
  const port = await freePort(host);
  const conf = path.join(dir, 'mosquitto.conf');
  writeFileSync(conf, [`listener ${port} ${host}`, 'allow_anonymous true', 'persistence false', 'log_dest stderr', 'log_type error', 'log_type warning', ''].join('\n'));
  chmodSync(conf, 0o644);
  const proc = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  // Ready when it accepts a TCP connection (bounded).
  for (let i = 0; ; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host, port }, () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) break;
    if (i > 100 || proc.exitCode !== null) throw new Error(`mosquitto did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    host, port, proc, published: [], log: () => out,
    close: async () => {
      if (proc.exitCode === null && proc.pid !== undefined) process.kill(proc.pid, 'SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An MQTT.js client whose TCP connection leaves from `localAddress`. */
export function mqttClient(localAddress: string, host: string, port: number, opts: IClientOptions): Promise<MqttClient> {
  const client = new MqttClient(() => net.createConnection({ host, port, localAddress }), { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', (e) => {
      client.end(true);
      reject(e);
    });
    client.once('close', () => reject(new Error('closed before CONNACK')));
  });
}

export const endClient = (c: MqttClient | undefined): Promise<void> =>
  new Promise((resolve) => (c ? c.end(true, {}, () => resolve()) : resolve()));

export interface CliResult {
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** Runs mosquitto_pub / mosquitto_sub with a hard timeout (killed by pid). */
export function runCli(cmd: 'mosquitto_pub' | 'mosquitto_sub', args: string[], timeoutMs = 8000): { done: Promise<CliResult>; proc: ChildProcess } {
  const proc = spawn(`/usr/bin/${cmd}`, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => out.push(d));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const timer = setTimeout(() => {
    if (proc.exitCode === null && proc.pid !== undefined) process.kill(proc.pid, 'SIGKILL');
  }, timeoutMs);
  const done = new Promise<CliResult>((resolve) =>
    proc.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr: err });
    }),
  );
  return { done, proc };
}

/** Raw TCP from a source address: write bytes, resolve when the peer closes (or the timeout hits). */
export function rawSocketClosed(localAddress: string, host: string, port: number, chunks: Buffer[], timeoutMs = 5000): Promise<{ closedByPeer: boolean; received: Buffer }> {
  return new Promise((resolve) => {
    const s = net.createConnection({ host, port, localAddress });
    const got: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ closedByPeer: false, received: Buffer.concat(got) });
    }, timeoutMs);
    s.on('data', (d) => got.push(d));
    s.on('error', () => undefined);
    s.once('connect', () => {
      for (const c of chunks) s.write(c);
    });
    s.once('close', () => {
      clearTimeout(timer);
      resolve({ closedByPeer: true, received: Buffer.concat(got) });
    });
  });
}
