/**
 * The sender certificate of an OPN asymmetric header (OPC 10000-6 §6.7.2.3 Table 47): DER,
 * possibly a chain (leaf first). Thumbprint = SHA-1 of the leaf's DER (OPC 10000-6 §6.2.6).
 */
import { createHash } from 'node:crypto';
import { exploreCertificate, split_der } from 'node-opcua-crypto';
import type { CertificateInfo } from './types';

export function certificateInfo(der: Buffer): CertificateInfo {
  let leaf = der;
  let subject: string | null = null;
  try {
    const chain = split_der(der);
    if (chain.length > 0 && chain[0]) leaf = chain[0];
    const tbs = exploreCertificate(leaf).tbsCertificate;
    subject = dn(tbs.subject as unknown as Record<string, unknown>);
  } catch {
    // Not a parseable certificate: keep the thumbprint of the bytes, subject unknown.
  }
  return { thumbprint: createHash('sha1').update(leaf).digest('hex'), subject, bytes: der.length };
}

const DN_KEYS: readonly [string, string][] = [
  ['commonName', 'CN'],
  ['organizationName', 'O'],
  ['organizationalUnitName', 'OU'],
  ['localityName', 'L'],
  ['stateOrProvinceName', 'ST'],
  ['countryName', 'C'],
  ['domainComponent', 'DC'],
];

function dn(subject: Record<string, unknown>): string | null {
  const parts: string[] = [];
  for (const [k, short] of DN_KEYS) {
    const v = subject[k];
    if (typeof v === 'string' && v !== '') parts.push(`${short}=${v}`);
  }
  return parts.length > 0 ? parts.join(', ') : null;
}
