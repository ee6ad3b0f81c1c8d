/**
 * The `tls:` block of a conduit: TLS termination on the gateway's listener (clients speak TLS to
 * otgate) and TLS origination to the upstream asset. Any protocol may use it; MQTT over TLS
 * (port 8883) is the common case. File paths are PEM files, relative to the policy file's
 * directory unless absolute; they are read by the daemon when the listener starts and on reload.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Name } from './common';

const PemFile = (description: string) =>
  Type.String({ title: 'PEM file', minLength: 1, description: `${description} (PEM; relative to the policy file)`, examples: ['/etc/otgate/tls/gateway.crt'] });

/** SHA-256 of the DER certificate: 64 hex digits, with or without ':' between bytes (openssl x509 -fingerprint -sha256). */
export const FINGERPRINT_PATTERN = '^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$|^[0-9A-Fa-f]{64}$';

const ClientCert = Type.Object(
  {
    asset: Name('the client asset (its source address) these certificates belong to'),
    sha256: Type.Optional(
      Type.Array(Type.String({ title: 'SHA-256 fingerprint', pattern: FINGERPRINT_PATTERN, examples: ['3F:0A:…'] }), {
        minItems: 1,
        description: 'certificate fingerprints accepted from this asset (pins; work with or without a CA)',
      }),
    ),
    cn: Type.Optional(
      Type.Array(Type.String({ title: 'subject CN', minLength: 1 }), {
        minItems: 1,
        description: 'subject common names accepted from this asset; only for certificates that chain to `ca`',
      }),
    ),
  },
  { additionalProperties: false, title: 'client certificate allowlist entry' },
);

export const TlsListenSchema = Type.Object(
  {
    cert: PemFile('the gateway\'s server certificate (chain) presented to clients'),
    key: PemFile('the private key of that certificate'),
    ca: Type.Optional(PemFile('CA bundle client certificates must chain to')),
    require_client_cert: Type.Optional(
      Type.Boolean({ default: false, description: 'refuse clients without a certificate (mutual TLS); with `ca`, the chain is verified in the handshake' }),
    ),
    client_certs: Type.Optional(
      Type.Array(ClientCert, {
        description: 'per-asset certificate allowlist: a client whose certificate is not listed for its own asset is refused (default deny for unlisted assets)',
      }),
    ),
  },
  { additionalProperties: false, title: 'TLS termination', description: 'clients connect to the gateway over TLS' },
);

export const TlsUpstreamSchema = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean({ default: true, description: 'connect to the upstream asset over TLS' })),
    ca: Type.Optional(PemFile('CA bundle the upstream\'s certificate must chain to (system CAs when absent)')),
    cert: Type.Optional(PemFile('client certificate the gateway presents upstream')),
    key: Type.Optional(PemFile('private key of that client certificate')),
    servername: Type.Optional(
      Type.String({ minLength: 1, description: 'name sent in SNI and checked against the upstream certificate (the asset address when absent)', examples: ['broker.fab.local'] }),
    ),
  },
  { additionalProperties: false, title: 'TLS origination', description: 'the gateway connects to the upstream asset over TLS' },
);

export const TlsSchema = Type.Object(
  {
    listen: Type.Optional(TlsListenSchema),
    upstream: Type.Optional(TlsUpstreamSchema),
  },
  { additionalProperties: false, title: 'TLS', description: 'optional TLS on either side of the conduit (Node tls, TLS 1.2+)' },
);

export type TlsSpec = Static<typeof TlsSchema>;
export type TlsListenSpec = Static<typeof TlsListenSchema>;
export type TlsUpstreamSpec = Static<typeof TlsUpstreamSchema>;
