/**
 * One proxied TCP connection: client socket ↔ inspector ↔ upstream socket.
 * The inspector decides; this file only moves bytes, applies backpressure and closes.
 * Any throw from the inspector is an otgate bug: it is caught here, counted, and closes
 * this connection only.
 */
import net from 'node:net';
import { anomaly, type Direction } from '../../protocols/common';
import type { ActionSink, FlowContext, InspectorFactory, PipelineEnv, ProtocolInspector } from '../pipeline/contract';
import { makeEvent } from '../pipeline/events';
import { GatewayAnomalies } from './gateway-anomalies';
import { withOwnReads } from './own-reads';
import { plainConnector, type UpstreamConnector } from './tls';

/** Grace for flushing already-forwarded bytes before a hard close. */
const CLOSE_GRACE_MS = 1000;

/**
 * Read buffer per side of a connection whose inspector borrows chunks
 * (ProtocolInspector.borrowsChunks): Modbus ADUs are at most 260 bytes, so 4 KiB holds a
 * master's whole pipeline of requests, or of responses, in one read.
 */
const READ_BUFFER_BYTES = 4096;

export interface ConnectionOptions {
  readonly ctx: FlowContext;
  readonly env: PipelineEnv;
  readonly factory: InspectorFactory;
  readonly upstream: { readonly host: string; readonly port: number };
  /** Plain TCP when absent; TLS origination per conduit (daemon/proxy/tls.ts). */
  readonly connectUpstream?: UpstreamConnector;
  readonly idleTimeoutMs: number;
  readonly onClose: (conn: ProxyConnection) => void;
  readonly onError: (err: unknown, conn: ProxyConnection) => void;
}

export class ProxyConnection {
  /** The accepted socket, or the one that took over its connection to read into readBufs.c2s (own-reads.ts). */
  readonly client: net.Socket;
  readonly upstream: net.Socket;
  private readonly inspector: ProtocolInspector;
  private closed = false;
  private upConnected = false;
  /**
   * Idle timeout without a socket timer: `socket.setTimeout` re-arms a timer (timer-list unlink
   * + append + a libuv clock read) on every read and every write, twice per transaction. Instead
   * the client side's traffic sets a flag and the proxy's 1 s tick (tick()) checks it, so the
   * timeout fires 0–1 s after `idle_timeout_s` (a policy value in whole seconds).
   */
  private active = false;
  private lastActive: number;
  /**
   * The buffers each direction's bytes are read into when the inspector borrows chunks (c2s:
   * the client side, s2c: the device side), or null when the next read needs a fresh one:
   * forwarded views of them are written without a copy, and a write the kernel did not take at
   * once (it keeps pointing at those bytes) retires the buffer (write()), so no later read can
   * overwrite bytes still queued for the other side.
   */
  private readonly readBufs: Record<Direction, Buffer | null> = { c2s: null, s2c: null };

