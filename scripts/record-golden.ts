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
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import ModbusRTU from 'modbus-serial';
import { startChillerPlc } from './testbed/chiller-plc';

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

async function main(): Promise<void> {
  const name = process.argv[2] ?? 'modbus-basic';
  const port = 502;
  const dir = path.resolve('test/golden', name);
  mkdirSync(dir, { recursive: true });
  const plc = await startChillerPlc({ host: SERVER, port, unitId: 1 });
  const file = path.join(dir, 'capture.pcap');
  const dump = spawn('tcpdump', ['-i', 'lo', '-s', '0', '-U', '--immediate-mode', '-n', '-w', file, `tcp and host ${SERVER} and port ${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((resolve) => dump.stderr.on('data', (d: Buffer) => d.toString().includes('listening on') && resolve()));
  await sleep(200);
  try {
    if (name === 'modbus-basic') await modbusBasic(port);
    else throw new Error(`unknown case ${name}`);
    await sleep(1500); // let libpcap's ring buffer deliver the last packets before SIGINT
  } finally {
    dump.kill('SIGINT');
    await new Promise((r) => dump.on('exit', r));
    await plc.close();
  }
  process.stdout.write(`recorded ${file}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
