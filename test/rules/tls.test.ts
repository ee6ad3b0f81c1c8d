/** The conduit `tls:` block: loading, semantic checks, compiling, and the client-certificate allowlist decision. */
import { loadPolicyText } from '../../rules/load';
import { clientCertAllowed, compileTls, normalizeFingerprint, type CompiledTlsListen } from '../../rules/tls';
import { compileText } from './helpers';

const FP = 'AB:'.repeat(31) + 'CD';
const FP_PLAIN = 'ab'.repeat(31) + 'cd';

const policy = (tls: string) => `
version: 1
site: t
zones:
  - { name: field, level: 0, networks: [10.0.0.0/24] }
  - { name: sup, level: 2, networks: [10.20.0.0/24] }
assets:
  - { name: pc-101, zone: field, address: 10.0.0.101 }
  - { name: th-102, zone: field, address: 10.0.0.102 }
  - { name: broker, zone: sup, address: 10.20.0.50 }
conduits:
  - name: sensors
    from_zone: field
    to_zone: sup
    protocol: mqtt
    listen: 10.20.0.1:8883
    upstream: { asset: broker, port: 8883 }
${tls}
    rules:
      - { name: r, clients: [pc-101], mqtt: { publish: ["fab/#"] } }
`;

const codes = (text: string) => {
  const r = loadPolicyText(text, 'p.yaml');
  return r.ok ? [] : r.errors.map((e) => `${e.line} ${e.code} ${e.message}`);
};

describe('tls: block in the policy', () => {
  test('compiles listen and upstream sides; fingerprints normalised; client_certs imply a client certificate', () => {
    const p = compileText(policy(`    tls:
      listen:
        cert: gw.crt
        key: gw.key
        ca: ca.crt
        client_certs:
          - { asset: pc-101, sha256: ["${FP_PLAIN}"], cn: [pc-101] }
          - { asset: pc-101, cn: [pc-101-spare] }
      upstream: { ca: ca.crt, servername: broker.fab.local }`));
    const tls = p.conduits.get('sensors')!.tls!;
    expect(tls.listen).toMatchObject({ cert: 'gw.crt', key: 'gw.key', ca: 'ca.crt', requireClientCert: true });
    expect([...tls.listen!.clientCerts!.get('pc-101')!.sha256]).toEqual([FP]);
    expect([...tls.listen!.clientCerts!.get('pc-101')!.cn]).toEqual(['pc-101', 'pc-101-spare']);
    expect(tls.upstream).toEqual({ ca: 'ca.crt', cert: null, key: null, servername: 'broker.fab.local' });
  });

  test('no block, or upstream disabled: plain TCP on that side', () => {
    expect(compileText(policy('')).conduits.get('sensors')!.tls).toBeNull();
    const t = compileTls({ upstream: { enabled: false, ca: 'x' } });
    expect(t).toEqual({ listen: null, upstream: null });
  });

  test('semantic checks: unknown asset, CN without a CA, lone cert/key, require_client_cert accepting anything', () => {
    expect(codes(policy(`    tls:
      listen:
        cert: gw.crt
        key: gw.key
        client_certs:
          - { asset: pc-999, sha256: ["${FP}"] }
          - { asset: th-102, cn: [th-102] }
      upstream: { cert: up.crt }`))).toEqual([
      expect.stringMatching(/^23 policy.unknown_asset unknown asset 'pc-999'/),
      expect.stringMatching(/^24 policy.schema cn names need `ca`/),
      expect.stringMatching(/^25 policy.schema upstream cert and key go together/),
    ]);
    expect(codes(policy(`    tls:
      listen: { cert: gw.crt, key: gw.key, require_client_cert: true }`))).toEqual([expect.stringMatching(/policy.schema require_client_cert without/)]);
  });

  test('the schema rejects a malformed fingerprint and unknown keys', () => {
    expect(codes(policy(`    tls:
      listen: { cert: a, key: b, client_certs: [{ asset: pc-101, sha256: ["AB:CD"] }] }`)).length).toBe(1);
    expect(codes(policy(`    tls:
      listen: { cert: a, key: b, verify: false }`)).length).toBe(1);
  });
});

describe('clientCertAllowed', () => {
  const listen = (over: Partial<CompiledTlsListen> = {}): CompiledTlsListen => ({
    cert: 'c', key: 'k', ca: 'ca', requireClientCert: true,
    clientCerts: new Map([['pc-101', { sha256: new Set([FP]), cn: new Set(['pc-101']) }]]),
    ...over,
  });
  const cert = (sha256: string | null, cn: string | null, chainVerified: boolean) => ({ sha256, cn, chainVerified, chainError: chainVerified ? null : 'SELF_SIGNED_CERT_IN_CHAIN' });

  test('a pinned fingerprint or a CN under a verified chain, for the asset it is bound to', () => {
    expect(clientCertAllowed(listen(), 'pc-101', cert(FP, 'other', true))).toEqual({ ok: true });
    expect(clientCertAllowed(listen(), 'pc-101', cert('00'.repeat(32), 'pc-101', true))).toEqual({ ok: true });
    expect(clientCertAllowed(listen({ ca: null }), 'pc-101', cert(FP, null, false))).toEqual({ ok: true });
  });

  test('refusals say why', () => {
    const why = (l: CompiledTlsListen, asset: string | null, c: ReturnType<typeof cert>) => {
      const d = clientCertAllowed(l, asset, c);
      return d.ok ? 'ok' : d.why;
    };
    expect(why(listen(), 'pc-101', cert(null, null, false))).toBe('no client certificate');
    expect(why(listen(), 'pc-101', cert(FP, 'pc-101', false))).toBe('certificate does not chain to the conduit CA (SELF_SIGNED_CERT_IN_CHAIN)');
    // Without a CA a CN proves nothing: only the pin counts.
    expect(why(listen({ ca: null }), 'pc-101', cert('00'.repeat(32), 'pc-101', false))).toMatch(/not in the allowlist of pc-101/);
    expect(why(listen(), 'th-102', cert(FP, 'pc-101', true))).toBe('no certificate allowlist for asset th-102');
    expect(why(listen(), null, cert(FP, 'pc-101', true))).toBe('no certificate allowlist for this address');
  });

  test('no allowlist: any certificate the chain check accepts; none needed unless required', () => {
    expect(clientCertAllowed(listen({ clientCerts: null }), null, cert('00'.repeat(32), 'x', true))).toEqual({ ok: true });
    expect(clientCertAllowed(listen({ clientCerts: null, requireClientCert: false }), null, cert(null, null, false))).toEqual({ ok: true });
  });

  test('normalizeFingerprint', () => {
    expect(normalizeFingerprint(FP_PLAIN)).toBe(FP);
    expect(normalizeFingerprint(FP.toLowerCase())).toBe(FP);
  });
});