  constructor(accepted: net.Socket, private readonly o: ConnectionOptions) {
    this.lastActive = o.env.now();
    const sink: ActionSink = {
      forward: (dir, bytes) => (dir === 'c2s' ? this.write(this.upstream, this.client, bytes) : this.write(this.client, this.upstream, bytes)),
      reply: (dir, bytes) => (dir === 'c2s' ? this.write(this.client, this.upstream, bytes) : this.write(this.upstream, this.client, bytes)),
      close: () => this.close(),
    };
    this.inspector = o.factory(o.ctx, o.env, sink);
    // Read into readBufs (readsInto) when the inspector borrows chunks: no Buffer per read and no
    // Readable push/emit/nextTick per request or response. The device side asks net.connect for
    // `onread` (plain TCP only; TLS connectors emit 'data'); the accepted client socket hands its
    // connection to one built with `onread` (own-reads.ts; plain TCP only, else it stays as it
    // is). Node calls `buffer` after every read for the buffer of the next one.
    const borrow = this.inspector.borrowsChunks === true;
    const own = borrow ? withOwnReads(accepted, this.readsInto('c2s')) : null;
    const client = own ?? accepted;
    this.client = client;
    client.setNoDelay(true);
    client.pause(); // nothing is read until the device side is up
    const up = (o.connectUpstream ?? plainConnector)(o.upstream.host, o.upstream.port, borrow ? this.readsInto('s2c') : undefined);
    const upstream = up.socket;
    this.upstream = upstream;

    upstream.once(up.readyEvent, () => {
      this.upConnected = true;
      client.resume();
    });
    if (own === null) client.on('data', (chunk: Buffer) => this.feed('c2s', chunk));
    upstream.on('data', (chunk: Buffer) => this.feed('s2c', chunk));
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('close', () => this.close());
    upstream.on('close', () => this.close());
    client.on('error', () => this.close());
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      if (!this.upConnected) this.connectionEvent(up.failure(), err.code ?? String(err));
      this.close();
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** About once a second (ProxyServer): the idle timeout, then the inspector's own timeouts. */
  tick(now: number): void {
    if (this.closed) return;
    const idleMs = this.o.idleTimeoutMs;
    if (idleMs > 0) {
      if (this.active) {
        this.active = false;
        this.lastActive = now;
      } else if (now - this.lastActive >= idleMs) {
        // As socket.setTimeout counted it: nothing read from, nor written to, the client.
        this.connectionEvent(GatewayAnomalies.idle_timeout, `idle for ${idleMs} ms`);
        this.close();
        return;
      }
    }
    this.guard(() => this.inspector.tick(now));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.guard(() => this.inspector.end());
    for (const s of [this.client, this.upstream]) {
      s.end();
      setTimeout(() => s.destroy(), CLOSE_GRACE_MS).unref();
    }
    this.o.onClose(this);
  }

  /** guard() inlined: no closure per chunk on the forwarding path. */
  private feed(dir: Direction, chunk: Buffer): void {
    if (this.closed) return;
    if (dir === 'c2s') this.active = true;
    try {
      this.inspector.feed(dir, chunk);
    } catch (err) {
      this.failed(err);
    }
  }

  /**
   * `onread` for the side `dir`'s bytes arrive on: into readBufs[dir], fed as a view. The
   * callback returns true, read on (write() pauses this side itself when the other's buffer is full).
   */
  private readsInto(dir: Direction): net.OnReadOpts {
    return {
      buffer: () => (this.readBufs[dir] ??= Buffer.allocUnsafeSlow(READ_BUFFER_BYTES)),
      callback: (n: number, buf: Uint8Array) => {
        this.feed(dir, (buf as Buffer).subarray(0, n));
        return true;
      },
    };
  }

  /** Write toward `to`; when its buffer is full, stop reading from `from` until it drains. */
  private write(to: net.Socket, from: net.Socket, bytes: Buffer): void {
    if (this.closed || to.destroyed) return;
    if (to === this.client) this.active = true;
    const ok = to.write(bytes);
    // Queued, not written: the socket keeps this view, so the side it was read from reads on elsewhere.
    if (to.writableLength > 0) {
      const b = this.readBufs;
      if (b.s2c !== null && bytes.buffer === b.s2c.buffer) b.s2c = null;
      else if (b.c2s !== null && bytes.buffer === b.c2s.buffer) b.c2s = null;
    }
    if (!ok) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.failed(err);
    }
  }

  private failed(err: unknown): void {
    this.o.onError(err, this);
    this.connectionEvent(GatewayAnomalies.internal_error, err instanceof Error ? err.message : String(err));
    this.close();
  }

  connectionEvent(spec: (typeof GatewayAnomalies)[keyof typeof GatewayAnomalies], detail: string): void {
    const env = this.o.env;
    env.record(makeEvent(this.o.ctx, this.o.ctx.protocol, env.now(), env.policy(), {
      dir: 'request', verdict: null, anomaly: anomaly(spec, detail), action: 'closed',
      summary: `connection closed: ${spec.description.split(';')[0]} (${detail})`, fields: {},
    }));
  }
}
