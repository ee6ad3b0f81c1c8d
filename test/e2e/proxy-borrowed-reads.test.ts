/**
 * Each side of a Modbus connection is read into a buffer the connection reuses
 * (daemon/proxy/connection.ts, ProtocolInspector.borrowsChunks; the client side through
 * own-reads.ts), and forwarded as views of it. What can go wrong with that is silent: a view
 * still queued for a slow peer overwritten by the next read before it is sent. So, both ways
 * through the spawned daemon, with the slow peer's receive buffer at 4 KiB (the gateway's writes
 * to it queue, and it pauses the other side):
 * - s2c: two clients each pipeline 40,000 FC 3 requests and stop reading for a while, while the
 *   device answers every request with registers that encode the connection and the transaction;
 * - c2s: two clients each pipeline 20,000 FC 16 requests (and 5,000 FC 3) whose values encode
 *   the connection and the transaction to a device that stops reading one connection a while.
 * Every byte must arrive as sent. (Checked: with write()'s retire of the client-side buffer taken
 * out, the c2s case fails at group 686 on every run; with the device-side one out, s2c fails.)
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../scripts/testbed/chiller-plc';
import { startGateway, type Gateway } from '../helpers/gateway';
import { adu } from '../helpers/modbus-peers';

const GW_HOST = '127.0.20.1';
const HMI = '127.0.20.11';
const PLC = '127.0.10.21';
const SLOW_PLC = '127.0.10.22';
const REQUESTS = 40_000;
const REGS = 125; // 259-byte ADUs: 15.5 MB per client, more than the kernel's 4 MB send buffer limit

/**
 * c2s: groups of 16 FC 16 requests (120 registers, 253-byte ADUs) and 4 FC 3 requests (12 bytes)
 * are 4096 bytes, the gateway's read size: a full read of the backlogged stream that starts on
 * an ADU boundary ends on one, so it is forwarded as a view of the read buffer, not a copy.
 */
const WRITE_GROUPS = 1250; // 5 MB per client, more than the kernel's 4 MB send buffer limit
const WRITE_REGS = 120;

const policy = (listenPort: number, plcPort: number, writePort: number, slowPort: number): string => `
version: 1
site: e2e
defaults: { mode: enforce, audit: { allowed: none } }
zones:
  - { name: supervisory, level: 2, networks: [127.0.20.0/24] }
  - { name: control, level: 1, networks: [127.0.10.0/24] }
assets:
  - { name: hmi-1, zone: supervisory, address: ${HMI} }
  - { name: chiller-plc, zone: control, address: ${PLC} }
  - { name: slow-plc, zone: control, address: ${SLOW_PLC} }
conduits:
  - name: hmi-chiller
    from_zone: supervisory
    to_zone: control
    protocol: modbus
    listen: ${GW_HOST}:${listenPort}
    upstream: { asset: chiller-plc, port: ${plcPort} }
    limits: { max_pending_requests: 65535, request_timeout_ms: 60000 }
    rules:
      - { name: hmi-read, clients: [hmi-1], modbus: { unit_ids: [1], functions: [read_holding_registers], read: { holding_registers: ["0-199"] } } }
  - name: hmi-slow
    from_zone: supervisory
    to_zone: control
    protocol: modbus
    listen: ${GW_HOST}:${writePort}
    upstream: { asset: slow-plc, port: ${slowPort} }
    limits: { max_pending_requests: 65535, request_timeout_ms: 60000 }
    rules:
      - { name: hmi-write, clients: [hmi-1], modbus: { unit_ids: [1], functions: [read_holding_registers, write_multiple_registers], read: { holding_registers: ["0-199"] }, write: { holding_registers: ["0-199"] } } }
`;

/** The FC 3 response the device sends for (connection tag, tid): register i = tag·4096 + (tid·7 + i) mod 4096. */
function response(tag: number, tid: number): Buffer {
  const b = Buffer.alloc(9 + 2 * REGS);
  b.writeUInt16BE(tid, 0);
  b.writeUInt16BE(3 + 2 * REGS, 4);
  b[6] = 1;
  b[7] = 3;
  b[8] = 2 * REGS;
  for (let i = 0; i < REGS; i++) b.writeUInt16BE(tag * 4096 + ((tid * 7 + i) % 4096), 9 + 2 * i);
  return b;
}

/**
 * A device that answers each FC 3 request with its own write, one per event-loop turn, so most
 * gateway reads hold whole ADUs (those are forwarded as views of the shared buffer). The tag
 * comes from the request's start address, so the two connections' answers differ.
 */
