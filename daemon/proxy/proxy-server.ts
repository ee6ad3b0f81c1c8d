/**
 * The proxy: one TCP listener per conduit of the running policy. Admission (connection limits)
 * happens here; each admitted connection gets its protocol's inspector from the registry.
 * On reload the listener set is reconciled: new conduits start listening, removed ones stop;
 * open connections carry on and are judged by the new policy from their next frame.
 */
import type net from 'node:net';
import path from 'node:path';
import { anomaly } from '../../protocols/common';
import type { CompiledConduit, CompiledPolicy } from '../../rules/compiled';
import type { PipelineEnv } from '../pipeline/contract';
import { makeEvent } from '../pipeline/events';
import { inspectorFor } from '../pipeline/registry';
import { ProxyConnection } from './connection';
import { GatewayAnomalies } from './gateway-anomalies';
import { listenerTlsKey, transportFor, type ConduitTransport, type Refusal } from './tls';
import { connectionClosed, connectionOpened, countConnection } from '../stats';

export interface ProxyHooks {
  readonly onListening?: (conduit: string, address: net.AddressInfo) => void;
  readonly onListenError?: (conduit: string, err: Error) => void;
  readonly onInternalError?: (err: unknown, conduit: string) => void;
}

interface Listener {
  readonly server: net.Server;
  /** Plain TCP or TLS on either side (daemon/proxy/tls.ts). */
  readonly transport: ConduitTransport;
  readonly key: string; // protocol + listen address: a changed one means a new listener
  readonly conns: Set<ProxyConnection>;
  readonly perClient: Map<string, number>;
}

let flowSeq = 0;
const flowPrefix = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;

export class ProxyServer {
  private readonly listeners = new Map<string, Listener>();
  private ticker: NodeJS.Timeout | null = null;

  constructor(private readonly env: PipelineEnv, private readonly hooks: ProxyHooks = {}) {}

  /** Start or reconcile listeners for the policy's conduits. Resolves when all are listening. */
  async apply(policy: CompiledPolicy): Promise<void> {
    for (const [name, l] of this.listeners) {
      const c = policy.conduits.get(name);
      if (!c || keyOf(c) !== l.key) {
        l.server.close();
        this.listeners.delete(name);
      } else {
        this.reloadTransport(name, l, c);
      }
    }
    const starts: Promise<void>[] = [];
    for (const c of policy.conduits.values()) {
      if (!this.listeners.has(c.name)) starts.push(this.listen(c, path.dirname(policy.file)));
    }
    await Promise.all(starts);
    if (this.ticker === null) {
      this.ticker = setInterval(() => this.tick(), 1000);
      this.ticker.unref();
    }
  }

  /** Bound address of a conduit's listener (port 0 in the policy picks a free port). */
  address(conduit: string): net.AddressInfo | null {
    const a = this.listeners.get(conduit)?.server.address();
    return a && typeof a === 'object' ? a : null;
  }

  openConnections(): number {
    let n = 0;
    for (const l of this.listeners.values()) n += l.conns.size;
    return n;
  }

  async close(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    const closing = [...this.listeners.values()].map(
      (l) => new Promise<void>((resolve) => {
        for (const c of l.conns) c.close();
        l.server.close(() => resolve());
      }),
    );
    this.listeners.clear();
    await Promise.all(closing);
  }

  private listen(c: CompiledConduit, baseDir: string): Promise<void> {
    let transport: ConduitTransport;
    try {
      transport = transportFor(c, {
        baseDir,
        onSocket: (sock, refused) => this.admit(c.name, l, sock, refused),
        current: () => {
          const p = this.env.policy();
          return { conduit: p?.conduits.get(c.name) ?? null, assetOf: (ip) => p?.assetByAddress(ip)?.name ?? null };
        },
      });
    } catch (err) {
      this.hooks.onListenError?.(c.name, err instanceof Error ? err : new Error(String(err)));
      return Promise.resolve();
    }
    const l: Listener = { server: transport.server, transport, key: keyOf(c), conns: new Set(), perClient: new Map() };
    this.listeners.set(c.name, l);
    return new Promise((resolve) => {
      l.server.once('error', (err) => {
        this.listeners.delete(c.name);
        this.hooks.onListenError?.(c.name, err);
        resolve();
      });
      l.server.listen({ host: c.listen.host, port: c.listen.port }, () => {
        const a = l.server.address();
        if (a && typeof a === 'object') this.hooks.onListening?.(c.name, a);
        resolve();
      });
    });
  }

