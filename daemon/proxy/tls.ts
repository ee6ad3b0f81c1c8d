/**
 * How a conduit's bytes reach the proxy and leave it: plain TCP, or TLS on either side (Node's
 * tls). The proxy asks for a ConduitTransport per listener and never looks at TLS itself.
 *
 * Listen side: the gateway terminates TLS with its own certificate; with `require_client_cert`,
 * `ca` or a `client_certs` allowlist it asks for a client certificate. Right after the handshake,
 * before a byte is read, the certificate is checked (rules/tls.ts): present when required, chain
 * verified against `ca`, and in the allowlist of the asset at the client's source address under
 * the running policy. A failed handshake (plain TCP, wrong protocol) or a refused certificate is
 * handed to the proxy as a refusal: recorded with a stable anomaly code, closed.
 *
 * Upstream side: the gateway opens TLS to the asset (CA, optional client certificate, SNI).
 * Certificate files are read when the listener starts and again on every policy reload (rotation
 * without a restart); an unreadable file fails that listener only.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import type { AnomalySpec } from '../../protocols/common';
import type { CompiledConduit } from '../../rules/compiled';
import { clientCertAllowed, type CompiledTlsListen, type CompiledTlsUpstream, type PeerCertificate } from '../../rules/tls';
import { GatewayAnomalies } from './gateway-anomalies';

/** A TLS handshake that has not finished by then is dropped (Node's default is 120 s). */
const HANDSHAKE_TIMEOUT_MS = 10_000;
const MIN_VERSION = 'TLSv1.2';

