/**
 * The conduit idle timeout (limits.idle_timeout_s) through the spawned daemon: a silent client
 * is closed with a gateway.idle_timeout row; a client that keeps polling is not. The timeout is
 * checked by the proxy's 1 s sweep (daemon/proxy/connection.ts), not a timer per socket.
 */
import net from 'node:net';
import { startChillerPlc, freePort, type ChillerPlc } from '../../scripts/testbed/chiller-plc';
import { AuditStore } from '../../daemon/audit/store';
import { startGateway, type Gateway } from '../helpers/gateway';
import { adu } from '../helpers/modbus-peers';
import { eventually } from '../helpers/wait';

const GW_HOST = '127.0.20.1';
const HMI = '127.0.20.11';

const policy = (listenPort: number, plcPort: number): string => `
version: 1
site: e2e
defaults: { mode: enforce, audit: { allowed: none } }
zones:
  - { name: supervisory, level: 2, networks: [127.0.20.0/24] }
  - { name: control, level: 1, networks: [127.0.10.0/24] }
assets:
  - { name: hmi-1, zone: supervisory, address: ${HMI} }
  - { name: chiller-plc, zone: control, address: 127.0.10.21 }
conduits:
  - name: hmi-chiller
    from_zone: supervisory
    to_zone: control
    protocol: modbus
    listen: ${GW_HOST}:${listenPort}
    upstream: { asset: chiller-plc, port: ${plcPort} }
    limits: { idle_timeout_s: 1 }
    rules:
      - { name: hmi-read, clients: [hmi-1], modbus: { unit_ids: [1], functions: [read-only], read: { holding_registers: ["0-199"] } } }
`;

describe('conduit idle timeout', () => {
  let plc: ChillerPlc;
  let gw: Gateway;
  let port: number;

  beforeAll(async () => {
    plc = await startChillerPlc({ host: '127.0.10.21' });
    port = await freePort(GW_HOST);
    gw = await startGateway({ policy: policy(port, plc.port) });
  });

  afterAll(async () => {
    await gw?.stop();
    gw?.remove();
    await plc?.close();
  });

  const idleRows = () => {
    const store = AuditStore.open(gw.dbFile);
    try {
      return store.query({ anomalyOnly: true }).filter((e) => e.anomaly === 'gateway.idle_timeout');
    } finally {
      store.close();
    }
  };

  test('a silent client is closed and recorded; a polling one stays open', async () => {
    const connect = () =>
      new Promise<{ s: net.Socket; localPort: number; closed: () => boolean; replies: () => number }>((resolve, reject) => {
        const s = net.connect({ host: GW_HOST, port, localAddress: HMI });
        let closed = false;
        let replies = 0;
        s.on('close', () => (closed = true));
        s.on('data', () => replies++);
        s.on('error', () => undefined);
        s.once('connect', () => resolve({ s, localPort: s.localPort!, closed: () => closed, replies: () => replies }));
        s.once('error', reject);
      });
    const silent = await connect();
    const busy = await connect();
    let tid = 0;
    const poll = setInterval(() => busy.s.write(adu(++tid, 1, [0x03, 0x00, 0x00, 0x00, 0x01])), 200);
    try {
      await eventually(() => silent.closed(), 8000);
      expect(busy.closed()).toBe(false);
      expect(busy.replies()).toBeGreaterThan(0);
      const rows = await eventually(() => {
        const r = idleRows();
        return r.length > 0 ? r : null;
      }, 5000);
      expect(rows).toHaveLength(1);
      expect(rows[0]!.src).toBe(`${HMI}:${silent.localPort}`);
      expect(rows[0]!.action).toBe('closed');
    } finally {
      clearInterval(poll);
      silent.s.destroy();
      busy.s.destroy();
    }
  });
});
