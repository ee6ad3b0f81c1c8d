/**
 * End to end: a real modbus-serial client → the spawned otgate daemon → a real modbus-serial
 * server (the simulated chiller PLC). Outcomes are checked at the server and in the SQLite
 * audit store the daemon wrote.
 */
import { startChillerPlc, freePort, CHILLER_SETPOINT, type ChillerPlc } from '../../scripts/testbed/chiller-plc';
import { AuditStore } from '../../daemon/audit/store';
import { startGateway, type Gateway } from '../helpers/gateway';
import { adu, closeClient, exceptionOf, modbusClient, rawExchange } from '../helpers/modbus-peers';
import { eventually } from '../helpers/wait';

const GW_HOST = '127.0.20.1';
const HMI = '127.0.20.11';
const HMI2 = '127.0.20.12';
const STRANGER = '127.0.66.6';

function policy(listenPort: number, plcPort: number, opts: { mode?: string; maxSetpoint?: number } = {}): string {
  return `
version: 1
site: e2e
defaults: { mode: ${opts.mode ?? 'enforce'}, audit: { allowed: all } }
zones:
  - { name: supervisory, level: 2, networks: [127.0.20.0/24] }
  - { name: control, level: 1, networks: [127.0.10.0/24] }
assets:
  - { name: hmi-1, zone: supervisory, address: ${HMI} }
  - { name: hmi-2, zone: supervisory, address: ${HMI2} }
  - { name: chiller-plc, zone: control, address: 127.0.10.21, safety_critical: true }
conduits:
  - name: hmi-chiller
    from_zone: supervisory
    to_zone: control
    protocol: modbus
    listen: ${GW_HOST}:${listenPort}
    upstream: { asset: chiller-plc, port: ${plcPort} }
    limits: { max_pending_requests: 8, request_timeout_ms: 2000 }
    rules:
      - name: hmi-read
        clients: [hmi-1, hmi-2]
        modbus:
          unit_ids: [1]
          functions: [read-only]
          read: { holding_registers: ["0-199"], input_registers: ["0-99"], coils: ["0-15"] }
      - name: hmi-write-setpoint
        clients: [hmi-1, hmi-2]
        modbus:
          unit_ids: [1]
          functions: [write_single_register, write_multiple_registers]
          write:
            holding_registers:
              - { range: "100-109", min: 50, max: ${opts.maxSetpoint ?? 250} }
`;
}

