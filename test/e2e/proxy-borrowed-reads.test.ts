/**
 * The device side of a Modbus connection is read into one buffer shared by every connection
 * (daemon/proxy/connection.ts, ProtocolInspector.borrowsChunks). What can go wrong with that is
 * silent: a forwarded view still queued for a slow client, or a read on another connection,
 * overwriting bytes before they reach the client. So: two clients each pipeline 60,000 FC 3
 * requests through the spawned daemon and stop reading for a while with a 4 KiB receive buffer
 * (the gateway's writes to them queue and it pauses the device side), while the device answers every request with registers
 * that encode the connection and the transaction. Every response byte must arrive as sent.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { freePort } from '../../scripts/testbed/chiller-plc';
import { startGateway, type Gateway } from '../helpers/gateway';
import { adu } from '../helpers/modbus-peers';

const GW_HOST = '127.0.20.1';
const HMI = '127.0.20.11';
const PLC = '127.0.10.21';
const REQUESTS = 40_000;
const REGS = 125; // 259-byte ADUs: 15.5 MB per client, more than the kernel's 4 MB send buffer limit

const policy = (listenPort: number, plcPort: number): string => `
version: 1
site: e2e
defaults: { mode: enforce, audit: { allowed: none } }
zones:
  - { name: supervisory, level: 2, networks: [127.0.20.0/24] }
  - { name: control, level: 1, networks: [127.0.10.0/24] }
assets:
  - { name: hmi-1, zone: supervisory, address: ${HMI} }
  - { name: chiller-plc, zone: control, address: ${PLC} }
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

describe('device-side reads into the shared buffer', () => {
  let gw: Gateway;
  let device: { server: net.Server; port: number };
  let port: number;

  beforeAll(async () => {
    device = await startDevice();
    port = await freePort(GW_HOST);
    gw = await startGateway({ policy: policy(port, device.port) });
  });

  afterAll(async () => {
    await gw?.stop();
    gw?.remove();
    await new Promise((r) => device?.server.close(r));
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
});
