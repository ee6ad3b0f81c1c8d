/**
 * Interop with a real peer: modbus-serial's client and ServerTCP talk over loopback through a
 * tap that records both directions; every byte they exchanged must decode into frames that
 * pair up, and re-encode to the same bytes. Unsupported function codes come back as exceptions.
 * (modbus-serial 8's client never settles FC 17 exceptions and has no typed FC 23 call, so
 * those are covered by the byte fixtures.)
 */
import net from 'node:net';
import ModbusRTU, { ServerTCP } from 'modbus-serial';
import { decodeModbusAdu, encodeFrame, ModbusTransactions, type ModbusFrame, type ModbusDirection } from '../../../protocols/modbus';

const HOST = '127.0.0.1';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, HOST, () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** A pass-through relay that keeps a copy of each direction. */
function tap(targetPort: number): Promise<{ port: number; c2s: Buffer[]; s2c: Buffer[]; close: () => Promise<void> }> {
  const c2s: Buffer[] = [];
  const s2c: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: HOST, port: targetPort });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (d) => { c2s.push(Buffer.from(d)); upstream.write(d); });
    upstream.on('data', (d) => { s2c.push(Buffer.from(d)); client.write(d); });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  return new Promise((resolve) => {
    server.listen(0, HOST, () => {
      const a = server.address() as net.AddressInfo;
      resolve({
        port: a.port, c2s, s2c,
        close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
      });
    });
  });
}

function decodeAll(stream: Buffer, dir: ModbusDirection): ModbusFrame[] {
  const out: ModbusFrame[] = [];
  let off = 0;
  while (off < stream.length) {
    const r = decodeModbusAdu(stream, off, dir);
    if (r.kind !== 'frame') throw new Error(`${dir} at ${off}: ${JSON.stringify(r)}`);
    expect(encodeFrame(r.frame).equals(stream.subarray(off, off + r.consumed))).toBe(true);
    out.push(r.frame);
    off += r.consumed;
  }
  return out;
}

describe('modbus-serial over loopback', () => {
  let server: InstanceType<typeof ServerTCP>;
  let relay: Awaited<ReturnType<typeof tap>>;
  let client: ModbusRTU;
  const holding = new Uint16Array(256).map((_, i) => i * 3);
  const coils = new Uint8Array(256);

  beforeAll(async () => {
    const port = await freePort();
    server = new ServerTCP({
      getCoil: (a: number) => coils[a] === 1,
      getDiscreteInput: (a: number) => a % 2 === 0,
      getInputRegister: (a: number) => a + 1000,
      getHoldingRegister: (a: number) => {
        if (a >= 200) throw { modbusErrorCode: 0x02 }; // illegal data address, MB-AP §7
        return holding[a] ?? 0;
      },
      setRegister: (a: number, v: number) => { holding[a] = v; },
      setCoil: (a: number, v: boolean) => { coils[a] = v ? 1 : 0; },
    }, { host: HOST, port, unitID: 255, debug: false });
    await new Promise<void>((resolve) => server.on('initialized', () => resolve()));
    (server as unknown as NodeJS.EventEmitter).on('error', () => undefined);
    (server as unknown as NodeJS.EventEmitter).on('socketError', () => undefined);
    relay = await tap(port);
    client = new ModbusRTU();
    await client.connectTCP(HOST, { port: relay.port });
    client.setID(7);
    client.setTimeout(3000);
  });

  afterAll(async () => {
    await new Promise<void>((r) => client.close(() => r()));
    await relay.close();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('decodes and pairs every frame both peers sent', async () => {
    expect((await client.readHoldingRegisters(10, 5)).data).toEqual([30, 33, 36, 39, 42]);
    await client.readInputRegisters(0, 3);
    await client.readCoils(0, 12);
    await client.readDiscreteInputs(3, 20);
    await client.writeCoil(5, true);
    await client.writeRegister(20, 600);
    await client.writeCoils(16, [true, false, true, true, false, false, true, true, true]);
    await client.writeRegisters(100, [600, 601, 602]);
    const failures: unknown[] = [];
    for (const call of [
      () => client.readHoldingRegisters(250, 2), // exception 02 from the vector
      () => client.maskWriteRegister(4, 0xf2, 0x25), // FC 22: unsupported by ServerTCP, exception 01
      () => client.readDeviceIdentification(1, 0), // FC 43/14: no vector, exception 01
    ]) {
      try { await call(); } catch (err) { failures.push(err); }
    }
    expect(failures).toHaveLength(3);

    const requests = decodeAll(Buffer.concat(relay.c2s), 'request');
    const responses = decodeAll(Buffer.concat(relay.s2c), 'response');
    expect(requests.map((f) => f.fc)).toEqual([3, 4, 1, 2, 5, 6, 15, 16, 3, 22, 43]);
    expect(requests.every((f) => f.mbap.unit === 7)).toBe(true);
    expect(responses).toHaveLength(requests.length);
    expect(responses.filter((r) => r.kind === 'response' && r.exception).map((r) => r.fc)).toEqual([3, 22, 43]);

    const tx = new ModbusTransactions(16, 5000);
    requests.forEach((r, i) => { if (r.kind === 'request') expect(tx.onRequest(r, i)).toBeNull(); });
    for (const r of responses) {
      if (r.kind !== 'response') throw new Error('direction');
      expect(tx.onResponse(r, 100)).toMatchObject({ anomaly: null, request: expect.objectContaining({ fc: r.fc }) });
    }
    expect(tx.size).toBe(0);
  });
});
