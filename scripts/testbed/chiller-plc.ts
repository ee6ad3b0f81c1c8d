/**
 * Simulated process-chiller PLC (Secluded Semiconductors fab, control zone, level 1):
 * a real Modbus TCP server (modbus-serial's ServerTCP) over a small register image.
 * Used by `otgate demo`, the tests, the benchmarks and the testbed.
 *
 *   holding 100 = chilled-water setpoint, °C ×10 (default 180 = 18.0 °C)
 *   holding 101 = mode (0 off, 1 auto, 2 manual)
 *   input   0..3 = supply temp, return temp (°C ×10), flow (l/min), compressor load (%)
 *   coils   0..7 = start/stop commands, coil 0 = compressor run
 */
import { ServerTCP } from 'modbus-serial';

export interface ChillerPlc {
  readonly host: string;
  readonly port: number;
  readonly holding: Uint16Array;
  readonly input: Uint16Array;
  readonly coils: Uint8Array;
  /** Every write that reached the device, in order: the ground truth for enforcement tests. */
  readonly writes: { table: 'holding_registers' | 'coils'; address: number; value: number; unit: number }[];
  close(): Promise<void>;
}

export const CHILLER_SETPOINT = 100;
export const CHILLER_MODE = 101;

export async function startChillerPlc(opts: { host?: string; port?: number; unitId?: number } = {}): Promise<ChillerPlc> {
  const host = opts.host ?? '127.0.0.1';
  const holding = new Uint16Array(65536);
  const input = new Uint16Array(65536);
  const coils = new Uint8Array(65536);
  holding[CHILLER_SETPOINT] = 180;
  holding[CHILLER_MODE] = 1;
  for (let i = 0; i < 100; i++) holding[i] = i;
  input.set([172, 221, 340, 63]);
  coils[0] = 1;
  const writes: ChillerPlc['writes'] = [];
  const vector = {
    getCoil: (addr: number) => coils[addr] === 1,
    getDiscreteInput: (addr: number) => coils[addr] === 1,
    getInputRegister: (addr: number) => input[addr] ?? 0,
    getHoldingRegister: (addr: number) => holding[addr] ?? 0,
    getMultipleHoldingRegisters: (addr: number, n: number) => Array.from(holding.subarray(addr, addr + n)),
    getMultipleInputRegisters: (addr: number, n: number) => Array.from(input.subarray(addr, addr + n)),
    setRegister: (addr: number, value: number, unit: number) => {
      holding[addr] = value;
      writes.push({ table: 'holding_registers', address: addr, value, unit });
    },
    setCoil: (addr: number, value: boolean, unit: number) => {
      coils[addr] = value ? 1 : 0;
      writes.push({ table: 'coils', address: addr, value: value ? 1 : 0, unit });
    },
  };
  // Port 0 is not supported by ServerTCP's option handling, so find a free port first.
  const port = opts.port ?? (await freePort(host));
  const server = new ServerTCP(vector, { host, port, unitID: opts.unitId ?? 255, debug: false });
  const events = server as unknown as NodeJS.EventEmitter; // its typings list only 'initialized'
  await new Promise<void>((resolve, reject) => {
    events.on('initialized', () => resolve());
    events.on('serverError', (err: Error) => reject(err));
  });
  events.on('socketError', () => undefined); // a client dropping mid-frame must not kill the PLC
  events.on('error', () => undefined); // a vector callback error is answered by modbus-serial; keep serving
  return {
    host, port, holding, input, coils, writes,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

if (require.main === module) {
  const host = process.argv[2] ?? '127.0.0.1';
  const port = Number(process.argv[3] ?? 502);
  startChillerPlc({ host, port }).then((plc) => {
    process.stdout.write(`chiller PLC listening on ${plc.host}:${plc.port}\n`);
    const stop = () => void plc.close().then(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  }, (err: Error) => {
    process.stderr.write(`chiller PLC failed: ${err.message}\n`);
    process.exit(1);
  });
}