function startDevice(): Promise<{ server: net.Server; port: number }> {
  return new Promise((resolve) => {
    const server = net.createServer((s) => {
      let carry: Buffer = Buffer.alloc(0);
      const queue: Buffer[] = [];
      let sending = false;
      const sendOne = (): void => {
        const next = queue.shift();
        if (next === undefined || s.destroyed) {
          sending = false;
          return;
        }
        s.write(next);
        setImmediate(sendOne);
      };
      s.on('data', (d: Buffer) => {
        carry = carry.length === 0 ? d : Buffer.concat([carry, d]);
        let off = 0;
        while (carry.length - off >= 12) {
          queue.push(response(carry.readUInt16BE(off + 8), carry.readUInt16BE(off)));
          off += 12;
        }
        carry = carry.subarray(off);
        if (!sending) {
          sending = true;
          setImmediate(sendOne);
        }
      });
      s.on('error', () => undefined);
    });
    server.listen(0, PLC, () => resolve({ server, port: (server.address() as net.AddressInfo).port }));
  });
}

/**
 * A client with a 4 KiB receive buffer (python3: Node cannot set SO_RCVBUF on TCP), so the
 * gateway's writes to it queue after a few responses: sends every request at once, reads
 * nothing for `stallMs`, then reads `expect` bytes and writes them to stdout.
 */
const CLIENT_PY = `
import socket, sys, time
host, port, local, stall, expect = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), int(sys.argv[5])
data = sys.stdin.buffer.read()
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.bind((local, 0))
s.connect((host, port))
s.sendall(data)
time.sleep(stall)
got = bytearray()
while len(got) < expect:
    d = s.recv(65536)
    if not d:
        break
    got += d
s.close()
sys.stdout.buffer.write(got)
`;

function pipelinedClient(port: number, tag: number, stallMs: number, expect: number): Promise<Buffer> {
  const reqs: Buffer[] = [];
  for (let tid = 0; tid < REQUESTS; tid++) reqs.push(adu(tid, 1, [0x03, tag >> 8, tag & 0xff, 0x00, REGS]));
  return new Promise((resolve, reject) => {
    const p = spawn('python3', ['-c', CLIENT_PY, GW_HOST, String(port), HMI, String(stallMs / 1000), String(expect)], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    p.stdout.on('data', (d: Buffer) => out.push(d));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`client exited ${code}: ${err}`))));
    p.stdin.end(Buffer.concat(reqs));
  });
}

/** The FC 16 request a client sends for (connection tag, tid): start address = tag, value i = tag·4096 + (tid·5 + i) mod 4096. */
function writeRequest(tag: number, tid: number): Buffer {
  const pdu = Buffer.alloc(6 + 2 * WRITE_REGS);
  pdu[0] = 0x10;
  pdu.writeUInt16BE(tag, 1);
  pdu.writeUInt16BE(WRITE_REGS, 3);
  pdu[5] = 2 * WRITE_REGS;
  for (let i = 0; i < WRITE_REGS; i++) pdu.writeUInt16BE(tag * 4096 + ((tid * 5 + i) % 4096), 6 + 2 * i);
  return adu(tid, 1, [...pdu]);
}

/** A client's whole c2s stream: WRITE_GROUPS groups of 16 FC 16 and 4 FC 3 requests, transaction ids in order. */
function writeStream(tag: number): Buffer {
  const out: Buffer[] = [];
  let tid = 0;
  for (let g = 0; g < WRITE_GROUPS; g++) {
    for (let k = 0; k < 16; k++) out.push(writeRequest(tag, tid++));
    for (let k = 0; k < 4; k++) out.push(adu(tid++, 1, [0x03, tag >> 8, tag & 0xff, 0x00, 10]));
  }
  return Buffer.concat(out);
}

/**
 * A device with a 4 KiB receive buffer (set on the listening socket, so accepted sockets have it
 * from the handshake on) that never answers: per connection it reads the first request, takes
 * the tag from its start address, stops reading for `stall` seconds if the tag is `stall_tag`,
 * then reads `expect` bytes in all and writes them to `<dir>/<tag>`. Prints its port, exits
 * after two connections.
 */
