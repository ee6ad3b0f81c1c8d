/**
 * TLS settings of a conduit, compiled, and the client-certificate allowlist decision. Pure: the
 * daemon reads the PEM files and the peer certificate; this file only says which files and
 * whether a presented certificate is allowed for the asset at the client's address.
 */
import type { TlsSpec } from './schema/tls';

export interface CompiledTlsListen {
  /** Paths as written in the policy (the daemon resolves them against the policy's directory). */
  readonly cert: string;
  readonly key: string;
  readonly ca: string | null;
  readonly requireClientCert: boolean;
  /** Asset name → accepted certificates; null = no allowlist (any certificate the handshake accepts). */
  readonly clientCerts: ReadonlyMap<string, CertAllowlist> | null;
}

export interface CertAllowlist {
  /** Upper-case, colon-separated (Node's `fingerprint256` form). */
  readonly sha256: ReadonlySet<string>;
  readonly cn: ReadonlySet<string>;
}

export interface CompiledTlsUpstream {
  readonly ca: string | null;
  readonly cert: string | null;
  readonly key: string | null;
  readonly servername: string | null;
}

export interface CompiledTls {
  readonly listen: CompiledTlsListen | null;
  readonly upstream: CompiledTlsUpstream | null;
}

/** "3f0a…" or "3F:0A:…" → "3F:0A:…". */
export const normalizeFingerprint = (fp: string): string =>
  fp.replace(/:/g, '').toUpperCase().replace(/(..)(?!$)/g, '$1:');

export function compileTls(spec: TlsSpec | undefined): CompiledTls | null {
  if (spec === undefined) return null;
  const l = spec.listen;
  const u = spec.upstream;
  let clientCerts: Map<string, CertAllowlist> | null = null;
  if (l?.client_certs !== undefined) {
    clientCerts = new Map();
    for (const e of l.client_certs) {
      const prev = clientCerts.get(e.asset);
      clientCerts.set(e.asset, Object.freeze({
        sha256: new Set([...(prev?.sha256 ?? []), ...(e.sha256 ?? []).map(normalizeFingerprint)]),
        cn: new Set([...(prev?.cn ?? []), ...(e.cn ?? [])]),
      }));
    }
  }
  return Object.freeze({
    listen: l === undefined ? null : Object.freeze({
      cert: l.cert,
      key: l.key,
      ca: l.ca ?? null,
      requireClientCert: l.require_client_cert === true || clientCerts !== null,
      clientCerts,
    }),
    upstream: u === undefined || u.enabled === false ? null : Object.freeze({
      ca: u.ca ?? null,
      cert: u.cert ?? null,
      key: u.key ?? null,
      servername: u.servername ?? null,
    }),
  });
}

/** What the daemon learned from the handshake. */
export interface PeerCertificate {
  /** null: the client sent none. */
  readonly sha256: string | null;
  readonly cn: string | null;
  /** The chain verified against the listener's `ca`. */
  readonly chainVerified: boolean;
  /** OpenSSL's verify error when it did not (e.g. SELF_SIGNED_CERT_IN_CHAIN), else null. */
  readonly chainError?: string | null;
}

export type CertDecision = { readonly ok: true } | { readonly ok: false; readonly why: string };

/**
 * Is this certificate allowed for the asset at the client's address? A fingerprint pin matches
 * on its own; a CN only counts when the chain was verified (anyone can self-sign any CN).
 */
export function clientCertAllowed(l: CompiledTlsListen, asset: string | null, cert: PeerCertificate): CertDecision {
  if (cert.sha256 === null) return l.requireClientCert ? { ok: false, why: 'no client certificate' } : { ok: true };
  if (l.ca !== null && !cert.chainVerified) return { ok: false, why: `certificate does not chain to the conduit CA${cert.chainError ? ` (${cert.chainError})` : ''}` };
  if (l.clientCerts === null) return { ok: true };
  const entry = asset === null ? undefined : l.clientCerts.get(asset);
  if (entry === undefined) return { ok: false, why: `no certificate allowlist for ${asset === null ? 'this address' : `asset ${asset}`}` };
  if (entry.sha256.has(normalizeFingerprint(cert.sha256))) return { ok: true };
  if (cert.chainVerified && cert.cn !== null && entry.cn.has(cert.cn)) return { ok: true };
  return { ok: false, why: `certificate (CN ${cert.cn ?? '-'}) not in the allowlist of ${asset}` };
}

export interface TlsProblem {
  readonly code?: 'policy.unknown_asset';
  readonly path: (string | number)[];
  readonly message: string;
}

/** Semantic checks the schema cannot express (the loader reports them with file:line:col). */
export function checkTls(spec: TlsSpec, assetExists: (name: string) => boolean): TlsProblem[] {
  const out: TlsProblem[] = [];
  const l = spec.listen;
  if (l !== undefined) {
    (l.client_certs ?? []).forEach((e, i) => {
      if (!assetExists(e.asset)) out.push({ code: 'policy.unknown_asset', path: ['listen', 'client_certs', i, 'asset'], message: `unknown asset '${e.asset}'` });
      if (e.sha256 === undefined && e.cn === undefined) out.push({ path: ['listen', 'client_certs', i], message: 'an entry needs sha256 fingerprints or cn names' });
      if (e.cn !== undefined && l.ca === undefined) {
        out.push({ path: ['listen', 'client_certs', i, 'cn'], message: 'cn names need `ca` (without a verified chain anyone can self-sign any CN); pin sha256 fingerprints instead' });
      }
    });
    if (l.require_client_cert === true && l.ca === undefined && l.client_certs === undefined) {
      out.push({ path: ['listen', 'require_client_cert'], message: 'require_client_cert without `ca` or `client_certs` would accept any self-signed certificate' });
    }
  }
  const u = spec.upstream;
  if (u !== undefined && (u.cert === undefined) !== (u.key === undefined)) {
    out.push({ path: ['upstream', u.cert === undefined ? 'cert' : 'key'], message: 'upstream cert and key go together' });
  }
  return out;
}
