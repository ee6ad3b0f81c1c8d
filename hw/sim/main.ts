#!/usr/bin/env node
/**
 * otgate-relay-sim: the relay simulator as its own process (the daemon must not be able to
 * keep "its" relay closed by dying: the watchdog lives elsewhere).
 *
 *   node dist/hw/sim/main.js --socket /run/otgate-relay-sim/relay.sock [--state FILE] [--timeout-ms 1000]
 *
 * Prints "ready <socket>" on stdout once listening; logs watchdog trips on stderr.
 */
import { RelaySimulator } from './simulator';

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const socket = arg('--socket', process.env.OTGATE_RELAY_SIM_SOCKET ?? '/run/otgate-relay-sim/relay.sock')!;
  const stateFile = arg('--state') ?? null;
  const timeoutMs = Number(arg('--timeout-ms', '1000'));
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new Error('--timeout-ms must be a positive integer');
  const sim = await RelaySimulator.start({ socket, stateFile, timeoutMs, log: (l) => process.stderr.write(`relay-sim: ${l}\n`) });
  process.stdout.write(`ready ${socket}\n`);
  const stop = () => void sim.stop().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`relay-sim: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