describe('Modbus TCP through the spawned gateway', () => {
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

  const rows = (q: Parameters<AuditStore['query']>[0]) => {
    const store = AuditStore.open(gw.dbFile);
    try {
      return store.query(q);
    } finally {
      store.close();
    }
  };

  test('allowed reads return exactly what the server holds', async () => {
    const c = await modbusClient(GW_HOST, port, HMI);
    const hr = await c.readHoldingRegisters(0, 10);
    expect(hr.data).toEqual(Array.from(plc.holding.subarray(0, 10)));
    const ir = await c.readInputRegisters(0, 4);
    expect(ir.data).toEqual(Array.from(plc.input.subarray(0, 4)));
    const coils = await c.readCoils(0, 8);
    expect(coils.data.slice(0, 8)).toEqual(Array.from(plc.coils.subarray(0, 8), (v) => v === 1));
    await closeClient(c);
  });

  test('an allowed write reaches the PLC; a write outside the envelope gets exception 03 and the register is unchanged', async () => {
    const c = await modbusClient(GW_HOST, port, HMI);
    await c.writeRegister(CHILLER_SETPOINT, 190);
    expect(plc.holding[CHILLER_SETPOINT]).toBe(190);
    expect(await exceptionOf(c.writeRegister(CHILLER_SETPOINT, 600))).toBe(3);
    expect(plc.holding[CHILLER_SETPOINT]).toBe(190);
    expect(plc.writes.some((w) => w.value === 600)).toBe(false);
    expect(await exceptionOf(c.writeRegisters(CHILLER_SETPOINT, [200, 999]))).toBe(3);
    expect(plc.holding[CHILLER_SETPOINT + 1]).not.toBe(999);
    expect(await exceptionOf(c.writeRegister(5, 1))).toBe(2); // outside every write range
    expect(plc.holding[5]).toBe(5);
    const denied = await eventually(() => {
      const r = rows({ verdict: 'deny' }).filter((e) => e.summary.includes('600'));
      return r.length > 0 && r;
    });
    expect(denied[0]).toMatchObject({ conduit: 'hmi-chiller', verdict: 'deny', action: 'refused', reason: 'modbus_value_out_of_range', clientAsset: 'hmi-1', serverAsset: 'chiller-plc' });
    expect(denied[0]!.technique).toBe('T0836');
    await closeClient(c);
  });

  test('FC 8 restart and FC 43/14 are refused with exception 01', async () => {
    const restart = await rawExchange(GW_HOST, port, HMI, adu(0x31, 1, [0x08, 0x00, 0x01, 0x00, 0x00]), 9);
    expect([...restart.reply]).toEqual([0x00, 0x31, 0x00, 0x00, 0x00, 0x03, 0x01, 0x88, 0x01]);
    const devid = await rawExchange(GW_HOST, port, HMI, adu(0x32, 1, [0x2b, 0x0e, 0x01, 0x00]), 9);
    expect([...devid.reply]).toEqual([0x00, 0x32, 0x00, 0x00, 0x00, 0x03, 0x01, 0xab, 0x01]);
    const ev = await eventually(() => rows({ verdict: 'deny' }).find((e) => e.technique === 'T0816'));
    expect(ev.reason).toBe('modbus_function_not_allowed');
  });

  test('an unknown client is refused (default deny) and a unit-id outside the rule is refused', async () => {
    const stranger = await modbusClient(GW_HOST, port, STRANGER);
    expect(await exceptionOf(stranger.readHoldingRegisters(0, 1))).toBe(1);
    await closeClient(stranger);
    const c = await modbusClient(GW_HOST, port, HMI, 7);
    expect(await exceptionOf(c.readHoldingRegisters(0, 1))).toBe(1);
    await closeClient(c);
    const ev = await eventually(() => rows({ verdict: 'deny' }).find((e) => e.reason === 'no_rule'));
    expect(ev.clientAsset).toBeNull();
  });

  test('pipelined requests in one segment are answered in order: allowed forwarded, denied refused', async () => {
    const both = Buffer.concat([adu(0x41, 1, [0x03, 0x00, 0x64, 0x00, 0x01]), adu(0x42, 1, [0x06, 0x00, 0x64, 0x02, 0x58]), adu(0x43, 1, [0x03, 0x00, 0x00, 0x00, 0x02])]);
    const { reply } = await rawExchange(GW_HOST, port, HMI2, both, 11 + 9 + 13);
    const tids: number[] = [];
    for (let off = 0; off + 7 <= reply.length; off += 6 + reply.readUInt16BE(off + 4)) tids.push(reply.readUInt16BE(off));
    expect(tids.sort()).toEqual([0x41, 0x42, 0x43]);
    expect(plc.writes.some((w) => w.value === 600)).toBe(false);
  });

  test('a malformed frame (MBAP length 0xFFFF) closes only that connection; another client keeps polling', async () => {
    const poller = await modbusClient(GW_HOST, port, HMI);
    let polls = 0;
    let failures = 0;
    let running = true;
    const loop = (async () => {
      for (let i = 0; i < 400 && running; i++) {
        try {
          await poller.readHoldingRegisters(0, 2);
          polls++;
        } catch {
          failures++;
        }
      }
    })();
    const bomb = await rawExchange(GW_HOST, port, HMI2, Buffer.from([0x00, 0x09, 0x00, 0x00, 0xff, 0xff, 0x01]));
    expect(bomb.closed).toBe(true);
    expect(bomb.reply.length).toBe(0);
    const bare = await rawExchange(GW_HOST, port, HMI2, adu(0x0a, 1, [0x03]));
    expect(bare.closed).toBe(true);
    const before = polls;
    await eventually(() => polls > before + 20);
    running = false;
    await loop;
    expect(failures).toBe(0);
    await closeClient(poller);
    const anomalies = await eventually(() => {
      const r = rows({ anomalyOnly: true }).filter((e) => e.action === 'closed');
      return r.length >= 2 && r;
    });
    expect(anomalies.map((a) => a.anomaly)).toEqual(expect.arrayContaining(['modbus.mbap_length_too_large']));
  });

  test('SIGHUP reload: a valid policy applies to the open connection; a bad one is rejected and the running policy stays', async () => {
    const c = await modbusClient(GW_HOST, port, HMI);
    expect(await exceptionOf(c.writeRegister(CHILLER_SETPOINT, 300))).toBe(3);
    gw.writePolicy(policy(port, plc.port, { maxSetpoint: 350 }));
    gw.proc.kill('SIGHUP');
    await gw.waitFor(/policy reloaded/);
    await c.writeRegister(CHILLER_SETPOINT, 300); // same connection, new policy
    expect(plc.holding[CHILLER_SETPOINT]).toBe(300);
    gw.writePolicy('version: 1\nzones: [\n');
    gw.proc.kill('SIGHUP');
    await gw.waitFor(/reload rejected: .*policy\.yaml:\d+:\d+/);
    await c.writeRegister(CHILLER_SETPOINT, 320); // still the 350 policy, connection still up
    expect(plc.holding[CHILLER_SETPOINT]).toBe(320);
    await closeClient(c);
  });
});

