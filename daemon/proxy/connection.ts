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
import { plainConnector, type UpstreamConnector } from './tls';

/** Grace for flushing already-forwarded bytes before a hard close. */
const CLOSE_GRACE_MS = 1000;

/**
 * The device-side read buffer of every connection whose inspector borrows chunks
 * (ProtocolInspector.borrowsChunks). One buffer serves all of them: a read fills it and its
 * callback runs to the end before libuv performs the next read, on any socket. Bytes of it
 * that are written on are copied first (write()): a write the kernel does not take at once
 * keeps pointing at the bytes it was given.
 */
const BORROWED = Buffer.allocUnsafeSlow(64 * 1024);
const BORROWED_AB = BORROWED.buffer;

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

  constructor(readonly client: net.Socket, private readonly o: ConnectionOptions) {
    client.setNoDelay(true);
    this.lastActive = o.env.now();
    client.pause(); // nothing is read until the device side is up
    const sink: ActionSink = {
      forward: (dir, bytes) => (dir === 'c2s' ? this.write(this.upstream, client, bytes) : this.write(client, this.upstream, bytes)),
      reply: (dir, bytes) => (dir === 'c2s' ? this.write(client, this.upstream, bytes) : this.write(this.upstream, client, bytes)),
      close: () => this.close(),
    };
    this.inspector = o.factory(o.ctx, o.env, sink);
    // Device side: read into the shared buffer when the inspector borrows chunks (plain TCP
    // only; the client side is accepted by net.Server, which has no such option).
    const onread: net.OnReadOpts | undefined = this.inspector.borrowsChunks === true
      ? { buffer: BORROWED, callback: (n: number, buf: Uint8Array) => this.feedBorrowed(n, buf) }
      : undefined;
    const up = (o.connectUpstream ?? plainConnector)(o.upstream.host, o.upstream.port, onread);
    const upstream = up.socket;
    this.upstream = upstream;

    upstream.once(up.readyEvent, () => {
      this.upConnected = true;
      client.resume();
    });
    client.on('data', (chunk: Buffer) => this.feed('c2s', chunk));
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

  /** A read into BORROWED. true: read on (write() pauses this side itself when the client's buffer is full). */
  private feedBorrowed(n: number, buf: Uint8Array): boolean {
    this.feed('s2c', (buf as Buffer).subarray(0, n));
    return true;
  }

  /** Write toward `to`; when its buffer is full, stop reading from `from` until it drains. */
  private write(to: net.Socket, from: net.Socket, bytes: Buffer): void {
    if (this.closed || to.destroyed) return;
    if (to === this.client) this.active = true;
    if (!to.write(bytes.buffer === BORROWED_AB ? Buffer.from(bytes) : bytes)) {
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
