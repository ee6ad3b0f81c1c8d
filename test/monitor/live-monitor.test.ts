/**
 * `otgate monitor --interface lo` as a real process (libpcap live capture needs root; CI runs as
 * root): a Modbus write the policy denies, between real peers on loopback, lands in the audit
 * store, and the monitor never acts on it (the write still reaches the PLC, the client gets its
 * normal answer). Stopped by pid with SIGTERM: the command exits by itself even though libpcap's
 * poll handle stays referenced after close() (STACK-NOTES), which is part of what is checked.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AuditStore } from '../../daemon/audit/store';
import { startChillerPlc, freePort, type ChillerPlc } from '../../scripts/testbed/chiller-plc';
import { MAIN } from '../helpers/gateway';
import { closeClient, modbusClient } from '../helpers/modbus-peers';

const PLC = '127.0.47.21';
const HMI = '127.0.47.11';

const policy = (port: number) => `
version: 1
site: live-monitor
defaults: { mode: enforce }
zones:
  - { name: control, level: 1, networks: [127.0.47.0/24] }
assets:
  - { name: chiller-plc, zone: control, address: ${PLC} }
  - { name: hmi, zone: control, address: ${HMI} }
conduits:
  - name: hmi-to-plc
    from_zone: control
    to_zone: control
    protocol: modbus
    listen: "127.0.47.1:${port}"
    upstream: { asset: chiller-plc, port: ${port} }
    rules:
      - name: hmi-reads
        clients: [hmi]
        modbus: { unit_ids: [1], functions: [3], read: { holding_registers: ["0-199"] } }
`;

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

test('a denied write between real peers is recorded, never acted on; SIGTERM stops the process', async () => {
  if (!isRoot) {
    // Live capture needs CAP_NET_RAW; nothing can be observed without it.
    console.log('live-monitor: not root, libpcap cannot open "lo": nothing checked (CI runs as root)');
    return;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'otgate-live-'));
  let plc: ChillerPlc | null = null;
  const port = await freePort(PLC);
  plc = await startChillerPlc({ host: PLC, port, unitId: 1 });
  const policyFile = path.join(dir, 'policy.yaml');
  const db = path.join(dir, 'audit.db');
  writeFileSync(policyFile, policy(port));
  const proc = spawn(process.execPath, [MAIN, 'monitor', '--interface', 'lo', '--policy', policyFile, '--db', db, '--filter', `tcp and host ${PLC} and port ${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const waitFor = async (re: RegExp, ms = 10_000) => {
    for (const end = Date.now() + ms; !re.test(err); ) {
      if (Date.now() > end || proc.exitCode !== null) throw new Error(`no ${re} from otgate monitor:\n${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  try {
    await waitFor(/capturing on lo/);
    const c = await modbusClient(PLC, port, HMI);
    const read = await c.readHoldingRegisters(100, 2);
    await c.writeRegister(100, 150); // denied by the policy; the monitor must not interfere
    await closeClient(c);
    expect(read.data).toEqual([180, 1]);
    expect(plc.holding[100]).toBe(150);
    await waitFor(/otgate monitor: deny modbus_function_not_allowed/);
  } finally {
    if (proc.exitCode === null && proc.pid !== undefined) process.kill(proc.pid, 'SIGTERM');
    const killer = setTimeout(() => proc.pid !== undefined && proc.exitCode === null && process.kill(proc.pid, 'SIGKILL'), 5000);
    const code = await exited;
    clearTimeout(killer);
    await plc.close();
    expect(code).toBe(0); // exited on its own after SIGTERM (not killed)
  }
  const store = AuditStore.open(db);
  try {
    const denies = store.query({ verdict: 'deny' });
    expect(denies).toHaveLength(1);
    expect(denies[0]).toEqual(expect.objectContaining({
      proto: 'modbus', conduit: 'hmi-to-plc', src: `${HMI}:${denies[0]!.src.split(':')[1]}`, dst: `${PLC}:${port}`,
      clientAsset: 'hmi', serverAsset: 'chiller-plc', dir: 'request', action: 'observed', reason: 'modbus_function_not_allowed',
    }));
    expect(denies[0]!.fields).toEqual(expect.objectContaining({ fc: 6, address: 100, values: [150] }));
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
