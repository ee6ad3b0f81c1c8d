/** The management socket client (CLI side): one connection, one request, one response. */
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseObject, readLines } from '../../hw/line-json';
import { runDir } from '../paths';
import type { ControlResponse } from './protocol';

/** `$OTGATE_SOCKET`, else `<run dir>/otgate.sock` ($OTGATE_RUN_DIR or /run/otgate). */
export function defaultSocketPath(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const v = env.OTGATE_SOCKET;
  return v !== undefined && v !== '' ? v : path.join(runDir(env), 'otgate.sock');
}

/**
 * Who is asking, as far as an unprivileged client can tell: the user behind sudo ($SUDO_USER),
 * else the login name of this process. The server records it as claimed.
 */
export function claimedActor(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const sudo = env.SUDO_USER;
  if (sudo !== undefined && sudo !== '') return sudo;
  try {
    return os.userInfo().username;
  } catch {
    return env.USER ?? env.LOGNAME ?? 'unknown';
  }
}

export class ControlClientError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

let seq = 1;

/** Send one request; resolves with the result or rejects with ControlClientError (code from the server, or connect / timeout). */
export function controlRequest(socket: string, op: string, fields: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<unknown> {
  const id = seq++;
  return new Promise((resolve, reject) => {
    const s = net.createConnection(socket);
    const timer = setTimeout(() => {
      s.destroy();
      reject(new ControlClientError('timeout', `${socket}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const done = (fn: () => void) => {
      clearTimeout(timer);
      s.destroy();
      fn();
    };
    s.once('connect', () => s.write(`${JSON.stringify({ ...fields, id, op, uid: process.getuid?.() })}\n`));
    s.on('error', (err: NodeJS.ErrnoException) => {
      const hint = err.code === 'EACCES' ? ' (not a member of the socket\'s group?)' : err.code === 'ENOENT' || err.code === 'ECONNREFUSED' ? ' (is the otgate daemon running?)' : '';
      done(() => reject(new ControlClientError(err.code ?? 'io', `${socket}: ${err.message}${hint}`)));
    });
    readLines(
      s,
      (line) => {
        const r = parseObject(line) as ControlResponse | undefined;
        if (r === undefined || r.id !== id) return;
        done(() => (r.ok ? resolve(r.result) : reject(new ControlClientError(r.code, r.error))));
      },
      () => done(() => reject(new ControlClientError('bad_response', 'response line too long'))),
    );
  });
}
