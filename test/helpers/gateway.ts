/**
 * Spawns the real daemon (`node dist/daemon/main.js run`) for end-to-end tests, with its own
 * temp dir, policy file and SQLite audit store; waits until it serves; kills it by pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const MAIN = path.join(ROOT, 'dist', 'daemon', 'main.js');

export interface Gateway {
  readonly proc: ChildProcess;
  readonly dir: string;
  readonly policyFile: string;
  readonly dbFile: string;
  /** Everything the daemon printed so far (stdout + stderr). */
  output(): string;
  /** Resolves when the output matches (after the current position is allowed). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Replace the policy file (then send SIGHUP to reload). */
  writePolicy(text: string): void;
  /** SIGTERM and wait for exit; files stay (read the audit store after). */
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
  /** Remove the temp dir (call after stop). */
  remove(): void;
}

export async function startGateway(opts: {
  policy: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  ready?: RegExp;
  /** Reuse a previous gateway's directory (state, audit store, socket): a restart. */
  dir?: string;
}): Promise<Gateway> {
  const dir = opts.dir ?? mkdtempSync(path.join(os.tmpdir(), 'otgate-e2e-'));
  const policyFile = path.join(dir, 'policy.yaml');
  const dbFile = path.join(dir, 'audit.db');
  writeFileSync(policyFile, opts.policy);
  const proc = spawn(process.execPath, [MAIN, 'run', '--policy', policyFile, '--db', dbFile, '--log-level', 'debug', ...(opts.args ?? [])], {
    env: { ...process.env, OTGATE_STATE_DIR: dir, OTGATE_RUN_DIR: dir, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of waiters) w();
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));

  const waitFor = (re: RegExp, timeoutMs = 15000): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const m = re.exec(out);
        if (m) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve(m[0]);
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out waiting for ${re} in daemon output:\n${out}`));
      }, timeoutMs);
      waiters.add(check);
      void exited.then((code) => {
        if (waiters.has(check)) {
          waiters.delete(check);
          clearTimeout(timer);
          reject(new Error(`daemon exited (${code}) before ${re}:\n${out}`));
        }
      });
      check();
    });

  const g: Gateway = {
    proc, dir, policyFile, dbFile,
    output: () => out,
    waitFor,
    writePolicy: (text) => writeFileSync(policyFile, text),
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
    kill9: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
  await waitFor(opts.ready ?? /otgate serving/);
  return g;
}
