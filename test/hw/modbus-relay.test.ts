import net from 'node:net';
import { ServerTCP } from 'modbus-serial';
import { ModbusRelay } from '../../hw/modbus-relay';

/** A relay / remote I/O module: coil 4 drives the relay, discrete input 4 is its auxiliary contact. */
class IoModule {
  coils = new Map<number, boolean>();
  inputs = new Map<number, boolean>();
  registers = new Map<number, number>();
  /** When true the feedback input follows the coil (a healthy relay). */
  healthy = true;
  writes: string[] = [];
  server!: ServerTCP;
  port = 0;

  async start(port?: number): Promise<void> {
    this.port = port ?? (await freePort());
    this.server = new ServerTCP(
      {
        getCoil: (addr: number) => this.coils.get(addr) ?? false,
        getDiscreteInput: (addr: number) => (addr === 4 && this.healthy ? this.coils.get(4) ?? false : this.inputs.get(addr) ?? false),
        getHoldingRegister: (addr: number) => this.registers.get(addr) ?? 0,
        getInputRegister: () => 0,
        setCoil: (addr: number, v: boolean) => {
          this.writes.push(`coil ${addr}=${v}`);
          this.coils.set(addr, v);
        },
        setRegister: (addr: number, v: number) => {
          this.writes.push(`reg ${addr}=${v}`);
          this.registers.set(addr, v);
        },
      },
      { host: '127.0.0.1', port: this.port, unitID: 7 },
    );
    await new Promise<void>((r) => this.server.on('initialized', () => r()));
  }

  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

describe('modbus relay driver against a modbus-serial I/O module on 127.0.0.1', () => {
  let io: IoModule;
  let relay: ModbusRelay;
  beforeEach(async () => {
    io = new IoModule();
    await io.start();
    relay = new ModbusRelay({ host: '127.0.0.1', port: io.port, unitId: 7, coil: 4, feedbackInput: 4, keyswitchInput: 9, heartbeatRegister: 20, timeoutMs: 1000 });
  });
  afterEach(async () => {
    await relay.detach();
    await io.stop();
  });

  it('connect / isolate write the coil (FC 5) and the feedback input (FC 2) follows', async () => {
    await relay.close();
    expect(io.coils.get(4)).toBe(true);
    expect(await relay.read()).toEqual({ contact: 'connected', keyswitch: false, watchdogTripped: null });
    await relay.open();
    expect(io.coils.get(4)).toBe(false);
    expect((await relay.read()).contact).toBe('isolated');
    expect(await relay.readCoil()).toBe(false);
  });

  it('reports a feedback mismatch: coil on, contact stuck open (and a welded contact the other way)', async () => {
    io.healthy = false;
    io.inputs.set(4, false);
    await relay.close();
    const fb = await relay.read();
    expect(relay.commanded()).toBe('connected');
    expect(fb.contact).toBe('isolated');
    io.inputs.set(4, true);
    await relay.open();
    expect(relay.commanded()).toBe('isolated');
    expect((await relay.read()).contact).toBe('connected');
  });

  it('heartbeat writes a counter to the holding register (FC 6); key-switch is read from its input', async () => {
    await relay.heartbeat();
    await relay.heartbeat();
    await relay.heartbeat();
    expect(io.writes.filter((w) => w.startsWith('reg 20='))).toEqual(['reg 20=1', 'reg 20=2', 'reg 20=3']);
    io.inputs.set(9, true);
    expect((await relay.read()).keyswitch).toBe(true);
  });

  it('detach de-energizes the coil before hanging up', async () => {
    await relay.close();
    await relay.detach();
    expect(io.coils.get(4)).toBe(false);
    expect(io.writes.at(-1)).toBe('coil 4=false');
  });

  it('an unreachable module fails commands with a relay error and reads unknown; it reconnects when back', async () => {
    await io.stop();
    await expect(relay.close()).rejects.toThrow(/modbus relay/);
    expect(relay.commanded()).not.toBe('connected');
    expect((await relay.read()).contact).toBe('unknown');
    const port = io.port;
    io = new IoModule();
    await io.start(port); // the module comes back on its address
    await relay.close();
    expect(io.coils.get(4)).toBe(true);
  });
});
