/**
 * The proxy with parts switched off (bench/peers/proxy-variant.ts), started as forwarders to
 * measure next to the daemon: `variants.js` (CPU per transaction) and `BENCH_VARIANTS` in the
 * modbus benchmark (latency too).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './gateway';
import { BENCH, modbusPolicy } from './policy';
import { startPeer, type Child } from './proc';

export const PROXY_VARIANTS = ['passthrough', 'borrow', 'inspect', 'daemon-env'] as const;
export type ProxyVariant = (typeof PROXY_VARIANTS)[number];

export interface RunningVariant {
  readonly variant: ProxyVariant;
  readonly host: string;
  readonly port: number;
  readonly pid: number;
}

/** Each named variant on its own loopback address (127.0.20.4, .5, …) with the benchmark policy, forwarding to the server at `plcPort`. */
export async function startProxyVariants(names: readonly string[], plcPort: number, cpus: string | undefined): Promise<{ running: RunningVariant[]; stop: () => Promise<void> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'otgate-bench-variants-'));
  const children: Child<{ port: number }>[] = [];
  const running: RunningVariant[] = [];
  const stop = async (): Promise<void> => {
    for (const c of children) await c.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const [i, name] of names.entries()) {
      if (!(PROXY_VARIANTS as readonly string[]).includes(name)) throw new Error(`unknown proxy variant ${name} (one of ${PROXY_VARIANTS.join(', ')})`);
      const host = `127.0.20.${4 + i}`;
      const port = await freePort(host);
      const file = path.join(dir, `${name}.yaml`);
      writeFileSync(file, modbusPolicy({ listenPort: port, plcPort }).replace(`listen: ${BENCH.gatewayHost}:`, `listen: ${host}:`));
      const c = await startPeer<{ port: number }>('proxy-variant', [name, file, 'hmi-chiller'], { cpus });
      children.push(c);
      running.push({ variant: name as ProxyVariant, host, port: c.ready.port, pid: c.pid });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { running, stop };
}
