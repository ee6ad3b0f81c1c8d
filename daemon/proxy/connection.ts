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
 * Device-side read buffer per connection whose inspector borrows chunks
 * (ProtocolInspector.borrowsChunks): Modbus ADUs are at most 260 bytes, so 4 KiB holds a
 * master's whole pipeline of responses in one read.
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
   * The buffer the device side reads into (borrowed chunks), or null when the next read needs a
   * fresh one: forwarded views of it are written without a copy, and a write the kernel did not
   * take at once (it keeps pointing at those bytes) retires it (write()), so no later read can
   * overwrite bytes still queued for the client.
   */
  private readBuf: Buffer | null = null;

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
    // Device side: read into readBuf when the inspector borrows chunks: no Buffer per read and
    // no Readable push/emit/nextTick per response (net.connect `onread`, plain TCP only; the
    // client side is accepted by net.Server, which has no such option). Node calls `buffer`
    // after every read for the buffer of the next one.
    const onread: net.OnReadOpts | undefined = this.inspector.borrowsChunks === true
      ? { buffer: () => (this.readBuf ??= Buffer.allocUnsafeSlow(READ_BUFFER_BYTES)), callback: (n: number, buf: Uint8Array) => this.feedBorrowed(n, buf) }
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

  /** A read into readBuf. true: read on (write() pauses this side itself when the client's buffer is full). */
  private feedBorrowed(n: number, buf: Uint8Array): boolean {
    this.feed('s2c', (buf as Buffer).subarray(0, n));
    return true;
  }

  /** Write toward `to`; when its buffer is full, stop reading from `from` until it drains. */
  private write(to: net.Socket, from: net.Socket, bytes: Buffer): void {
    if (this.closed || to.destroyed) return;
    if (to === this.client) this.active = true;
    const ok = to.write(bytes);
    // Queued, not written: the socket keeps this view, so the device side reads on elsewhere.
    if (to.writableLength > 0 && this.readBuf !== null && bytes.buffer === this.readBuf.buffer) this.readBuf = null;
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
