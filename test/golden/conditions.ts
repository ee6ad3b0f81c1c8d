/**
 * Network-condition cases synthesised from the recorded modbus-basic capture (Suricata/Zeek
 * style: one case per condition). Each returns the packets of a new capture.
 */
import { tcpView, withPayload, withPorts, type Pkt } from './pcap-file';

const CLIENT_A = 0; // helper: packets of the first flow are those before the second SYN

/** Data-carrying packets, with their index, of the connection whose client port is `port`. */
function dataPackets(packets: Pkt[], clientPort: number): number[] {
  const out: number[] = [];
  packets.forEach((p, i) => {
    const v = tcpView(p.data);
    if ((v.sport === clientPort || v.dport === clientPort) && v.payload.length > 0) out.push(i);
  });
  return out;
}

/** Client ports in order of their SYN. */
export function clientPorts(packets: Pkt[]): number[] {
  const ports: number[] = [];
  for (const p of packets) {
    const v = tcpView(p.data);
    if ((v.flags & 0x12) === 0x02) ports.push(v.sport);
  }
  return ports;
}

export const CONDITIONS: Record<string, (packets: Pkt[]) => Pkt[]> = {
  /** The capture starts inside flow 1, in the middle of its 3rd request (last 5 bytes of it). */
  'midstream-start': (packets) => {
    const port = clientPorts(packets)[CLIENT_A]!;
    const data = dataPackets(packets, port);
    const at = data[4]!; // 3rd request (requests/responses alternate)
    const v = tcpView(packets[at]!.data);
    const cut = v.payload.length - 5;
    const first = { ...packets[at]!, data: withPayload(packets[at]!.data, v.seq + cut, v.payload.subarray(cut)) };
    return [first, ...packets.slice(at + 1)];
  },
  /** The 6th request of flow 1 (a write) never made it into the capture. */
  'lost-segment': (packets) => {
    const port = clientPorts(packets)[CLIENT_A]!;
    const lost = dataPackets(packets, port)[10]!;
    return packets.filter((_, i) => i !== lost);
  },
  /** Every data segment is sent twice (the copy arrives right after the original). */
  retransmissions: (packets) => {
    const out: Pkt[] = [];
    for (const p of packets) {
      out.push(p);
      if (tcpView(p.data).payload.length > 0) out.push({ ...p, data: Buffer.from(p.data) });
    }
    return out;
  },
  /** Every data segment is split into one-byte segments. */
  'one-byte-segments': (packets) => {
    const out: Pkt[] = [];
    for (const p of packets) {
      const v = tcpView(p.data);
      if (v.payload.length <= 1) {
        out.push(p);
        continue;
      }
      for (let i = 0; i < v.payload.length; i++) out.push({ ...p, data: withPayload(p.data, v.seq + i, v.payload.subarray(i, i + 1)) });
    }
    return out;
  },
  /** Flow 2's four requests travel in one segment (pipelined), then its four responses in one. */
  'several-pdus-per-segment': (packets) => {
    const port = clientPorts(packets)[1]!;
    const data = dataPackets(packets, port);
    const req = data.filter((i) => tcpView(packets[i]!.data).sport === port);
    const res = data.filter((i) => tcpView(packets[i]!.data).dport === port);
    const merged = (idx: number[]) => {
      const p0 = packets[idx[0]!]!;
      const v0 = tcpView(p0.data);
      return { ...p0, data: withPayload(p0.data, v0.seq, Buffer.concat(idx.map((i) => tcpView(packets[i]!.data).payload))) };
    };
    const out: Pkt[] = [];
    packets.forEach((p, i) => {
      if (i === req[0]) out.push(merged(req));
      else if (i === res[0]) out.push(merged(res));
      else if (!req.includes(i) && !res.includes(i)) out.push(p);
    });
    return out;
  },
  /** The server listens on 15020 instead of 502: detection by content. */
  'non-standard-port': (packets) => packets.map((p) => ({ ...p, data: withPorts(p.data, 502, 15020) })),
};