/** Why a connection is refused before the proxy gets to inspect it. */
export interface Refusal {
  readonly spec: AnomalySpec;
  readonly detail: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

export interface UpstreamSocket {
  readonly socket: net.Socket;
  /** The event after which application bytes may flow ('secureConnect' for TLS). */
  readonly readyEvent: 'connect' | 'secureConnect';
  /** Which anomaly an error before readyEvent is (TCP refused vs TLS handshake failed). */
  failure(): AnomalySpec;
}

/**
 * `onread`: read into a caller-owned buffer and call back per read instead of emitting 'data'
 * (net.connect's option). Plain TCP honours it; TLS connectors ignore it and emit 'data'.
 */
export type UpstreamConnector = (host: string, port: number, onread?: net.OnReadOpts) => UpstreamSocket;

export interface ConduitTransport {
  readonly server: net.Server;
  readonly connect: UpstreamConnector;
  /** Policy reload kept this listener: re-read certificate files. Throws when one is unreadable. */
  reload(c: CompiledConduit): void;
}

export interface TransportHooks {
  /** Directory relative certificate paths are resolved against (the policy file's). */
  readonly baseDir: string;
  /** A client socket for the proxy; `refused` non-null: record it and close the socket. */
  onSocket(sock: net.Socket, refused: Refusal | null): void;
  /** The running policy's version of this conduit and the asset at an address (allowlists follow reloads). */
  current(): { readonly conduit: CompiledConduit | null; assetOf(ip: string): string | null };
}

export const plainConnector: UpstreamConnector = (host, port, onread) => ({
  socket: net.connect(onread === undefined ? { host, port, noDelay: true } : { host, port, noDelay: true, onread }),
  readyEvent: 'connect',
  failure: () => GatewayAnomalies.upstream_unreachable,
});

/** Part of the listener key: a change here needs a new listening socket, not just new files. */
export function listenerTlsKey(c: CompiledConduit): string {
  const l = c.tls?.listen;
  return l ? `tls:${l.cert}|${l.key}|${l.ca ?? ''}|${l.requireClientCert}` : 'tcp';
}

/** Throws when a certificate file cannot be read (the caller reports a listen error). */
export function transportFor(c: CompiledConduit, hooks: TransportHooks): ConduitTransport {
  let connect = connectorFor(c.tls?.upstream ?? null, hooks.baseDir);
  const listen = c.tls?.listen ?? null;
  const server = listen === null ? plainServer(hooks) : tlsServer(listen, hooks);
  return {
    server,
    connect: (host, port, onread) => connect(host, port, onread),
    reload: (next) => {
      const nl = next.tls?.listen;
      if (nl && server instanceof tls.Server) server.setSecureContext(listenContext(nl, hooks.baseDir));
      connect = connectorFor(next.tls?.upstream ?? null, hooks.baseDir);
    },
  };
}

function plainServer(hooks: TransportHooks): net.Server {
  const server = net.createServer({ noDelay: true, pauseOnConnect: true });
  server.on('connection', (sock) => hooks.onSocket(sock, null));
  return server;
}

function tlsServer(l: CompiledTlsListen, hooks: TransportHooks): tls.Server {
  const askCert = l.requireClientCert || l.ca !== null;
  const server = tls.createServer({
    ...listenContext(l, hooks.baseDir),
    minVersion: MIN_VERSION,
    handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    requestCert: askCert,
    // The chain, the pin and the asset binding are all decided right after the handshake
    // (rules/tls.ts), before any byte is read: Node's own rejection would close the socket
    // without telling us why (TLS 1.3 verifies the client after the server's Finished).
    rejectUnauthorized: false,
  });
  server.on('secureConnection', (sock: tls.TLSSocket) => {
    sock.setNoDelay(true);
    const cur = hooks.current();
    const now = cur.conduit?.tls?.listen ?? l;
    const cert = peerOf(sock);
    const ip = (sock.remoteAddress ?? '').replace(/^::ffff:/, '');
    const d = clientCertAllowed(now, cur.assetOf(ip), cert);
    hooks.onSocket(sock, d.ok ? null : { spec: GatewayAnomalies.tls_client_cert_not_allowed, detail: d.why, fields: certFields(cert) });
  });
  // Read the peer address at accept: a handshake that fails on a reset has lost it by then.
  server.on('connection', (raw: net.Socket) => void raw.remoteAddress);
  server.on('tlsClientError', (err: NodeJS.ErrnoException, sock: tls.TLSSocket) => {
    // Node keeps the accepted TCP socket as `_parent`; it still knows who connected.
    const raw = (sock as unknown as { _parent?: unknown })._parent;
    hooks.onSocket(raw instanceof net.Socket ? raw : sock, { spec: GatewayAnomalies.tls_handshake_failed, detail: handshakeDetail(err), fields: { tls: true } });
  });
  return server;
}

function peerOf(sock: tls.TLSSocket): PeerCertificate {
  const p = sock.getPeerCertificate();
  const present = p !== null && typeof p === 'object' && typeof p.fingerprint256 === 'string';
  const cn = present ? p.subject?.CN : undefined;
  return {
    sha256: present ? p.fingerprint256 : null,
    cn: typeof cn === 'string' ? cn : Array.isArray(cn) ? String(cn[0]) : null,
    chainVerified: sock.authorized,
    chainError: sock.authorized ? null : String(sock.authorizationError ?? 'unverified'),
  };
}

const certFields = (c: PeerCertificate): Record<string, unknown> => ({ tls: true, certCn: c.cn, certSha256: c.sha256 });

/** OpenSSL's reason ("wrong version number", "certificate unknown", …) is the useful part. */
function handshakeDetail(err: NodeJS.ErrnoException): string {
  const reason = (err as { reason?: string }).reason;
  return reason ?? err.code ?? err.message;
}

const read = (file: string, baseDir: string): Buffer => readFileSync(path.resolve(baseDir, file));

function listenContext(l: CompiledTlsListen, baseDir: string): tls.SecureContextOptions {
  return {
    cert: read(l.cert, baseDir),
    key: read(l.key, baseDir),
    ...(l.ca !== null ? { ca: read(l.ca, baseDir) } : {}),
  };
}

function connectorFor(u: CompiledTlsUpstream | null, baseDir: string): UpstreamConnector {
  if (u === null) return plainConnector;
  const context = tls.createSecureContext({
    minVersion: MIN_VERSION,
    ...(u.ca !== null ? { ca: read(u.ca, baseDir) } : {}),
    ...(u.cert !== null ? { cert: read(u.cert, baseDir) } : {}),
    ...(u.key !== null ? { key: read(u.key, baseDir) } : {}),
  });
  return (host, port) => {
    let tcpUp = false;
    const servername = u.servername ?? (net.isIP(host) === 0 ? host : undefined);
    const socket = tls.connect({ host, port, secureContext: context, ...(servername !== undefined ? { servername } : {}) });
    socket.setNoDelay(true);
    socket.once('connect', () => (tcpUp = true));
    return {
      socket,
      readyEvent: 'secureConnect',
      failure: () => (tcpUp ? GatewayAnomalies.tls_upstream_failed : GatewayAnomalies.upstream_unreachable),
    };
  };
}
