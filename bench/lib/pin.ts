/**
 * CPU pinning for forwarding benchmarks (`taskset`, Linux). With it, every forwarder under
 * test (the Node relay, socat and its forks, otgate, otgate-alt) runs on one CPU and the load
 * generator and the server on the others, the same for every target, so a forwarder never
 * competes with its own load for a core and round-to-round figures move less. "direct" has no
 * forwarder. Other processes on the machine are not excluded from either CPU.
 *
 * BENCH_PIN: `auto` (default: on when `taskset` exists and nproc ≥ 2), `1` (on), `0` (off).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';

export interface Pinning {
  /** taskset CPU list for the forwarders under test (one CPU: the last). */
  readonly forwarder: string;
  /** taskset CPU list for the load generator and the server (every other CPU). */
  readonly peers: string;
}

const TASKSET = ['/usr/bin/taskset', '/bin/taskset'].find((p) => existsSync(p)) ?? null;

function cpuCount(): number {
  try {
    return Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) || os.cpus().length;
  } catch {
    return os.cpus().length;
  }
}

/** The pinning this run uses, or null (BENCH_PIN=0, no taskset, or a single CPU). */
export function pinningFromEnv(env: NodeJS.ProcessEnv = process.env): Pinning | null {
  const want = env.BENCH_PIN ?? 'auto';
  if (want === '0' || want === 'off' || TASKSET === null) return null;
  const n = cpuCount();
  if (n < 2) return null;
  // nproc counts the CPUs this process may use; taskset takes their ids, so read the real list.
  const allowed = allowedCpus() ?? Array.from({ length: n }, (_, i) => i);
  if (allowed.length < 2) return null;
  const fwd = allowed[allowed.length - 1]!;
  return { forwarder: String(fwd), peers: allowed.slice(0, -1).join(',') };
}

function allowedCpus(): number[] | null {
  try {
    // "pid 123's current affinity list: 0,1" / "0-3"
    const out = execFileSync(TASKSET!, ['-cp', String(process.pid)], { encoding: 'utf8' });
    const list = out.slice(out.lastIndexOf(':') + 1).trim();
    const cpus: number[] = [];
    for (const part of list.split(',')) {
      const [a, b] = part.split('-').map(Number);
      for (let c = a!; c <= (b ?? a!); c++) cpus.push(c);
    }
    return cpus.length > 0 ? cpus : null;
  } catch {
    return null;
  }
}

/** `cmd args` wrapped so that it starts on `cpus` (taskset execs the command: same pid, threads inherit). */
export function pinned(cpus: string | undefined, cmd: string, args: readonly string[]): [string, string[]] {
  if (cpus === undefined || TASKSET === null) return [cmd, [...args]];
  return [TASKSET, ['-c', cpus, cmd, ...args]];
}

export const describePinning = (p: Pinning | null): string =>
  p === null ? 'off' : `forwarders on CPU ${p.forwarder}, load generator + server on CPU ${p.peers}`;
