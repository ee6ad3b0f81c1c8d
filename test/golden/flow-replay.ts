/**
 * "Same results as through the proxy": the byte streams of a recorded capture, replayed through
 * the spawned gateway. The capture is reassembled by the passive runner (a tee inspector keeps
 * what each flow's inspector would have been fed, in order); each flow is then played between a
 * client bound to the recorded client address and a scripted server standing in for the
 * recorded one: client bytes are written by the client, server bytes by the scripted server,
 * each step waiting until the gateway has relayed every byte of the previous one.
 */
import net from 'node:net';
import type { Direction } from '../../protocols/common';
import { analyzeCaptures } from '../../daemon/monitor/analyze';
import type { Endpoint, InspectorFactory } from '../../daemon/pipeline/contract';

export interface FlowStream {
  readonly id: string;
  readonly client: Endpoint;
  readonly server: Endpoint;
  readonly steps: { dir: Direction; bytes: Buffer }[];
}

/** Each decoded flow's reassembled bytes, in the order the monitor fed its inspector. */
export async function flowStreams(file: string): Promise<FlowStream[]> {
  const flows = new Map<string, FlowStream>();
  const tee: InspectorFactory = (ctx) => {
    const f = flows.get(ctx.flowId) ?? { id: ctx.flowId, client: ctx.client, server: ctx.server, steps: [] };
    flows.set(ctx.flowId, f);
    return {
      feed: (dir, chunk) => {
        const last = f.steps[f.steps.length - 1];
        if (last !== undefined && last.dir === dir) last.bytes = Buffer.concat([last.bytes, chunk]);
        else f.steps.push({ dir, bytes: Buffer.from(chunk) });
      },
      tick: () => undefined,
      end: () => undefined,
    };
  };
  await analyzeCaptures([file], null, () => undefined, { inspectorFor: () => tee });
  return [...flows.values()];
}

/** A scripted server: hands out accepted connections in order. */
export async function scriptedServer(host: string): Promise<{ port: number; next(): Promise<net.Socket>; close(): Promise<void> }> {
  const queue: net.Socket[] = [];
  const waiting: ((s: net.Socket) => void)[] = [];
  const all: net.Socket[] = [];
  const server = net.createServer((s) => {
    all.push(s);
    s.on('error', () => undefined);
    const w = waiting.shift();
    if (w) w(s);
    else queue.push(s);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    next: () => {
      const s = queue.shift();
      if (s) return Promise.resolve(s);
      return withTimeout(new Promise<net.Socket>((resolve) => waiting.push(resolve)), 'upstream connection');
    },
    close: () => {
      for (const s of all) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Play one flow: client from `localAddress` to the gateway, the scripted server behind it. */
export async function playFlow(flow: FlowStream, gateway: Endpoint, upstream: { next(): Promise<net.Socket> }): Promise<void> {
  const client = net.connect({ host: gateway.ip, port: gateway.port, localAddress: flow.client.ip });
  client.on('error', () => undefined);
  const got = { c2s: 0, s2c: 0 };
  const sent = { c2s: 0, s2c: 0 };
  let wake: (() => void) | null = null;
  const poke = () => wake?.();
  client.on('data', (d: Buffer) => ((got.s2c += d.length), poke()));
  const clientClosed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  await withTimeout(new Promise<void>((resolve) => client.once('connect', () => resolve())), 'gateway connect');
  const server = await upstream.next();
  server.on('data', (d: Buffer) => ((got.c2s += d.length), poke()));
  server.on('end', () => server.end());
  const until = (dir: Direction) =>
    withTimeout(
      new Promise<void>((resolve) => {
        const check = () => {
          if (got[dir] >= sent[dir]) {
            wake = null;
            resolve();
          }
        };
        wake = check;
        check();
      }),
      `relay of ${dir} bytes (${got[dir]} of ${sent[dir]})`,
    );
  for (const step of flow.steps) {
    (step.dir === 'c2s' ? client : server).write(step.bytes);
    sent[step.dir] += step.bytes.length;
    await until(step.dir);
  }
  client.end();
  await withTimeout(clientClosed, 'close');
}

function withTimeout<T>(p: Promise<T>, what: string, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    }),
  ]);
}
