/**
 * Connection-level anomaly codes the gateway itself raises (not protocol decoding).
 * Stable codes; documented in docs/anomalies.md with the protocol lists.
 */
import type { AnomalySpec } from '../../protocols/common';

const spec = (code: string, family: AnomalySpec['family'], technique: string | null, description: string): AnomalySpec =>
  Object.freeze({ code, family, technique, description });

export const GatewayAnomalies = Object.freeze({
  connection_limit: spec('gateway.connection_limit', 'resource', 'T0814',
    'a conduit or per-client connection limit was reached; the new connection was closed'),
  upstream_unreachable: spec('gateway.upstream_unreachable', 'state', null,
    'the protected device did not accept the connection; the client connection was closed'),
  idle_timeout: spec('gateway.idle_timeout', 'resource', null,
    'no traffic for longer than the conduit idle timeout; the connection was closed'),
  internal_error: spec('gateway.internal_error', 'state', null,
    'an otgate bug on this connection; it was closed, every other connection carries on'),
  tls_handshake_failed: spec('gateway.tls_handshake_failed', 'state', null,
    'the TLS handshake with a client failed (plain TCP to a TLS conduit, no common version or cipher, timeout); closed'),
  tls_client_cert_not_allowed: spec('gateway.tls_client_cert_not_allowed', 'state', null,
    'the client certificate is missing, does not chain to the conduit CA, or is not in the allowlist of the asset at its address; closed right after the handshake, before any byte is read'),
  tls_upstream_failed: spec('gateway.tls_upstream_failed', 'state', null,
    'the TLS handshake with the upstream asset failed (certificate not trusted, name mismatch); the client connection was closed'),
});
