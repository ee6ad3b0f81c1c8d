/**
 * Demo act 2 — MQTT, field sensors (level 0) → the plant broker (level 2) through the gateway.
 * Particle counter pc-101 publishes its telemetry and the SCADA server, subscribed to
 * `fab/+/+/telemetry` through its own conduit, receives it. Probe th-102 has been tampered with
 * and tries what SCENARIO.md's rogue sensor does: publish to another sensor's topic and to a
 * command topic, subscribe to `#`, push an oversize payload. Outcomes are checked at the broker
 * (an in-process aedes that records what reached it) and at the SCADA subscriber.
 */
import net from 'node:net';
import { MqttClient } from 'mqtt';
import type { App } from '../app';
import type { ActResult } from './modbus-act';
import { clientLine, heading, say } from './printer';

/** Conduit names in examples/demo-loopback.yaml. */
const SENSORS = 'sensors-broker';
const SCADA = 'scada-broker';
const ADDR = { pc101: '127.0.0.101', th102: '127.0.0.102', scada: '127.0.20.10' } as const;
const TOPIC = { pc101: 'fab/etch/pc-101/telemetry', th102: 'fab/etch/th-102/telemetry', cmd: 'fab/etch/pc-101/cmd/zero' } as const;

interface Reached {
  readonly client: string;
  readonly topic: string;
  readonly payload: Buffer;
}

interface DemoBroker {
  readonly host: string;
  readonly port: number;
  /** PUBLISH packets from clients that reached the broker. */
  readonly published: Reached[];
  /** Filters the broker granted, by client. */
  readonly subscriptions: { client: string; topic: string }[];
  close(): Promise<void>;
}

interface AedesLike {
  on(ev: 'publish', fn: (p: { topic: string; payload: Buffer }, c: { id: string } | null) => void): void;
  on(ev: 'subscribe', fn: (subs: { topic: string }[], c: { id: string } | null) => void): void;
  handle(s: net.Socket): void;
  close(cb: () => void): void;
}

const CAP = 10_000; // bound what the demo broker remembers

async function startBroker(host: string, port: number): Promise<DemoBroker> {
  // aedes 1.x is ESM-only with a static async factory (Node ≥ 20.19 loads it from CommonJS).
  const { Aedes } = (await import('aedes')) as unknown as { Aedes: { createBroker(): Promise<AedesLike> } };
  const broker = await Aedes.createBroker();
  const published: Reached[] = [];
  const subscriptions: DemoBroker['subscriptions'] = [];
  broker.on('publish', (p, c) => {
    if (c && published.length < CAP) published.push({ client: c.id, topic: p.topic, payload: Buffer.from(p.payload) });
  });
  broker.on('subscribe', (subs, c) => {
    for (const s of subs) if (subscriptions.length < CAP) subscriptions.push({ client: c?.id ?? '?', topic: s.topic });
  });
  const server = net.createServer((s) => broker.handle(s));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    host, port, published, subscriptions,
    close: () => new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 1000);
      broker.close(() => server.close(() => { clearTimeout(t); resolve(); }));
    }),
  };
}

/** MQTT.js from a chosen source address: the gateway knows the sensor by it. */
function connect(gateway: net.AddressInfo, localAddress: string, clientId: string): Promise<MqttClient> {
  const c = new MqttClient(() => net.connect({ host: gateway.address, port: gateway.port, localAddress }), {
    protocolVersion: 4, clientId, reconnectPeriod: 0, connectTimeout: 3000,
  });
  return new Promise((resolve, reject) => {
    c.once('connect', () => resolve(c));
    c.once('error', (e) => { c.end(true); reject(e); });
  });
}

/** Poll (bounded) for something that lands asynchronously at the broker or subscriber. */
async function within<T>(fn: () => T | undefined, ms = 1500): Promise<T | undefined> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) {
    const v = fn();
    if (v !== undefined) return v;
  }
  return fn();
}

export interface MqttAct {
  run(settle: () => Promise<void>): Promise<ActResult>;
  close(): Promise<void>;
}

