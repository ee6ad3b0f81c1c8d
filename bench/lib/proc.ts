/**
 * Child processes for benchmarks: peers, relays, load generators and the daemon each run in
 * their own process (as on a real gateway), announce themselves with one JSON line on stdout,
 * and are stopped by pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pinned } from './pin';

/** dist/ root (this file is dist/bench/lib/proc.js). */
export const DIST = path.resolve(__dirname, '..', '..');
export const ROOT = path.resolve(DIST, '..');
export const MAIN = path.join(DIST, 'daemon', 'main.js');
export const peerScript = (name: string): string => path.join(DIST, 'bench', 'peers', `${name}.js`);

export interface Child<T = Record<string, unknown>> {
  readonly proc: ChildProcess;
  readonly pid: number;
  /** The first JSON line the child printed (its "ready" announcement). */
  readonly ready: T;
  output(): string;
  /** Every JSON line printed after `ready`, parsed, in order. */
  lines(): unknown[];
  /** Resolves with the next JSON line (or rejects when the child exits first / times out). */
  next<U = Record<string, unknown>>(timeoutMs?: number): Promise<U>;
  send(line: unknown): void;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Spawn `cmd args`, resolve once it prints a JSON line (or a line matching `readyRe`). */
export function startChild<T = Record<string, unknown>>(
  cmd: string,
  args: readonly string[],
  opts: { readyRe?: RegExp; timeoutMs?: number; env?: NodeJS.ProcessEnv; stdin?: boolean; cpus?: string } = {},
): Promise<Child<T>> {
  // cpus: start on these CPUs only (bench/lib/pin.ts); taskset execs the command, so the pid is the command's.
  const [file, argv] = pinned(opts.cpus, cmd, args);
  const proc = spawn(file, argv, { stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
  let out = '';
  let buf = '';
  const parsed: unknown[] = [];
  const waiters: ((v: unknown) => void)[] = [];
  let readyResolve: ((v: T) => void) | null = null;
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const onLine = (line: string) => {
    if (readyResolve && opts.readyRe?.test(line)) {
      const r = readyResolve;
      readyResolve = null;
      r({ line } as T);
      return;
    }
    if (!line.startsWith('{')) return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      return;
    }
    if (readyResolve && !opts.readyRe) {
      const r = readyResolve;
      readyResolve = null;
      r(v as T);
      return;
    }
    const w = waiters.shift();
    if (w) w(v);
    else parsed.push(v);
  };
  proc.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.length > 1 << 20) out = out.slice(-(1 << 19));
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  proc.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
    if (opts.readyRe) for (const l of d.toString().split('\n')) onLine(l);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${path.basename(args[0] ?? cmd)} did not become ready:\n${out}`));
    }, opts.timeoutMs ?? 20_000);
    void exited.then((code) => {
      if (readyResolve) {
        clearTimeout(timer);
        reject(new Error(`${cmd} ${args.join(' ')} exited (${code}) before ready:\n${out}`));
      }
    });
    readyResolve = (ready: T) => {
      clearTimeout(timer);
      resolve({
        proc,
        pid: proc.pid!,
        ready,
        output: () => out,
        lines: () => parsed,
        next: <U>(timeoutMs = 120_000) =>
          new Promise<U>((res, rej) => {
            const v = parsed.shift();
            if (v !== undefined) return res(v as U);
            const t = setTimeout(() => rej(new Error(`no result from ${args[0]} in ${timeoutMs} ms:\n${out.slice(-2000)}`)), timeoutMs);
            waiters.push((x) => {
              clearTimeout(t);
              res(x as U);
            });
            void exited.then((code) => {
              clearTimeout(t);
              rej(new Error(`${args[0]} exited (${code}):\n${out.slice(-2000)}`));
            });
          }),
        send: (line) => proc.stdin?.write(`${JSON.stringify(line)}\n`),
        stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
          if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
          const killer = setTimeout(() => proc.kill('SIGKILL'), 5000);
          const code = await exited;
          clearTimeout(killer);
          return code;
        },
      });
    };
  });
}

export const startPeer = <T = Record<string, unknown>>(name: string, args: readonly string[], opts: { stdin?: boolean; env?: NodeJS.ProcessEnv; timeoutMs?: number; cpus?: string } = {}): Promise<Child<T>> =>
  startChild<T>(process.execPath, [peerScript(name), ...args], opts);

/** Resident set size of a process, in MB (Linux /proc). */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** CPU time (user + system) a process has used so far, in µs (Linux /proc, 100 Hz ticks). */
export function cpuUs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10_000; // utime, stime (fields 14, 15)
  } catch {
    return NaN;
  }
}
