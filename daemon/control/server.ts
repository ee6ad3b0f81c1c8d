/**
 * The management socket server (daemon side). Operations are registered by name; each gets the
 * parsed request and returns a result or throws ControlError. Bounded: a few clients, a line
 * limit, requests of one connection answered in order (a few may be pipelined), an idle timeout.
 *
 * The socket is created with umask-independent mode 0660 (chmod after bind) and, when `group` is
 * given, handed to that group, so membership of the group (e.g. `otgate`) is the permission to
 * isolate and restore. A stale socket file from a dead daemon is replaced; a live one is not.
 */
import { chmodSync, chownSync, readFileSync, rmSync } from 'node:fs';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { parseObject, readLines, writeLine } from '../../hw/line-json';
import { ControlError, type ControlRequest, type ControlResponse } from './protocol';

/** Pipelined requests waiting on one connection. */
const MAX_QUEUED = 8;

export type ControlHandler = (req: ControlRequest) => Promise<unknown> | unknown;

export interface ControlServerOptions {
  readonly socket: string;
  /** File mode of the socket. Default 0o660. */
  readonly mode?: number;
  /** Group name or gid that may connect (needs to be one of the daemon's groups). Default: the daemon's group. */
  readonly group?: string | number | null;
  readonly maxClients?: number;
  readonly idleTimeoutMs?: number;
  readonly log?: { warn(m: string): unknown; error(m: string): unknown };
}

export class ControlServer {
  private readonly handlers = new Map<string, ControlHandler>();
  private readonly server: net.Server;
  private readonly clients = new Set<net.Socket>();
  private listening = false;

  constructor(private readonly o: ControlServerOptions) {
    this.server = net.createServer((s) => this.accept(s));
    this.server.maxConnections = o.maxClients ?? 16;
  }

  /** Register an operation (e.g. registerRelayOps in ./relay-ops.ts). */
  handle(op: string, h: ControlHandler): this {
    this.handlers.set(op, h);
    return this;
  }

  get path(): string {
    return this.o.socket;
  }

  async start(): Promise<void> {
    mkdirSync(path.dirname(this.o.socket), { recursive: true, mode: 0o750 });
    await removeIfStale(this.o.socket);
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.o.socket, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.listening = true;
    chmodSync(this.o.socket, this.o.mode ?? 0o660);
    if (this.o.group != null) chownSync(this.o.socket, -1, resolveGid(this.o.group));
  }

  async stop(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    for (const c of this.clients) c.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
    rmSync(this.o.socket, { force: true });
  }

  private accept(s: net.Socket): void {
    this.clients.add(s);
    s.setTimeout(this.o.idleTimeoutMs ?? 60_000, () => s.destroy());
    s.on('close', () => this.clients.delete(s));
    s.on('error', () => s.destroy());
    // Requests on one connection run in order; a client may pipeline a few, not flood.
    let chain: Promise<void> = Promise.resolve();
    let queued = 0;
    readLines(
      s,
      (line) => {
        if (queued >= MAX_QUEUED) {
          writeLine(s, { id: 0, ok: false, code: 'busy', error: `more than ${MAX_QUEUED} requests queued on this connection` } satisfies ControlResponse);
          return;
        }
        queued++;
        chain = chain.then(async () => {
          const r = await this.dispatch(line);
          queued--;
          writeLine(s, r);
        });
      },
      () => {
        writeLine(s, { id: 0, ok: false, code: 'bad_request', error: 'line too long' } satisfies ControlResponse);
        s.end();
      },
    );
  }

  private async dispatch(line: string): Promise<ControlResponse> {
    const req = parseObject(line) as ControlRequest | undefined;
    if (req === undefined || typeof req.id !== 'number' || typeof req.op !== 'string') {
      return { id: typeof req?.id === 'number' ? req.id : 0, ok: false, code: 'bad_request', error: 'expected {"id": n, "op": "..."}' };
    }
    const h = this.handlers.get(req.op);
    if (h === undefined) return { id: req.id, ok: false, code: 'unknown_op', error: `unknown op ${req.op.slice(0, 64)}` };
    try {
      return { id: req.id, ok: true, result: await h(req) };
    } catch (err) {
      if (err instanceof ControlError) return { id: req.id, ok: false, code: err.code, error: err.message };
      this.o.log?.error(`management op ${req.op} failed: ${err instanceof Error ? err.stack : String(err)}`);
      return { id: req.id, ok: false, code: 'internal', error: err instanceof Error ? err.message : String(err) };
    }
  }
}

/** A socket file nobody answers on is left over from a dead daemon: remove it. A live one is an error. */
async function removeIfStale(file: string): Promise<void> {
  const alive = await new Promise<boolean | null>((resolve) => {
    const c = net.createConnection(file);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ENOENT' ? null : false));
  });
  if (alive === true) throw new Error(`${file}: another otgate daemon is listening`);
  if (alive === false) rmSync(file, { force: true });
}

/** Group name → gid from /etc/group (Node has no getgrnam). */
export function resolveGid(group: string | number, groupFile = '/etc/group'): number {
  if (typeof group === 'number') return group;
  if (/^[0-9]+$/.test(group)) return Number(group);
  for (const line of readFileSync(groupFile, 'utf8').split('\n')) {
    const [name, , gid] = line.split(':');
    if (name === group && gid !== undefined) return Number(gid);
  }
  throw new Error(`unknown group ${group}`);
}
