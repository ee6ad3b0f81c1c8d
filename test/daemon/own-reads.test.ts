/**
 * withOwnReads (daemon/proxy/own-reads.ts) moves an accepted connection into a socket that reads
 * into a caller-owned buffer. It leans on Node internals, so this runs on every Node CI runs
 * (20 and 24): the move must happen (not fall back silently), every byte must arrive through the
 * callback, writes and end/close must work, and the server must still count the connection.
 */
import net from 'node:net';
import tls from 'node:tls';
import { withOwnReads } from '../../daemon/proxy/own-reads';

const HOST = '127.0.30.1';

interface Accepted {
  readonly server: net.Server;
  readonly port: number;
  next(): Promise<net.Socket>;
}

function listen(pauseOnConnect: boolean): Promise<Accepted> {
  const waiting: ((s: net.Socket) => void)[] = [];
  const server = net.createServer({ pauseOnConnect, noDelay: true }, (s) => waiting.shift()?.(s));
  return new Promise((resolve) => {
    server.listen(0, HOST, () => resolve({
      server,
      port: (server.address() as net.AddressInfo).port,
      next: () => new Promise((r) => waiting.push(r)),
    }));
  });
}

const connect = (port: number): Promise<net.Socket> =>
  new Promise((resolve) => {
    const c = net.connect({ host: HOST, port }, () => resolve(c));
  });

const closed = (s: net.Socket): Promise<void> => new Promise((r) => (s.destroyed ? r() : s.once('close', () => r())));

describe('withOwnReads', () => {
  test('reads a 1 MiB stream into the caller buffer, writes back, ends and keeps the server count', async () => {
    const a = await listen(true);
    const accepted = a.next();
    const c = await connect(a.port);
    const sock = await accepted;
    const buf = Buffer.allocUnsafeSlow(4096);
    const got: Buffer[] = [];
    let reads = 0;
    const own = withOwnReads(sock, {
      buffer: buf,
      callback: (n, b) => {
        reads++;
        expect(b).toBe(buf);
        got.push(Buffer.from(buf.subarray(0, n)));
        return true;
      },
    });
    expect(own).not.toBeNull();
    expect(sock.destroyed).toBe(true);
    const count = (): Promise<number> => new Promise((r, j) => a.server.getConnections((e, n) => (e ? j(e) : r(n))));
    expect(await count()).toBe(1);
    own!.on('data', () => {
      throw new Error('data event in onread mode');
    });
    const sent = Buffer.alloc(1 << 20);
    for (let i = 0; i < sent.length; i++) sent[i] = (i * 31 + (i >> 12)) & 0xff;
    const back: Buffer[] = [];
    c.on('data', (d: Buffer) => back.push(d));
    const ended = new Promise<void>((r) => own!.once('end', () => r()));
    own!.resume();
    own!.write(Buffer.from('reply'));
    c.end(sent);
    await ended;
    expect(Buffer.concat(got).equals(sent)).toBe(true);
    expect(reads).toBeGreaterThanOrEqual(sent.length / 4096);
    // allowHalfOpen is false (as in the proxy's listener): the peer's FIN ends this side too.
    await closed(c);
    expect(Buffer.concat(back).toString()).toBe('reply');
    await closed(own!);
    expect(await count()).toBe(0);
    await new Promise((r) => a.server.close(r));
  });

  test('pause() stops the reads until resume()', async () => {
    const a = await listen(true);
    const accepted = a.next();
    const c = await connect(a.port);
    let total = 0;
    const own = withOwnReads(await accepted, { buffer: () => Buffer.allocUnsafe(4096), callback: (n) => ((total += n), true) })!;
    expect(own).not.toBeNull();
    c.write(Buffer.alloc(1000));
    await new Promise((r) => setTimeout(r, 100));
    expect(total).toBe(0); // created paused, as under pauseOnConnect
    own.resume();
    await new Promise<void>((r) => {
      const t = setInterval(() => total === 1000 && (clearInterval(t), r()), 5);
    });
    own.pause();
    c.write(Buffer.alloc(500));
    await new Promise((r) => setTimeout(r, 100));
    expect(total).toBe(1000);
    own.resume();
    await new Promise<void>((r) => {
      const t = setInterval(() => total === 1500 && (clearInterval(t), r()), 5);
    });
    c.destroy();
    await closed(own);
    await new Promise((r) => a.server.close(r));
  });

  test('leaves alone a socket that is already reading, and a TLS socket', async () => {
    const a = await listen(false);
    const accepted = a.next();
    const c = await connect(a.port);
    const sock = await accepted;
    expect(withOwnReads(sock, { buffer: Buffer.alloc(16), callback: () => true })).toBeNull();
    expect(sock.destroyed).toBe(false);
    sock.destroy();
    c.destroy();
    await new Promise((r) => a.server.close(r));
    const t = new tls.TLSSocket(new net.Socket());
    expect(withOwnReads(t, { buffer: Buffer.alloc(16), callback: () => true })).toBeNull();
    t.destroy();
  });
});
