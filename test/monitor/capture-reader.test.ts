/**
 * The lean capture reader against libpcap: the same frames, link types and timestamps from
 * classic pcap (either byte order, µs or ns), pcapng (with if_tsresol), across chunk
 * boundaries; damaged and cut-off files end the read with a reason instead of a throw.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readCaptureFileLean } from '../../daemon/monitor/capture-reader';
import { readWithLibpcap } from '../../daemon/monitor/pcap-source';
import { generate } from '../../scripts/gen-modbus-pcap';
import { readPcap, type Pkt } from '../golden/pcap-file';

const GOLDEN = path.join(__dirname, '..', 'golden');
let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'otgate-reader-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Seen {
  ts: number;
  link: number;
  hex: string;
}

function lean(file: string): { frames: Seen[]; stopped: string | null } {
  const frames: Seen[] = [];
  const r = readCaptureFileLean(file, (ts, link, frame) => frames.push({ ts, link, hex: frame.toString('hex') }));
  return { frames, stopped: r.stopped };
}

async function libpcap(file: string): Promise<Seen[]> {
  const frames: Seen[] = [];
  await readWithLibpcap(file, (ts, link, frame) => frames.push({ ts, link, hex: frame.toString('hex') }));
  return frames;
}

/** Classic pcap, big-endian, nanosecond timestamps (magic 0xa1b23c4d written big-endian). */
function writeBigEndianNs(file: string, linkType: number, packets: readonly Pkt[]): void {
  const parts: Buffer[] = [];
  const h = Buffer.alloc(24);
  h.writeUInt32BE(0xa1b23c4d, 0);
  h.writeUInt16BE(2, 4);
  h.writeUInt16BE(4, 6);
  h.writeUInt32BE(262144, 16);
  h.writeUInt32BE(linkType, 20);
  parts.push(h);
  for (const p of packets) {
    const r = Buffer.alloc(16);
    r.writeUInt32BE(p.sec, 0);
    r.writeUInt32BE(p.usec * 1000, 4);
    r.writeUInt32BE(p.data.length, 8);
    r.writeUInt32BE(p.data.length, 12);
    parts.push(r, p.data);
  }
  writeFileSync(file, Buffer.concat(parts));
}

/** pcapng: SHB, an IDB with if_tsresol = 10^-9, a name-resolution block to skip, one EPB per packet. */
function writePcapng(file: string, linkType: number, packets: readonly Pkt[]): void {
  const block = (type: number, body: Buffer) => {
    const padded = Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
    const b = Buffer.alloc(12 + padded.length);
    b.writeUInt32LE(type, 0);
    b.writeUInt32LE(b.length, 4);
    padded.copy(b, 8);
    b.writeUInt32LE(b.length, b.length - 4);
    return b;
  };
  const shb = Buffer.alloc(16);
  shb.writeUInt32LE(0x1a2b3c4d, 0);
  shb.writeUInt16LE(1, 4);
  shb.writeBigInt64LE(-1n, 8);
  const idb = Buffer.alloc(8 + 8 + 4);
  idb.writeUInt16LE(linkType, 0);
  idb.writeUInt32LE(262144, 4);
  idb.writeUInt16LE(9, 8); // if_tsresol
  idb.writeUInt16LE(1, 10);
  idb[12] = 9;
  // opt_endofopt: zeros
  const parts = [block(0x0a0d0d0a, shb), block(1, idb), block(4, Buffer.alloc(4))];
  for (const p of packets) {
    const ns = BigInt(p.sec) * 1_000_000_000n + BigInt(p.usec) * 1000n;
    const epb = Buffer.alloc(20 + p.data.length);
    epb.writeUInt32LE(0, 0);
    epb.writeUInt32LE(Number(ns >> 32n), 4);
    epb.writeUInt32LE(Number(ns & 0xffffffffn), 8);
    epb.writeUInt32LE(p.data.length, 12);
    epb.writeUInt32LE(p.data.length, 16);
    p.data.copy(epb, 20);
    parts.push(block(6, epb));
  }
  writeFileSync(file, Buffer.concat(parts));
}

const near = (a: Seen[], b: Seen[]) => {
  expect(a.map((x) => [x.link, x.hex])).toEqual(b.map((x) => [x.link, x.hex]));
  a.forEach((x, i) => expect(Math.abs(x.ts - b[i]!.ts)).toBeLessThan(0.001));
};

test.each(['modbus-basic', 'mqtt-aedes', 'opcua-none'])('%s: the same frames and timestamps as libpcap', async (name) => {
  const file = path.join(GOLDEN, name, 'capture.pcap');
  const mine = lean(file);
  expect(mine.stopped).toBeNull();
  expect(mine.frames.length).toBeGreaterThan(10);
  near(mine.frames, await libpcap(file));
});

test('big-endian nanosecond pcap and pcapng (ns resolution, a block to skip) read like the original', async () => {
  const src = path.join(GOLDEN, 'modbus-basic', 'capture.pcap');
  const { linkType, packets } = readPcap(src);
  const be = path.join(tmp, 'be-ns.pcap');
  const ng = path.join(tmp, 'capture.pcapng');
  writeBigEndianNs(be, linkType, packets);
  writePcapng(ng, linkType, packets);
  const want = lean(src).frames;
  near(lean(be).frames, want);
  near(lean(ng).frames, want);
  near(await libpcap(ng), want); // libpcap agrees the pcapng is well formed
});

test('records straddling the 4 MiB read chunks', async () => {
  const file = path.join(tmp, 'gen.pcap');
  generate({ out: file, mb: 9, clients: 7, regs: 13, policyOut: null });
  const mine = lean(file);
  expect(mine.stopped).toBeNull();
  const theirs = await libpcap(file);
  expect(mine.frames.length).toBe(theirs.length);
  expect(mine.frames.map((f) => f.hex)).toEqual(theirs.map((f) => f.hex));
});

test('a cut-off last record and a damaged record header stop the read with a reason', () => {
  const src = readFileSync(path.join(GOLDEN, 'modbus-basic', 'capture.pcap'));
  const n = lean(path.join(GOLDEN, 'modbus-basic', 'capture.pcap')).frames.length;
  const cut = path.join(tmp, 'cut.pcap');
  writeFileSync(cut, src.subarray(0, src.length - 5));
  const c = lean(cut);
  expect(c.frames).toHaveLength(n - 1);
  expect(c.stopped).toMatch(/cut-off record/);

  const bad = Buffer.from(src);
  bad.writeUInt32LE(0x7fffffff, 24 + 8); // first record's captured length
  const damaged = path.join(tmp, 'damaged.pcap');
  writeFileSync(damaged, bad);
  const d = lean(damaged);
  expect(d.frames).toHaveLength(0);
  expect(d.stopped).toMatch(/implausible/);

  const junk = path.join(tmp, 'junk.pcap');
  writeFileSync(junk, Buffer.from('not a capture at all'));
  expect(() => lean(junk)).toThrow(/not a pcap or pcapng file/);
});
