/** The controlling side of a testbed agent (scripts/testbed/agent.ts): JSON-line calls over a child's stdio. */
import type { ChildProcess } from 'node:child_process';
import readline from 'node:readline';

export interface Agent {
  call<T = Record<string, unknown>>(op: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  /** Resolves when the agent said it is ready. */
  readonly ready: Promise<void>;
}

export function agentOver(child: ChildProcess, label: string): Agent {
  let next = 1;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  let readyResolve!: () => void;
  let readyReject!: (e: Error) => void;
  const ready = new Promise<void>((res, rej) => {
    readyResolve = res;
    readyReject = rej;
  });
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    let msg: { id?: number; ok?: boolean; result?: unknown; error?: string };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      return; // device libraries may print; only JSON lines are replies
    }
    if (msg.id === 0) return readyResolve();
    const w = msg.id === undefined ? undefined : waiting.get(msg.id);
    if (!w) return;
    waiting.delete(msg.id!);
    if (msg.ok) w.resolve(msg.result);
    else w.reject(new Error(`${label}: ${msg.error}`));
  });
  child.once('exit', (code) => {
    const err = new Error(`agent ${label} exited (${code}): ${stderr.trim().slice(-500)}`);
    readyReject(err);
    for (const [, w] of waiting) w.reject(err);
    waiting.clear();
  });
  return {
    ready,
    call<T>(op: string, args: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<T> {
      const id = next++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`${label}: ${op} timed out after ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.set(id, {
          resolve: (v) => {
            clearTimeout(timer);
            resolve(v as T);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
        child.stdin!.write(`${JSON.stringify({ id, op, args })}\n`);
      });
    },
  };
}
