/**
 * The baseline: a minimal Node TCP relay with no inspection (stream piping, Nagle off).
 * Usage: node node-relay.js LISTEN_HOST LISTEN_PORT UP_HOST UP_PORT → prints {"port":N}.
 */
import net from 'node:net';

const [lh = '127.0.0.1', lp = '0', uh = '127.0.0.1', up = '502'] = process.argv.slice(2);
const server = net.createServer({ noDelay: true }, (c) => {
  const u = net.connect({ host: uh, port: Number(up), noDelay: true });
  c.pipe(u);
  u.pipe(c);
  c.on('error', () => u.destroy());
  u.on('error', () => c.destroy());
  c.on('close', () => u.destroy());
  u.on('close', () => c.destroy());
});
server.listen({ host: lh, port: Number(lp), backlog: 2048 }, () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as net.AddressInfo).port })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