const DEVICE_PY = `
import socket, sys, threading, time
host, stall_tag, stall, expect, out = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
srv.bind((host, 0))
srv.listen(2)
print(srv.getsockname()[1], flush=True)
def serve(c):
    got = bytearray()
    while len(got) < 12:
        d = c.recv(12 - len(got))
        if not d:
            break
        got += d
    tag = int.from_bytes(got[8:10], 'big')
    if tag == stall_tag:
        time.sleep(stall)
    while len(got) < expect:
        d = c.recv(65536)
        if not d:
            break
        got += d
    with open('%s/%d' % (out, tag), 'wb') as f:
        f.write(got)
    c.close()
threads = []
for _ in range(2):
    c, _ = srv.accept()
    t = threading.Thread(target=serve, args=(c,))
    t.start()
    threads.append(t)
for t in threads:
    t.join()
`;

interface SlowDevice {
  readonly port: number;
  readonly done: Promise<void>;
  readonly pid: number;
}

function startSlowDevice(out: string, stallTag: number, stallMs: number, expect: number): Promise<SlowDevice> {
  const p = spawn('python3', ['-c', DEVICE_PY, SLOW_PLC, String(stallTag), String(stallMs / 1000), String(expect), out], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  p.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<void>((resolve, reject) => p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`device exited ${code}: ${err}`)))));
  return new Promise((resolve, reject) => {
    p.on('error', reject);
    p.stdout.once('data', (d: Buffer) => resolve({ port: Number(d.toString().trim()), done, pid: p.pid! }));
    done.catch(reject);
  });
}

/**
 * Connects from the HMI's address and writes `bytes` one 4096-byte group per event-loop turn
 * with Nagle off, so segments (and the gateway's reads) start on group boundaries until the
 * gateway stops reading; the returned socket stays open.
 */
function writingClient(port: number, bytes: Buffer): net.Socket {
  const s = net.connect({ host: GW_HOST, port, localAddress: HMI, noDelay: true }, () => {
    let off = 0;
    const next = (): void => {
      if (s.destroyed || off >= bytes.length) return;
      s.write(bytes.subarray(off, off + 4096));
      off += 4096;
      setImmediate(next);
    };
    next();
  });
  s.on('error', () => undefined);
  return s;
}

describe('reads into per-connection buffers, both ways', () => {
  let gw: Gateway;
  let device: { server: net.Server; port: number };
  let slow: SlowDevice;
  let port: number;
  let writePort: number;
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'otgate-c2s-'));
  const streamSize = writeStream(0).length;

  beforeAll(async () => {
    device = await startDevice();
    slow = await startSlowDevice(out, 1, 1500, streamSize);
    port = await freePort(GW_HOST);
    writePort = await freePort(GW_HOST);
    gw = await startGateway({ policy: policy(port, device.port, writePort, slow.port) });
  });

  afterAll(async () => {
    await gw?.stop();
    gw?.remove();
    await new Promise((r) => device?.server.close(r));
    if (slow !== undefined) {
      try {
        process.kill(slow.pid);
      } catch {
        // already exited
      }
    }
    fs.rmSync(out, { recursive: true, force: true });
  });

  test('two stalled clients get every response byte as the device sent it', async () => {
    const size = response(0, 0).length;
    const expected = (tag: number) => Buffer.concat(Array.from({ length: REQUESTS }, (_, tid) => response(tag, tid)));
    const [a, b] = await Promise.all([pipelinedClient(port, 1, 2500, REQUESTS * size), pipelinedClient(port, 2, 0, REQUESTS * size)]);
    for (const [got, tag] of [[a, 1], [b, 2]] as const) {
      const want = expected(tag);
      expect(got.length).toBe(want.length);
      const at = got.equals(want) ? -1 : got.findIndex((x, i) => x !== want[i]);
      expect(at === -1 ? 'identical' : `first difference at byte ${at} (response ${Math.floor(at / size)})`).toBe('identical');
    }
  }, 60_000);

  test('a device that stops reading one connection gets every request byte as the clients sent it', async () => {
    const clients = [writingClient(writePort, writeStream(1)), writingClient(writePort, writeStream(2))];
    try {
      await slow.done;
    } finally {
      for (const c of clients) c.destroy();
    }
    for (const tag of [1, 2]) {
      const got = fs.readFileSync(path.join(out, String(tag)));
      const want = writeStream(tag);
      expect(got.length).toBe(want.length);
      const at = got.equals(want) ? -1 : got.findIndex((x, i) => x !== want[i]);
      expect(at === -1 ? 'identical' : `first difference at byte ${at} (group ${Math.floor(at / 4096)})`).toBe('identical');
    }
  }, 60_000);
});
