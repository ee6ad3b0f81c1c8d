/** Real Modbus peers for tests: modbus-serial clients bound to a chosen source address, raw sockets. */
import net from 'node:net';
import ModbusRTU from 'modbus-serial';

export async function modbusClient(host: string, port: number, localAddress: string, unit = 1): Promise<ModbusRTU> {
  const c = new ModbusRTU();
  await c.connectTCP(host, { port, localAddress } as never);
  c.setID(unit);
  c.setTimeout(3000);
  return c;
}

export const closeClient = (c: ModbusRTU): Promise<void> => new Promise((r) => c.close(() => r()));

/** Exception code of a rejected modbus-serial call. */
export async function exceptionOf(p: Promise<unknown>): Promise<number | string> {
  try {
    await p;
    return 'no exception';
  } catch (err) {
    return (err as { modbusCode?: number }).modbusCode ?? (err as Error).message;
  }
}

/** Send raw bytes on a fresh connection; collect the reply until `expect` bytes or close or timeout. */
export function rawExchange(host: string, port: number, localAddress: string, bytes: Buffer, expect = Infinity, timeoutMs = 2000): Promise<{ reply: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, localAddress });
    let reply = Buffer.alloc(0);
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ reply, closed });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    s.on('connect', () => s.write(bytes));
    s.on('data', (d) => {
      reply = Buffer.concat([reply, d]);
      if (reply.length >= expect) finish(false);
    });
    s.on('close', () => finish(true));
    s.on('error', () => undefined);
  });
}

/** MBAP + PDU bytes from a unit id and PDU (MB-TCP §3.1.3). */
export function adu(tid: number, unit: number, pdu: number[]): Buffer {
  const b = Buffer.alloc(7 + pdu.length);
  b.writeUInt16BE(tid, 0);
  b.writeUInt16BE(0, 2);
  b.writeUInt16BE(pdu.length + 1, 4);
  b[6] = unit;
  Buffer.from(pdu).copy(b, 7);
  return b;
}
