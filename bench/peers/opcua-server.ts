/** The chiller skid's OPC UA server (scripts/testbed) in its own process → prints {"port":N}. */
import { startChillerOpcua } from '../../scripts/testbed/chiller-opcua';
import { freePort } from '../lib/gateway';

async function main(): Promise<void> {
  const host = process.argv[2] ?? '127.0.0.1';
  const s = await startChillerOpcua({ host, port: await freePort(host) });
  process.stdout.write(`${JSON.stringify({ port: s.port })}\n`);
  process.on('SIGTERM', () => void s.close().finally(() => process.exit(0)));
}
void main();
