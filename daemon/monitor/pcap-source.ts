/**
 * Captured frames from pcap / pcapng files and live interfaces, through libpcap (the `pcap`
 * package). libpcap hands every packet to one reused buffer: consumers must copy what they keep
 * (the runner does, in reassembly and resync).
 *
 * Offline files are read synchronously in one dispatch loop (no poll handle is opened, so the
 * process exits normally). Live sessions keep a native poll handle that stays referenced after
 * close() until one more packet arrives (STACK-NOTES): the `monitor` command exits the process
 * explicitly when it stops.
 */
import type pcap from 'pcap';
import { readCaptureFileLean } from './capture-reader';
import { linkTypeFromName } from './packet';

/* eslint-disable @typescript-eslint/no-require-imports -- deliberate lazy loading */
/** libpcap's binding loads on first use: the offline audit without a filter never needs it. */
const libpcap = (): typeof pcap => require('pcap') as typeof pcap;

export type FrameHandler = (tsMs: number, linkType: number, frame: Buffer) => void;

export interface PcapReadResult {
  readonly packets: number;
  readonly linkType: number;
}

/**
 * Read a whole capture file (pcap or pcapng). Resolves when every packet has been handled.
 * Without a BPF filter the lean chunked reader does it (capture-reader.ts: no per-packet event,
 * several times faster); with one, libpcap compiles and applies the filter.
 */
export function readCaptureFile(file: string, onFrame: FrameHandler, filter = ''): Promise<PcapReadResult & { stopped?: string | null }> {
  if (filter === '') {
    try {
      return Promise.resolve(readCaptureFileLean(file, onFrame));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }
  return readWithLibpcap(file, onFrame, filter);
}

/** Through libpcap (node-pcap's offline session): used when a BPF filter is given. */
export function readWithLibpcap(file: string, onFrame: FrameHandler, filter = ''): Promise<PcapReadResult> {
  return new Promise((resolve, reject) => {
    let session: pcap.PcapSession;
    try {
      session = libpcap().createOfflineSession(file, { filter });
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    const linkType = linkTypeFromName(session.link_type);
    if (linkType === null) {
      session.close();
      reject(new Error(`${file}: unsupported link type ${session.link_type}`));
      return;
    }
    let packets = 0;
    let failure: unknown = null;
    session.on('packet', (p: pcap.PacketWithHeader) => {
      if (failure !== null) return;
      packets++;
      try {
        onFrame(frameTime(p.header), linkType, capturedBytes(p));
      } catch (err) {
        failure = err; // an exception here would be fatal inside the native callback
      }
    });
    session.on('complete', () => {
      session.close();
      if (failure !== null) reject(failure instanceof Error ? failure : new Error(String(failure)));
      else resolve({ packets, linkType });
    });
  });
}

export interface LiveCapture {
  readonly linkType: number;
  close(): void;
}

/** Capture live on an interface (SPAN/mirror port); needs CAP_NET_RAW. */
export function openLiveCapture(iface: string, onFrame: FrameHandler, onError: (err: unknown) => void, filter = 'tcp'): LiveCapture {
  const session = libpcap().createSession(iface, { filter, promiscuous: true, buffer_timeout: 100 });
  const linkType = linkTypeFromName(session.link_type);
  if (linkType === null) {
    session.close();
    throw new Error(`${iface}: unsupported link type ${session.link_type}`);
  }
  session.on('packet', (p: pcap.PacketWithHeader) => {
    try {
      onFrame(frameTime(p.header), linkType, capturedBytes(p));
    } catch (err) {
      onError(err);
    }
  });
  return { linkType, close: () => session.close() };
}

/** pcap_pkthdr as node-pcap lays it out (pcap_session.cc): tv_sec, tv_usec, caplen, len; host order. */
function frameTime(h: Buffer): number {
  return h.readUInt32LE(0) * 1000 + h.readUInt32LE(4) / 1000;
}

function capturedBytes(p: pcap.PacketWithHeader): Buffer {
  const caplen = p.header.readUInt32LE(8);
  return p.buf.subarray(0, Math.min(caplen, p.buf.length));
}
