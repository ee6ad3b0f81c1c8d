/**
 * A lean reader for pcap and pcapng files: the file is read in large chunks and each record's
 * frame is handed over as its place in the chunk (readCaptureRanges: no per-packet event, copy
 * or view) or as a view of the chunk (readCaptureFileLean). This is the
 * offline audit's fast path (issue 8: ≥ 10× tshark); libpcap (pcap-source.ts) still serves live
 * capture and BPF-filtered reads. Records are parsed with bounds checked at header time; a
 * damaged or cut-off file ends the read with what was valid so far (`stopped` says why).
 *
 * Formats: pcap (tcpdump.org "pcap" format, draft-ietf-opsawg-pcap): 24-byte file header,
 * magic 0xa1b2c3d4 (µs) or 0xa1b23c4d (ns) in either byte order, 16-byte record headers.
 * pcapng (draft-ietf-opsawg-pcapng §4): Section Header (0x0A0D0D0A, byte-order magic
 * 0x1A2B3C4D), Interface Description (1: link type, if_tsresol option 9), Enhanced Packet (6),
 * Simple Packet (3), obsolete Packet (2); other blocks are skipped.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import type { FrameHandler, PcapReadResult } from './pcap-source';

/** Largest record accepted (libpcap's MAXIMUM_SNAPLEN is 262144). */
export const MAX_RECORD = 256 * 1024 + 64;
/** Largest pcapng block accepted (packet blocks are further bounded by MAX_RECORD). */
const MAX_BLOCK = 16 * 1024 * 1024;
const CHUNK = 4 * 1024 * 1024;

export interface LeanReadResult extends PcapReadResult {
  /** Why reading stopped before the end of the file, or null. */
  readonly stopped: string | null;
}

/**
 * A frame as buf[start, end) of a capture chunk. Chunks are never reused, so views of them stay
 * valid (events that hold decoded views may be encoded later: LineWriter in cli/audit.ts).
 */
export type RangeHandler = (tsMs: number, linkType: number, buf: Buffer, start: number, end: number) => void;

/** Records in `b` from `off`: how far was consumed, or a reason to stop. */
interface Parser {
  /** Parse whole records in b[off..end); return the offset of the first incomplete record. */
  parse(b: Buffer, off: number, end: number): number;
  stopped: string | null;
  packets: number;
  linkType: number;
}

/** Read a capture file synchronously, each frame as a view of its chunk. */
export function readCaptureFileLean(file: string, onFrame: FrameHandler): LeanReadResult {
  return readCaptureRanges(file, (ts, link, buf, start, end) => onFrame(ts, link, buf.subarray(start, end)));
}

/** Read a capture file synchronously (like libpcap's offline loop), in CHUNK-sized reads. */
export function readCaptureRanges(file: string, onFrame: RangeHandler): LeanReadResult {
  const fd = openSync(file, 'r');
  try {
    let buf = Buffer.allocUnsafe(CHUNK);
    let len = readSync(fd, buf, 0, buf.length, null);
    if (len < 4) throw new Error(`${file}: not a pcap or pcapng file (too short)`);
    const parser = parserFor(buf, len, onFrame, file);
    let off = parser.start;
    for (;;) {
      off = parser.p.parse(buf, off, len);
      if (parser.p.stopped !== null) break;
      // Keep the incomplete tail; a fresh buffer each time, so earlier frames stay valid views.
      const rest = len - off;
      const next = Buffer.allocUnsafe(Math.max(CHUNK, rest * 2));
      buf.copy(next, 0, off, len);
      const n = readSync(fd, next, rest, next.length - rest, null);
      buf = next;
      off = 0;
      len = rest + n;
      if (n === 0) {
        if (rest > 0) parser.p.stopped = `${rest} byte(s) of a cut-off record at the end`;
        break;
      }
    }
    return { packets: parser.p.packets, linkType: parser.p.linkType, stopped: parser.p.stopped };
  } finally {
    closeSync(fd);
  }
}

function parserFor(b: Buffer, len: number, onFrame: RangeHandler, file: string): { p: Parser; start: number } {
  const m = b.readUInt32LE(0);
  if (m === 0x0a0d0d0a) return { p: new PcapngParser(onFrame), start: 0 };
  const le = m === 0xa1b2c3d4 || m === 0xa1b23c4d;
  const be = m === 0xd4c3b2a1 || m === 0x4d3cb2a1;
  if (!le && !be) throw new Error(`${file}: not a pcap or pcapng file (magic ${m.toString(16)})`);
  if (len < 24) throw new Error(`${file}: pcap file header cut off`);
  const nano = m === 0xa1b23c4d || m === 0x4d3cb2a1;
  const linkType = (le ? b.readUInt32LE(20) : b.readUInt32BE(20)) & 0xffff; // upper bits: FCS info
  return { p: new PcapParser(onFrame, le, nano, linkType), start: 24 };
}

