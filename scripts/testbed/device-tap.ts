/**
 * The PLC's network port as the testbed sees it: a TCP front on the device address that pipes
 * to the simulated PLC and records what actually arrived at the device — peer addresses and
 * each Modbus request's unit id and function code (MBAP framing, MB-TCP V1.0b §3.1.3). This is
 * the "evidence at the device" the attack replay checks, independent of otgate's own log.
 */
import net from 'node:net';

export interface TapRecord {
  /** Remote addresses of every connection that reached the device. */
  readonly peers: string[];
  requests: number;
  readonly byFunction: Record<number, number>;
  readonly byUnit: Record<number, number>;
}

export interface DeviceTap {
  readonly record: TapRecord;
  close(): Promise<void>;
}

export async function startDeviceTap(listen: { host: string; port: number }, target: { host: string; port: number }): Promise<DeviceTap> {
  const record: TapRecord = { peers: [], requests: 0, byFunction: {}, byUnit: {} };
  const socks = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (record.peers.length < 10_000) record.peers.push(client.remoteAddress ?? '?');
    const upstream = net.connect(target);
    socks.add(client).add(upstream);
    let buf: Buffer = Buffer.alloc(0);
    let parsing = true;
    client.on('data', (d) => {
      upstream.write(d);
      if (!parsing) return;
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 8) {
        const len = buf.readUInt16BE(4);
        if (len < 2 || len > 254) {
          parsing = false; // not Modbus any more: keep piping, stop counting
          return;
        }
        if (buf.length < 6 + len) break;
        const unit = buf[6]!;
        const fc = buf[7]!;
        record.requests++;
        record.byUnit[unit] = (record.byUnit[unit] ?? 0) + 1;
        record.byFunction[fc] = (record.byFunction[fc] ?? 0) + 1;
        buf = buf.subarray(6 + len);
      }
    });
    upstream.on('data', (d) => client.write(d));
    const done = () => {
      client.destroy();
      upstream.destroy();
      socks.delete(client);
      socks.delete(upstream);
    };
    client.on('close', done).on('error', done);
    upstream.on('close', done).on('error', done);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  return {
    record,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of socks) s.destroy();
        server.close(() => resolve());
      }),
  };
}
