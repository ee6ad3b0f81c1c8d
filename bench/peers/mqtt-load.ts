/**
 * MQTT 3.1.1 publish load (its own process), raw sockets + mqtt-packet: a subscriber
 * (`fab/+/+/telemetry`) and a publisher (its own telemetry topic), both through the target.
 * At most `window` messages in flight (published, not yet delivered), so QoS 0 cannot pile up
 * in buffers; QoS 1 also waits for PUBACKs. Latency is publish → delivery at the subscriber
 * (same process, same clock). Prints {delivered, seconds, msgps, errors, hist}.
 */
import net from 'node:net';
import mqttPacket from 'mqtt-packet';
import { Histogram } from '../lib/stats';

export interface MqttLoadSpec {
  readonly host: string;
  readonly port: number;
  readonly qos: 0 | 1;
  readonly window: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly payloadBytes: number;
  readonly pubAddress: string;
  readonly subAddress: string;
  readonly pubId: string;
  readonly subId: string;
  readonly topic: string;
}

function client(spec: MqttLoadSpec, localAddress: string, clientId: string, onPacket: (p: mqttPacket.Packet, c: net.Socket) => void): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: spec.host, port: spec.port, localAddress, noDelay: true });
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    let connected = false;
    parser.on('packet', (p) => {
      if (!connected && p.cmd === 'connack') {
        connected = true;
        if ((p as mqttPacket.IConnackPacket).returnCode !== 0) reject(new Error(`connack ${(p as mqttPacket.IConnackPacket).returnCode}`));
        else resolve(s);
        return;
      }
      onPacket(p, s);
    });
    parser.on('error', reject);
    s.on('data', (d) => parser.parse(d));
    s.on('error', reject);
    s.on('connect', () => s.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId, keepalive: 60 })));
  });
}

async function run(spec: MqttLoadSpec) {
  const hist = new Histogram();
  const sentAt = new Map<number, bigint>();
  let delivered = 0;
  let errors = 0;
  let measuring = false;
  let stopping = false;
  let seq = 0;
  let inflight = 0;
  let pid = 1;
  let publisher: net.Socket | null = null;
  const payload = Buffer.alloc(spec.payloadBytes, 0x20);
  let subacked: () => void = () => {};
  const subReady = new Promise<void>((r) => (subacked = r));

  const pump = () => {
    while (!stopping && publisher !== null && inflight < spec.window) {
      const n = ++seq;
      payload.writeUInt32BE(n, 0);
      sentAt.set(n, process.hrtime.bigint());
      inflight++;
      const packet: mqttPacket.IPublishPacket = { cmd: 'publish', topic: spec.topic, payload, qos: spec.qos, retain: false, dup: false };
      if (spec.qos === 1) {
        pid = (pid % 65535) + 1;
        packet.messageId = pid;
      }
      publisher.write(mqttPacket.generate(packet));
    }
  };

  await client(spec, spec.subAddress, spec.subId, (p, s) => {
    if (p.cmd === 'suback') return subacked();
    if (p.cmd !== 'publish') return;
    const pub = p as mqttPacket.IPublishPacket;
    if (pub.qos === 1) s.write(mqttPacket.generate({ cmd: 'puback', messageId: pub.messageId! }));
    const buf = pub.payload as Buffer;
    const n = buf.readUInt32BE(0);
    const t = sentAt.get(n);
    if (t === undefined) return void errors++;
    sentAt.delete(n);
    inflight--;
    if (measuring) {
      hist.add(Number(process.hrtime.bigint() - t));
      delivered++;
    }
    pump();
  }).then((s) => s.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'fab/+/+/telemetry', qos: spec.qos }] })));
  await subReady;
  publisher = await client(spec, spec.pubAddress, spec.pubId, (p) => {
    if (p.cmd !== 'puback') errors += p.cmd === 'disconnect' ? 1 : 0;
  });
  pump();
  await new Promise((r) => setTimeout(r, spec.warmupMs));
  measuring = true;
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, spec.durationMs));
  stopping = true;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { delivered, seconds, msgps: delivered / seconds, errors, hist: hist.sparse() };
}

if (require.main === module) {
  run(JSON.parse(process.argv[2] ?? '{}') as MqttLoadSpec).then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r)}\n`);
      process.exit(0);
    },
    (err: Error) => {
      process.stdout.write(`${JSON.stringify({ error: err.message })}\n`);
      process.exit(1);
    },
  );
}