describe('monitor mode', () => {
  test('forwards a would-be-denied write and records an alert', async () => {
    const plc = await startChillerPlc({ host: '127.0.10.21' });
    const port = await freePort(GW_HOST);
    const gw = await startGateway({ policy: policy(port, plc.port, { mode: 'monitor' }) });
    try {
      const c = await modbusClient(GW_HOST, port, HMI);
      await c.writeRegister(CHILLER_SETPOINT, 600);
      expect(plc.holding[CHILLER_SETPOINT]).toBe(600);
      await closeClient(c);
      const store = () => {
        const s = AuditStore.open(gw.dbFile);
        try {
          return s.query({ verdict: 'deny' });
        } finally {
          s.close();
        }
      };
      const ev = await eventually(() => store().find((e) => e.action === 'alerted'));
      expect(ev.reason).toBe('modbus_value_out_of_range');
    } finally {
      await gw.stop();
      gw.remove();
      await plc.close();
    }
  });
});

describe('evidence leaves the box: SIEM syslog and Prometheus metrics', () => {
  test('a denied write reaches a UDP syslog collector and the frame counters', async () => {
    const dgram = await import('node:dgram');
    const collector = dgram.createSocket('udp4');
    const received: string[] = [];
    collector.on('message', (m) => received.push(m.toString()));
    await new Promise<void>((r) => collector.bind(0, '127.0.0.1', () => r()));
    const siemPort = collector.address().port;
    const metricsPort = await freePort('127.0.0.1');
    const plc = await startChillerPlc({ host: '127.0.10.21' });
    const port = await freePort(GW_HOST);
    const gw = await startGateway({
      policy: policy(port, plc.port),
      args: ['--siem', `udp://127.0.0.1:${siemPort}`, '--metrics', `127.0.0.1:${metricsPort}`],
    });
    try {
      const c = await modbusClient(GW_HOST, port, HMI);
      expect(await exceptionOf(c.writeRegister(CHILLER_SETPOINT, 600))).toBe(3);
      await c.readHoldingRegisters(0, 1);
      await closeClient(c);
      const msg = await eventually(() => received.find((m) => m.includes('modbus_value_out_of_range')));
      expect(msg).toMatch(/^<\d+>1 /); // RFC 5424 header
      const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      const text = await res.text();
      expect(text).toMatch(/otgate_frames_total\{[^}]*outcome="deny"[^}]*\} [1-9]/);
      expect(text).toMatch(/otgate_frames_total\{[^}]*outcome="allow"[^}]*\} [1-9]/);
    } finally {
      await gw.stop();
      gw.remove();
      await plc.close();
      collector.close();
    }
  });
});
