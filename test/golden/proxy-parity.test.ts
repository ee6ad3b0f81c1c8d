/**
 * The bar of issue 6: a capture decodes to the same results as the same session through the
 * proxy. Each recorded capture is judged offline (`otgate audit` path) and its byte streams are
 * replayed through the spawned gateway (monitor mode, every allowed decision recorded) with the
 * same rules; the gateway's audit rows must equal, flow by flow and in order, the offline events
 * that carry a decision or an anomaly (the proxy records no undecided PDUs such as PUBACKs).
 */
import path from 'node:path';
import { AuditStore, type StoredEvent } from '../../daemon/audit/store';
import { analyzeCaptures } from '../../daemon/monitor/analyze';
import type { DecisionEvent } from '../../daemon/pipeline/contract';
import { compileText } from '../rules/helpers';
import { startGateway } from '../helpers/gateway';
import { freePort } from '../helpers/mqtt-peers';
import { flowStreams, playFlow, scriptedServer } from './flow-replay';

const GW = '127.0.46.1';
const UPSTREAM = '127.0.46.2';

interface Where {
  readonly listen: string;
  readonly serverIp: string;
  readonly serverPort: number;
}

/** Per case: its capture and a policy builder (same rules; only addresses differ). */
const CASES: Record<string, (w: Where) => string> = {
  'mqtt-aedes': mqttPolicy,
  'mqtt-mosquitto': mqttPolicy,
  'opcua-none': opcuaPolicy,
};

/** Reads of the setpoint only: the Read naming Mode and the Write are denied (recorded, forwarded: monitor mode). */
function opcuaPolicy(w: Where): string {
  return `
version: 1
site: parity
defaults: { mode: monitor, audit: { allowed: all } }
zones:
  - { name: lo, level: 1, networks: [127.0.0.0/8] }
assets:
  - { name: chiller-opcua, zone: lo, address: ${w.serverIp} }
  - { name: hmi, zone: lo, address: 127.0.0.1 }
conduits:
  - name: ua-chiller
    from_zone: lo
    to_zone: lo
    protocol: opcua
    listen: "${w.listen}"
    upstream: { asset: chiller-opcua, port: ${w.serverPort} }
    rules:
      - name: hmi-read
        clients: [hmi]
        opcua:
          security: { policies: [None], modes: [None] }
          services: [discovery, session, browse, read]
          browse: ["ns=2;s=Chiller"]
          read: ["ns=2;s=Chiller.Setpoint"]
`;
}

function mqttPolicy(w: Where): string {
  return `
version: 1
site: parity
defaults: { mode: monitor, audit: { allowed: all } }
zones:
  - { name: lo, level: 1, networks: [127.0.0.0/8] }
assets:
  - { name: broker, zone: lo, address: ${w.serverIp} }
  - { name: pc-101-a, zone: lo, address: 127.0.0.42 }
  - { name: pc-101-b, zone: lo, address: 127.0.0.52 }
  - { name: scada-a, zone: lo, address: 127.0.0.43 }
  - { name: scada-b, zone: lo, address: 127.0.0.53 }
conduits:
  - name: mqtt-plant
    from_zone: lo
    to_zone: lo
    protocol: mqtt
    listen: "${w.listen}"
    upstream: { asset: broker, port: ${w.serverPort} }
    rules:
      - name: telemetry
        clients: [pc-101-a, pc-101-b]
        mqtt: { client_ids: [pc-101], publish: ["plant/pc-101/telemetry"], max_qos: 1 }
      - name: scada
        clients: [scada-a, scada-b]
        mqtt: { subscribe: ["plant/+/telemetry"] }
`;
}

/** What must agree: everything but time, addresses, ports, flow ids and the action taken. */
const key = (e: Pick<DecisionEvent, 'dir' | 'verdict' | 'rule' | 'reason' | 'anomaly' | 'clientAsset' | 'serverAsset' | 'conduit' | 'fields'>) =>
  JSON.stringify({
    dir: e.dir, verdict: e.verdict, rule: e.rule, reason: e.reason, anomaly: e.anomaly,
    clientAsset: e.clientAsset, serverAsset: e.serverAsset, conduit: e.conduit, fields: JSON.parse(JSON.stringify(e.fields)) as unknown,
  });

function byFlow<T extends { flow: string }>(xs: T[]): T[][] {
  const m = new Map<string, T[]>();
  for (const x of xs) m.set(x.flow, [...(m.get(x.flow) ?? []), x]);
  return [...m.values()];
}

describe.each(Object.keys(CASES))('capture %s: offline decode = proxy decode', (name) => {
  test('the gateway records the same decisions from the same bytes', async () => {
    const file = path.join(__dirname, name, 'capture.pcap');
    const flows = await flowStreams(file);
    expect(flows.length).toBeGreaterThan(0);
    const recorded = flows[0]!.server;

    // Offline, with the capture's own addresses.
    const offline: DecisionEvent[] = [];
    const pol = compileText(CASES[name]!({ listen: `${GW}:1`, serverIp: recorded.ip, serverPort: recorded.port }));
    await analyzeCaptures([file], pol, (e) => offline.push(e));
    const decided = offline.filter((e) => e.verdict !== null || e.anomaly !== null);
    expect(decided.some((e) => e.verdict === 'deny')).toBe(true);
    expect(decided.some((e) => e.verdict === 'allow')).toBe(true);

    // Through the gateway: the scripted server stands in for the recorded one.
    const upstream = await scriptedServer(UPSTREAM);
    const listenPort = await freePort(GW);
    const gw = await startGateway({ policy: CASES[name]!({ listen: `${GW}:${listenPort}`, serverIp: UPSTREAM, serverPort: upstream.port }) });
    let rows: StoredEvent[];
    try {
      for (const f of flows) await playFlow(f, { ip: GW, port: listenPort }, upstream);
    } finally {
      await gw.stop();
      await upstream.close();
    }
    const store = AuditStore.open(gw.dbFile);
    try {
      rows = store.query({ limit: 10_000 });
    } finally {
      store.close();
      gw.remove();
    }
    const proxyFlows = byFlow(rows).map((f) => f.map((r) => key(r as unknown as DecisionEvent)));
    const offlineFlows = byFlow(decided).map((f) => f.map(key));
    expect(proxyFlows).toEqual(offlineFlows);
  });
});
