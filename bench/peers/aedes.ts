/** An aedes MQTT 3.1.1 broker in its own process. Usage: node aedes.js HOST → prints {"port":N}. */
import net from 'node:net';

async function main(): Promise<void> {
  const { Aedes } = await import('aedes');
  const broker = await Aedes.createBroker();
  const server = net.createServer({ noDelay: true }, broker.handle as unknown as (s: net.Socket) => void);
  server.listen({ host: process.argv[2] ?? '127.0.0.1', port: 0 }, () => {
    process.stdout.write(`${JSON.stringify({ port: (server.address() as net.AddressInfo).port })}\n`);
  });
}
process.on('SIGTERM', () => process.exit(0));
void main();