/** Starts the plant broker where the policy's MQTT conduits point; the act runs later. */
export async function startMqttAct(app: App): Promise<MqttAct> {
  const conduit = app.env.policy()?.conduits.get(SENSORS);
  const sensorsGw = app.address(SENSORS);
  const scadaGw = app.address(SCADA);
  if (!conduit || !sensorsGw || !scadaGw) throw new Error(`conduits ${SENSORS} and ${SCADA} must be listening`);
  const broker = await startBroker(conduit.upstream.host, conduit.upstream.port);
  say(`  MQTT broker (aedes, in-process)          ${broker.host}:${broker.port}`);
  say(`  gateway conduit ${SENSORS}           ${sensorsGw.address}:${sensorsGw.port} → mqtt-broker, mode ${conduit.mode}`);
  say(`  gateway conduit ${SCADA}             ${scadaGw.address}:${scadaGw.port} → mqtt-broker`);
  const clients: MqttClient[] = [];
  return {
    run: async (settle) => {
      const checks: ActResult['checks'] = [];
      const check = (what: string, ok: boolean) => checks.push({ what, ok });
      const received: { topic: string; payload: Buffer }[] = [];

      heading('MQTT · sensors publish telemetry to the broker (level 0 → 2)');
      const scada = await connect(scadaGw, ADDR.scada, 'scada-1');
      clients.push(scada);
      scada.on('message', (topic, payload) => { if (received.length < CAP) received.push({ topic, payload: Buffer.from(payload) }); });
      const granted = await scada.subscribeAsync('fab/+/+/telemetry', { qos: 1 });
      clientLine('scada-1', 'subscribe fab/+/+/telemetry (QoS 1)', `granted QoS ${granted[0]?.qos}`, granted[0]?.qos === 1);
      await settle();

      const pc = await connect(sensorsGw, ADDR.pc101, 'pc-101');
      clients.push(pc);
      const reading = Buffer.from(JSON.stringify({ pm05: 412, pm5: 3, ts: '2026-12-01T06:00:00Z' }));
      await pc.publishAsync(TOPIC.pc101, reading, { qos: 1 });
      const got = await within(() => received.find((m) => m.topic === TOPIC.pc101));
      const same = got !== undefined && got.payload.equals(reading);
      clientLine('pc-101', `publish ${TOPIC.pc101} (QoS 1, ${reading.length} B)`, same ? 'delivered to scada-1' : 'not delivered?!', same);
      check('pc-101 telemetry reached SCADA through the gateway, byte-identical', same);
      await settle();

      heading('MQTT · probe th-102 has been tampered with');
      const rogue = await connect(sensorsGw, ADDR.th102, 'th-102');
      clients.push(rogue);
      // MQTT 3.1.1 has no negative PUBACK: the gateway acknowledges and drops (v3_publish_deny: ack_drop).
      await rogue.publishAsync(TOPIC.pc101, Buffer.from(JSON.stringify({ pm05: 0, pm5: 0 })), { qos: 1 });
      await settle();
      const spoofed = broker.published.some((p) => p.client === 'th-102' && p.topic === TOPIC.pc101);
      clientLine('th-102', `publish ${TOPIC.pc101} (spoof)`, spoofed ? 'reached the broker?!' : 'acked by the gateway, dropped', !spoofed);
      check('spoofed pc-101 reading never reached the broker', !spoofed);

      await rogue.publishAsync(TOPIC.cmd, Buffer.from('1'), { qos: 1 });
      await settle();
      const cmd = broker.published.some((p) => p.topic === TOPIC.cmd);
      clientLine('th-102', `publish ${TOPIC.cmd}`, cmd ? 'reached the broker?!' : 'dropped', !cmd);
      check('command-topic publish never reached the broker', !cmd);

      const sub = await rogue.subscribeAsync('#', { qos: 0 }).then(
        (g) => g.map((x) => x.qos),
        (e: { packet?: { granted?: number[] } }) => e.packet?.granted ?? [],
      );
      const refused = sub.length === 1 && sub[0] === 0x80;
      clientLine('th-102', 'subscribe # (every topic in the plant)', refused ? 'refused: SUBACK 0x80' : `granted ${JSON.stringify(sub)}?!`, refused);
      check('subscription to # refused (SUBACK 0x80) and never reached the broker', refused && !broker.subscriptions.some((s) => s.topic === '#'));
      await settle();

      const big = Buffer.alloc(4096, 0x41);
      await rogue.publishAsync(TOPIC.th102, big, { qos: 1 });
      await settle();
      const oversize = broker.published.some((p) => p.payload.length === big.length);
      clientLine('th-102', `publish ${TOPIC.th102} (4 KB, limit 1 KB)`, oversize ? 'reached the broker?!' : 'dropped', !oversize);
      check('oversize payload never reached the broker', !oversize);

      // Availability: the denials did not cut the probe off; its own telemetry still flows.
      const own = Buffer.from(JSON.stringify({ t: 21.4, rh: 43.0 }));
      await rogue.publishAsync(TOPIC.th102, own, { qos: 1 });
      const ownGot = await within(() => received.find((m) => m.topic === TOPIC.th102));
      const ownOk = ownGot !== undefined && ownGot.payload.equals(own);
      clientLine('th-102', `publish ${TOPIC.th102} (its own topic)`, ownOk ? 'delivered to scada-1' : 'not delivered?!', ownOk);
      check('th-102 keeps publishing its own telemetry (no reconnect loop)', ownOk);
      await settle();

      const topics = [...new Set(broker.published.map((p) => `${p.client}→${p.topic}`))];
      say(`  broker saw: ${topics.join(', ') || 'nothing'}; subscriptions: ${broker.subscriptions.map((s) => `${s.client} ${s.topic}`).join(', ') || 'none'}`);
      return { checks };
    },
    close: async () => {
      await Promise.all(clients.map((c) => new Promise<void>((r) => c.end(true, {}, () => r()))));
      await broker.close();
    },
  };
}