/** Unsigned 32-bit reads without Buffer's per-call argument checks (offsets are checked by the parser). */
const le32 = (b: Buffer, o: number): number => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
const be32 = (b: Buffer, o: number): number => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;

class PcapParser implements Parser {
  stopped: string | null = null;
  packets = 0;
  constructor(
    private readonly onFrame: RangeHandler,
    private readonly le: boolean,
    private readonly nano: boolean,
    readonly linkType: number,
  ) {}

  parse(b: Buffer, off: number, end: number): number {
    const le = this.le;
    const div = this.nano ? 1e6 : 1e3;
    const link = this.linkType;
    while (off + 16 <= end) {
      const caplen = le ? le32(b, off + 8) : be32(b, off + 8);
      if (caplen > MAX_RECORD) {
        this.stopped = `record ${this.packets + 1}: captured length ${caplen} is implausible (damaged file)`;
        return off;
      }
      if (off + 16 + caplen > end) return off;
      const sec = le ? le32(b, off) : be32(b, off);
      const frac = le ? le32(b, off + 4) : be32(b, off + 4);
      this.packets++;
      this.onFrame(sec * 1000 + frac / div, link, b, off + 16, off + 16 + caplen);
      off += 16 + caplen;
    }
    return off;
  }
}

interface Iface {
  readonly linkType: number;
  /** Timestamp units per millisecond (if_tsresol; default 10^-6 s → 1000). */
  readonly perMs: number;
}

class PcapngParser implements Parser {
  stopped: string | null = null;
  packets = 0;
  linkType = -1;
  private le = true;
  private ifaces: Iface[] = [];

  constructor(private readonly onFrame: RangeHandler) {}

  private u32(b: Buffer, at: number): number {
    return this.le ? b.readUInt32LE(at) : b.readUInt32BE(at);
  }

  parse(b: Buffer, off: number, end: number): number {
    while (off + 12 <= end) {
      const type = b.readUInt32LE(off) === 0x0a0d0d0a ? 0x0a0d0d0a : this.u32(b, off);
      if (type === 0x0a0d0d0a) {
        // Section Header: its byte-order magic decides how the rest of the section is read.
        const bom = b.readUInt32LE(off + 8);
        if (bom === 0x1a2b3c4d) this.le = true;
        else if (bom === 0x4d3c2b1a) this.le = false;
        else {
          this.stopped = 'pcapng section header with a bad byte-order magic';
          return off;
        }
        this.ifaces = [];
      }
      const total = this.u32(b, off + 4);
      if (total < 12 || total % 4 !== 0 || total > MAX_BLOCK) {
        this.stopped = `pcapng block of length ${total} at a record boundary (damaged file)`;
        return off;
      }
      if (off + total > end) return off;
      this.block(type, b, off, total);
      off += total;
    }
    return off;
  }

  private block(type: number, b: Buffer, off: number, total: number): void {
    const body = off + 8;
    const bodyEnd = off + total - 4;
    switch (type) {
      case 1: {
        // Interface Description: link type, reserved, snaplen, options.
        const linkType = this.le ? b.readUInt16LE(body) : b.readUInt16BE(body);
        let perMs = 1000;
        for (let o = body + 8; o + 4 <= bodyEnd; ) {
          const code = this.le ? b.readUInt16LE(o) : b.readUInt16BE(o);
          const len = this.le ? b.readUInt16LE(o + 2) : b.readUInt16BE(o + 2);
          if (code === 0) break;
          if (code === 9 && len >= 1) {
            const r = b[o + 4]!;
            const units = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r; // units per second
            perMs = units / 1000;
          }
          o += 4 + ((len + 3) & ~3);
        }
        this.ifaces.push({ linkType, perMs });
        if (this.linkType < 0) this.linkType = linkType;
        return;
      }
      case 6:
      case 2: {
        // Enhanced Packet: if id, ts high, ts low, caplen, origlen, data. Obsolete Packet: u16 if id, u16 drops, same after.
        const ifId = type === 6 ? this.u32(b, body) : this.le ? b.readUInt16LE(body) : b.readUInt16BE(body);
        const iface = this.ifaces[ifId];
        const caplen = this.u32(b, body + 12);
        if (iface === undefined || caplen > MAX_RECORD || body + 20 + caplen > bodyEnd) return; // unusable record: skipped
        const ts = this.u32(b, body + 4) * 4294967296 + this.u32(b, body + 8);
        this.packets++;
        this.onFrame(ts / iface.perMs, iface.linkType, b, body + 20, body + 20 + caplen);
        return;
      }
      case 3: {
        // Simple Packet: original length, data (snapped to the block); no timestamp.
        const iface = this.ifaces[0];
        if (iface === undefined) return;
        const orig = this.u32(b, body);
        const caplen = Math.min(orig, bodyEnd - (body + 4));
        this.packets++;
        this.onFrame(0, iface.linkType, b, body + 4, body + 4 + caplen);
        return;
      }
      default:
        return; // name resolution, statistics, custom blocks: not needed
    }
  }
}
