/**
 * Measure 2 — OPC UA Read of 10 nodes (SecurityMode None, anonymous session, one outstanding
 * request), direct vs a plain Node relay vs otgate (the OPC UA inspector decodes every chunk
 * with node-opcua's codecs and checks each node against the policy).
 */
import { freePort, startGateway } from './lib/gateway';
import { startPeer } from './lib/proc';
import { ratio } from './lib/stats';
import { interleave, startRelays, type Target, type TargetFigures } from './lib/targets';
import type { BenchContext, BenchResult } from './lib/types';

const GW = '127.0.21.1';
const SERVER = '127.0.10.22';
const SCADA = '127.0.0.1';

const policy = (listenPort: number, serverPort: number) => `
version: 1
site: bench-opcua
defaults: { mode: enforce, audit: { allowed: sample, sample_every: 100 } }
zones:
  - { name: supervisory, level: 2, networks: [127.0.0.0/24] }
  - { name: control, level: 1, networks: [127.0.10.0/24] }
assets:
  - { name: scada-1, zone: supervisory, address: ${SCADA} }
  - { name: chiller-opcua, zone: control, address: ${SERVER}, safety_critical: true }
conduits:
  - name: scada-chiller-opcua
    from_zone: supervisory
    to_zone: control
    protocol: opcua
    listen: ${GW}:${listenPort}
    upstream: { asset: chiller-opcua, port: ${serverPort} }
    limits: { max_frame_bytes: 2097152 }
    rules:
      - name: scada-chiller
        clients: [scada-1]
        opcua:
          security: { policies: [None], modes: [None] }
          identities: [anonymous]
          services: [discovery, session, browse, read]
          browse: ["i=*", "ns=2;*"]
          read: ["i=*", "ns=2;s=Chiller.*"]
`;

export async function benchOpcua(ctx: BenchContext): Promise<BenchResult> {
  const server = await startPeer<{ port: number }>('opcua-server', [SERVER]);
  const relays = await startRelays({ host: SERVER, port: server.ready.port }, { node: '127.0.21.2', socat: '127.0.21.3' });
  const port = await freePort(GW);
  const gw = await startGateway(policy(port, server.ready.port));
  const targets: Target[] = [
    { name: 'direct', host: SERVER, port: server.ready.port },
    ...relays.targets.filter((t) => t.name === 'node-relay'),
    { name: 'otgate', host: GW, port, pid: gw.pid },
  ];
  let figures: TargetFigures[];
  try {
    ({ figures } = await interleave(targets, ctx.rounds, async (t) => {
      const c = await startPeer<{ txps: number; hist: [number, number][]; errors: number; error?: string }>('opcua-read', [JSON.stringify({ url: `opc.tcp://${t.host}:${t.port}`, warmupMs: 500, durationMs: ctx.seconds * 1000 })]);
      if (c.ready.error) throw new Error(`opcua read via ${t.name}: ${c.ready.error}`);
      return { txps: c.ready.txps, hist: c.ready.hist, errors: c.ready.errors, cpuUsPerTx: NaN };
    }));
  } finally {
    await gw.stop();
    await relays.stop();
    await server.stop();
  }
  const og = figures.find((f) => f.target === 'otgate')!;
  const nr = figures.find((f) => f.target === 'node-relay')!;
  const vs = { p50: ratio(og.addedUs!.p50, nr.addedUs!.p50), p99: ratio(og.addedUs!.p99, nr.addedUs!.p99), txps: ratio(og.txps, nr.txps) };
  ctx.log(figures.map((f) => `${f.target} ${f.txps} reads/s p50 ${f.latencyUs.p50} µs (errors ${f.errors})`).join(' | '));
  return {
    name: 'opcua',
    title: 'OPC UA Read of 10 nodes, session-level (node-opcua client and server, SecurityMode None)',
    setup: { nodes: 10, rounds: ctx.rounds, secondsPerRound: ctx.seconds },
    data: { figures, vsNodeRelay: vs },
    table: {
      head: ['target', 'reads/s', 'p50 µs', 'p99 µs', 'p99.9 µs', 'added p50/p99 µs', 'errors', 'otgate ÷ node relay: added p50 / p99, reads/s'],
      rows: figures.map((f) => [f.target, f.txps, f.latencyUs.p50, f.latencyUs.p99, f.latencyUs.p999, f.addedUs ? `+${f.addedUs.p50} / +${f.addedUs.p99}` : '', f.errors, f.target === 'otgate' ? `×${vs.p50} / ×${vs.p99} / ×${vs.txps}` : '']),
    },
  };
}
