/**
 * Measure 3 — MQTT 3.1.1 QoS 0 and QoS 1 publish throughput and publish → delivery latency
 * (aedes broker, 64-byte payloads, window of 1 and 32 messages in flight), direct vs a plain
 * Node relay vs otgate (publisher and subscriber both through the gateway; enforce mode).
 */
import { freePort, startGateway } from './lib/gateway';
import { startPeer } from './lib/proc';
import { ratio } from './lib/stats';
import { interleave, startRelays, type Target, type TargetFigures } from './lib/targets';
import type { BenchContext, BenchResult } from './lib/types';
import type { MqttLoadSpec } from './peers/mqtt-load';

const GW = '127.0.40.1';
const BROKER = '127.0.40.50';
const SENSOR = '127.0.40.101';
const SCADA = '127.0.40.10';

const policy = (listenPort: number, brokerPort: number) => `
version: 1
site: bench-mqtt
defaults: { mode: enforce, audit: { allowed: sample, sample_every: 100 } }
zones:
  - { name: field, level: 0, networks: [127.0.40.0/24] }
assets:
  - { name: pc-101, zone: field, address: ${SENSOR} }
  - { name: scada-1, zone: field, address: ${SCADA} }
  - { name: mqtt-broker, zone: field, address: ${BROKER} }
conduits:
  - name: mqtt-fab
    from_zone: field
    to_zone: field
    protocol: mqtt
    listen: ${GW}:${listenPort}
    upstream: { asset: mqtt-broker, port: ${brokerPort} }
    limits: { max_pending_requests: 64 }   # QoS 1 in flight per direction (default 16)
    rules:
      - name: sensor-telemetry
        clients: [pc-101]
        mqtt:
          client_ids: ["pc-101*"]
          publish: ["fab/etch/pc-101/telemetry"]
          max_qos: 1
          max_payload_bytes: 1024
      - name: scada-read
        clients: [scada-1]
        mqtt:
          subscribe: ["fab/+/+/telemetry"]
`;

export async function benchMqtt(ctx: BenchContext): Promise<BenchResult> {
  const broker = await startPeer<{ port: number }>('aedes', [BROKER]);
  const relays = await startRelays({ host: BROKER, port: broker.ready.port }, { node: '127.0.40.2', socat: '127.0.40.3' });
  const port = await freePort(GW);
  const gw = await startGateway(policy(port, broker.ready.port));
  const targets: Target[] = [
    { name: 'direct', host: BROKER, port: broker.ready.port },
    ...relays.targets.filter((t) => t.name === 'node-relay'),
    { name: 'otgate', host: GW, port, pid: gw.pid },
  ];
  const cases: { qos: number; window: number; figures: TargetFigures[]; vsNodeRelay: { p50: number; p99: number; msgps: number } }[] = [];
  try {
    for (const qos of [0, 1] as const) {
      for (const window of [1, 32]) {
        const { figures } = await interleave(targets, ctx.rounds, async (t) => {
          const spec: MqttLoadSpec = {
            host: t.host, port: t.port, qos, window, warmupMs: 300, durationMs: ctx.seconds * 1000, payloadBytes: 64,
            pubAddress: SENSOR, subAddress: SCADA, pubId: `pc-101-${Date.now()}`, subId: `scada-${Date.now()}`, topic: 'fab/etch/pc-101/telemetry',
          };
          const c = await startPeer<{ msgps: number; hist: [number, number][]; errors: number; error?: string }>('mqtt-load', [JSON.stringify(spec)]);
          if (c.ready.error) throw new Error(`mqtt load via ${t.name}: ${c.ready.error}`);
          return { txps: c.ready.msgps, hist: c.ready.hist, errors: c.ready.errors, cpuUsPerTx: NaN };
        });
        const og = figures.find((f) => f.target === 'otgate')!;
        const nr = figures.find((f) => f.target === 'node-relay')!;
        const vs = { p50: ratio(og.addedUs!.p50, nr.addedUs!.p50), p99: ratio(og.addedUs!.p99, nr.addedUs!.p99), msgps: ratio(og.txps, nr.txps) };
        cases.push({ qos, window, figures, vsNodeRelay: vs });
        ctx.log(`QoS ${qos}, window ${window}: ${figures.map((f) => `${f.target} ${f.txps} msg/s p50 ${f.latencyUs.p50} µs`).join(' | ')}`);
      }
    }
  } finally {
    await gw.stop();
    await relays.stop();
    await broker.stop();
  }
  return {
    name: 'mqtt',
    title: 'MQTT 3.1.1 publish → delivery (aedes, 64-byte payload, publisher and subscriber through the target)',
    setup: { broker: 'aedes 1.x', payloadBytes: 64, rounds: ctx.rounds, secondsPerRound: ctx.seconds },
    data: cases,
    table: {
      head: ['QoS', 'in flight', 'target', 'msg/s', 'p50 µs', 'p99 µs', 'p99.9 µs', 'added p50/p99 µs', 'otgate ÷ node relay: added p50 / p99, msg/s'],
      rows: cases.flatMap((c) => c.figures.map((f) => [
        c.qos, c.window, f.target, f.txps, f.latencyUs.p50, f.latencyUs.p99, f.latencyUs.p999,
        f.addedUs ? `+${f.addedUs.p50} / +${f.addedUs.p99}` : '',
        f.target === 'otgate' ? `×${c.vsNodeRelay.p50} / ×${c.vsNodeRelay.p99} / ×${c.vsNodeRelay.msgps}` : '',
      ])),
    },
  };
}
