/**
 * A raw Modbus TCP client for the testbed (bound to a chosen source address): requests by
 * transaction id over MBAP framing (MB-TCP V1.0b §3.1.3), pipelining for the flood, and
 * outcomes as values (reply PDU, timeout, closed) — never a throw for what the peer does.
 */
import net from 'node:net';

export type Reply = { kind: 'pdu'; pdu: Buffer } | { kind: 'timeout' } | { kind: 'closed' };

/** MBAP header + PDU. */
export function adu(tid: number, unit: number, pdu: readonly number[] | Buffer): Buffer {
  const body = Buffer.from(pdu as number[]);
  const b = Buffer.alloc(7 + body.length);
  b.writeUInt16BE(tid & 0xffff, 0);
  b.writeUInt16BE(0, 2);
  b.writeUInt16BE(body.length + 1, 4);
  b[6] = unit & 0xff;
  body.copy(b, 7);
  return b;
}

export const pdu = {
  readHolding: (addr: number, n: number) => [0x03, addr >> 8, addr & 0xff, n >> 8, n & 0xff],
  readInput: (addr: number, n: number) => [0x04, addr >> 8, addr & 0xff, n >> 8, n & 0xff],
  writeRegister: (addr: number, v: number) => [0x06, addr >> 8, addr & 0xff, (v >> 8) & 0xff, v & 0xff],
  /** FC 8 sub-function 1: restart communications option (MB-AP §6.8.1). */
  restartComms: () => [0x08, 0x00, 0x01, 0x00, 0x00],
  /** FC 43 / MEI 14: read device identification, basic (MB-AP §6.21). */
  deviceId: () => [0x2b, 0x0e, 0x01, 0x00],
};

/** Exception code of a reply PDU, or null when it is a normal response (MB-AP §7). */
export function exceptionCode(p: Buffer): number | null {
  return p.length >= 2 && (p[0]! & 0x80) !== 0 ? p[1]! : null;
}

/** Register values of an FC 3/4 response. */
export function registers(p: Buffer): number[] {
  const out: number[] = [];
  for (let i = 2; i + 1 < p.length; i += 2) out.push(p.readUInt16BE(i));
  return out;
}

export class ModbusWire {
  private buf: Buffer = Buffer.alloc(0);
  private tid = 0;
  private readonly waiting = new Map<number, (r: Reply) => void>();
  private closedFlag = false;
  /** Replies that arrived for nobody (after a timeout) or all replies in fire-and-forget mode. */
  readonly unmatched: Buffer[] = [];

  private constructor(private readonly sock: net.Socket) {
    sock.on('data', (d) => this.onData(d));
    sock.on('close', () => {
      this.closedFlag = true;
      for (const [, w] of this.waiting) w({ kind: 'closed' });
      this.waiting.clear();
    });
    sock.on('error', () => undefined);
  }

  static connect(host: string, port: number, localAddress: string | undefined, timeoutMs: number): Promise<ModbusWire | 'timeout' | 'refused' | string> {
    return new Promise((resolve) => {
      const s = net.connect({ host, port, ...(localAddress ? { localAddress } : {}) });
      const timer = setTimeout(() => {
        s.destroy();
        resolve('timeout');
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        resolve(new ModbusWire(s));
      });
      s.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        resolve(err.code === 'ECONNREFUSED' ? 'refused' : (err.code ?? err.message));
      });
    });
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  request(unit: number, body: readonly number[], timeoutMs = 2000): Promise<Reply> {
    if (this.closedFlag) return Promise.resolve({ kind: 'closed' });
    const tid = (this.tid = (this.tid + 1) & 0xffff);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(tid);
        resolve({ kind: 'timeout' });
      }, timeoutMs);
      this.waiting.set(tid, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.sock.write(adu(tid, unit, body));
    });
  }

  /** Write without waiting (pipelining); replies land in `unmatched`. */
  send(unit: number, body: readonly number[]): boolean {
    if (this.closedFlag) return false;
    this.tid = (this.tid + 1) & 0xffff;
    this.sock.write(adu(this.tid, unit, body));
    return true;
  }

  close(): void {
    this.sock.destroy();
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    while (this.buf.length >= 7) {
      const len = this.buf.readUInt16BE(4);
      if (len < 1 || len > 254) {
        this.sock.destroy(); // not Modbus: stop reading rather than buffer without bound
        return;
      }
      if (this.buf.length < 6 + len) return;
      const tid = this.buf.readUInt16BE(0);
      const body = Buffer.from(this.buf.subarray(7, 6 + len));
      this.buf = this.buf.subarray(6 + len);
      const w = this.waiting.get(tid);
      if (w) {
        this.waiting.delete(tid);
        w({ kind: 'pdu', pdu: body });
      } else if (this.unmatched.length < 100_000) this.unmatched.push(body);
    }
  }
}
