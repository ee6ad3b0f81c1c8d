/**
 * Test PKI made with the system openssl (EC P-256, fast): a CA, leaf certificates signed by it
 * with IP / DNS subject alternative names, and self-signed "rogue" certificates. Files go to a
 * temp dir; fingerprints are read back with openssl so tests compare against an independent tool.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface CertFiles {
  readonly cert: string;
  readonly key: string;
  /** "AB:CD:…" as `openssl x509 -fingerprint -sha256` prints it. */
  readonly sha256: string;
  readonly pem: { readonly cert: Buffer; readonly key: Buffer };
}

export interface TestPki {
  readonly dir: string;
  readonly ca: CertFiles;
  /** A leaf signed by the CA. `sans`: "IP:127.0.0.1", "DNS:broker.test". */
  leaf(name: string, cn: string, sans?: string[]): CertFiles;
  /** A self-signed certificate no CA vouches for. */
  selfSigned(name: string, cn: string): CertFiles;
  remove(): void;
}

const openssl = (args: string[]): string => execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function files(dir: string, name: string): CertFiles {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  const fp = openssl(['x509', '-in', cert, '-noout', '-fingerprint', '-sha256']).trim();
  return { cert, key, sha256: fp.slice(fp.indexOf('=') + 1), pem: { cert: readFileSync(cert), key: readFileSync(key) } };
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export function makePki(): TestPki {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'otgate-pki-'));
  const p = (f: string) => path.join(dir, f);
  openssl(['req', '-x509', ...EC, '-keyout', p('ca.key'), '-out', p('ca.crt'), '-days', '2', '-subj', '/CN=otgate test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  const ca = files(dir, 'ca');
  return {
    dir,
    ca,
    leaf: (name, cn, sans = []) => {
      openssl(['req', ...EC, '-keyout', p(`${name}.key`), '-out', p(`${name}.csr`), '-subj', `/CN=${cn}`]);
      const ext = p(`${name}.ext`);
      writeFileSync(ext, ['basicConstraints=CA:FALSE', 'keyUsage=digitalSignature', 'extendedKeyUsage=serverAuth,clientAuth',
        ...(sans.length > 0 ? [`subjectAltName=${sans.join(',')}`] : []), ''].join('\n'));
      openssl(['x509', '-req', '-in', p(`${name}.csr`), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-CAcreateserial',
        '-out', p(`${name}.crt`), '-days', '2', '-extfile', ext]);
      return files(dir, name);
    },
    selfSigned: (name, cn) => {
      openssl(['req', '-x509', ...EC, '-keyout', p(`${name}.key`), '-out', p(`${name}.crt`), '-days', '2', '-subj', `/CN=${cn}`]);
      return files(dir, name);
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