  /** Kept listener on reload: re-read its certificate files (rotation); a bad file keeps the old ones. */
  private reloadTransport(name: string, l: Listener, c: CompiledConduit): void {
    try {
      l.transport.reload(c);
    } catch (err) {
      this.hooks.onListenError?.(name, err instanceof Error ? err : new Error(String(err)));
    }
  }

  private admit(name: string, l: Listener, sock: net.Socket, refused: Refusal | null = null): void {
    const policy = this.env.policy();
    const c = policy?.conduits.get(name);
    const ip = normalizeIp(sock.remoteAddress ?? '');
    const ctx = {
      flowId: `${flowPrefix}-${(++flowSeq).toString(36)}`,
      conduit: name,
      protocol: c?.protocol ?? 'modbus',
      client: { ip, port: sock.remotePort ?? 0 },
      server: { ip: c?.upstream.host ?? '', port: c?.upstream.port ?? 0 },
      passive: false,
    } as const;
    if (refused !== null) {
      // TLS: handshake failed or the certificate is not this asset's (daemon/proxy/tls.ts).
      this.env.record(makeEvent(ctx, ctx.protocol, this.env.now(), policy, {
        dir: 'request', verdict: null, anomaly: anomaly(refused.spec, refused.detail), action: 'closed',
        summary: `connection refused: ${refused.detail}`, fields: refused.fields,
      }));
      sock.destroy();
      return;
    }
    const factory = c ? inspectorFor(c.protocol) : null;
    const perClient = l.perClient.get(ip) ?? 0;
    const limitHit = !c ? null
      : l.conns.size >= c.limits.maxConnections ? `max_connections ${c.limits.maxConnections}`
      : perClient >= c.limits.maxConnectionsPerClient ? `max_connections_per_client ${c.limits.maxConnectionsPerClient}`
      : null;
    if (!c || !factory || limitHit !== null) {
      const detail = !c ? 'conduit removed' : !factory ? `no inspector for ${c.protocol}` : `${limitHit} reached`;
      this.env.record(makeEvent(ctx, ctx.protocol, this.env.now(), policy, {
        dir: 'request', verdict: null, anomaly: anomaly(GatewayAnomalies.connection_limit, detail), action: 'closed',
        summary: `connection refused: ${detail}`, fields: {},
      }));
      sock.destroy();
      countConnection(name, 'rejected_limit');
      return;
    }
    l.perClient.set(ip, perClient + 1);
    countConnection(name, 'accepted');
    connectionOpened(name);
    const conn = new ProxyConnection(sock, {
      ctx,
      env: this.env,
      factory,
      upstream: c.upstream,
      connectUpstream: l.transport.connect,
      idleTimeoutMs: c.limits.idleTimeoutMs,
      onClose: (cn) => {
        if (!l.conns.delete(cn)) return;
        connectionClosed(name);
        const n = (l.perClient.get(ip) ?? 1) - 1;
        if (n <= 0) l.perClient.delete(ip);
        else l.perClient.set(ip, n);
      },
      onError: (err) => this.hooks.onInternalError?.(err, name),
    });
    l.conns.add(conn);
  }

  private tick(): void {
    const now = this.env.now();
    for (const l of this.listeners.values()) for (const c of l.conns) c.tick(now);
  }
}

const keyOf = (c: CompiledConduit): string => `${c.protocol}|${c.listen.host}|${c.listen.port}|${listenerTlsKey(c)}`;

/** "::ffff:127.0.0.1" → "127.0.0.1": policies name IPv4 assets in plain form. */
export const normalizeIp = (ip: string): string => (ip.startsWith('::ffff:') ? ip.slice(7) : ip);
