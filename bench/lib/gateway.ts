/** The real daemon (`node dist/daemon/main.js run`) in its own temp dir, stopped by pid. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MAIN, startChild, type Child } from './proc';

export interface BenchGateway {
  readonly child: Child<{ line: string }>;
  readonly pid: number;
  readonly dir: string;
  readonly policyFile: string;
  /** ms from spawn to the "otgate serving" line. */
  readonly startMs: number;
  writePolicy(text: string): void;
  stop(): Promise<void>;
}

export async function startGateway(policy: string, opts: { logLevel?: string; nodeArgs?: string[]; env?: NodeJS.ProcessEnv; main?: string; cpus?: string } = {}): Promise<BenchGateway> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'otgate-bench-'));
  const policyFile = path.join(dir, 'policy.yaml');
  writeFileSync(policyFile, policy);
  const t0 = process.hrtime.bigint();
  const child = await startChild<{ line: string }>(
    process.execPath,
    [...(opts.nodeArgs ?? nodeArgsFromEnv('BENCH_OTGATE_NODE_ARGS')), opts.main ?? MAIN, 'run', '--policy', policyFile, '--db', path.join(dir, 'audit.db'), '--log-level', opts.logLevel ?? 'info'],
    { readyRe: /otgate serving/, env: { OTGATE_STATE_DIR: dir, OTGATE_RUN_DIR: dir, ...opts.env }, cpus: opts.cpus },
  );
  const startMs = Number(process.hrtime.bigint() - t0) / 1e6;
  return {
    child,
    pid: child.pid,
    dir,
    policyFile,
    startMs,
    writePolicy: (text) => writeFileSync(policyFile, text),
    stop: async () => {
      await child.stop('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A free TCP port on `host` (bound and released at once). */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen({ host, port: 0 }, () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** Node flags from an environment variable, space-separated (e.g. "--max-semi-space-size=1"). */
export function nodeArgsFromEnv(name: string): string[] {
  return (process.env[name] ?? '').split(' ').filter((a) => a !== '');
}
