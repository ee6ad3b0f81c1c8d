/**
 * Real node-opcua peers for tests: the chiller OPC UA server (ns=2 "Chiller" namespace), clients
 * with their own PKI under a temp dir (never ~/.config), and a recording loopback relay.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  OPCUACertificateManager,
  OPCUAClient,
  type ClientSession,
  type OPCUAClientOptions,
  type UserIdentityInfo,
} from 'node-opcua';
import { CHILLER_NODES, startChillerOpcua, type ChillerOpcua } from '../../scripts/testbed/chiller-opcua';

/** The chiller's NodeIds (the server is scripts/testbed/chiller-opcua.ts, shared with the demo and testbed). */
export const CHILLER = CHILLER_NODES;

/** Values are read at the server, not through a client. */
export type ChillerServer = ChillerOpcua;

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export function tempPki(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `otgate-${prefix}-`));
}

export async function startChillerServer(opts: { host?: string; port?: number; secure?: boolean } = {}): Promise<ChillerServer> {
  const host = opts.host ?? '127.0.0.1';
  return startChillerOpcua({ host, port: opts.port ?? (await freePort(host)), secure: opts.secure === true, productName: 'ChillCo chiller skid (test)' });
}

export interface ClientIdentity {
  readonly applicationUri: string;
  readonly pkiDir: string;
  readonly certificateManager: OPCUACertificateManager;
  readonly certificateFile: string;
  readonly privateKeyFile: string;
  dispose(): Promise<void>;
}

/** SHA-1 thumbprint (hex) of a client's certificate, as the gateway sees it in OPN. */
export function thumbprintOf(id: ClientIdentity): string {
  const pem = readFileSync(id.certificateFile, 'utf8');
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  return createHash('sha1').update(der).digest('hex');
}

/** A client PKI in a temp dir with its own self-signed certificate. */
export async function clientIdentity(name: string): Promise<ClientIdentity> {
  const pkiDir = tempPki(`opcua-${name}`);
  const certificateManager = new OPCUACertificateManager({ rootFolder: path.join(pkiDir, 'pki'), automaticallyAcceptUnknownCertificate: true });
  await certificateManager.initialize();
  const certificateFile = path.join(pkiDir, 'pki', 'own', 'certs', 'client_certificate.pem');
  await certificateManager.createSelfSignedCertificate({
    applicationUri: `urn:otgate-test:${name}`,
    subject: `/CN=${name}/O=Secluded Semiconductors`,
    dns: ['localhost'],
    startDate: new Date(Date.now() - 86_400_000),
    validity: 30,
    outputFile: certificateFile,
  });
  return {
    applicationUri: `urn:otgate-test:${name}`,
    pkiDir, certificateManager, certificateFile,
    privateKeyFile: path.join(pkiDir, 'pki', 'own', 'private', 'private_key.pem'),
    dispose: async () => {
      await certificateManager.dispose();
      rmSync(pkiDir, { recursive: true, force: true });
    },
  };
}

export function makeClient(id: ClientIdentity, opts: Partial<OPCUAClientOptions> = {}): OPCUAClient {
  return OPCUAClient.create({
    applicationName: 'otgate-test-client',
    applicationUri: id.applicationUri,
    endpointMustExist: false,
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
    requestedSessionTimeout: 20_000,
    clientCertificateManager: id.certificateManager,
    certificateFile: id.certificateFile,
    privateKeyFile: id.privateKeyFile,
    ...opts,
  });
}

/** Connect, create a session, run `fn`, always close. */
export async function withSession<T>(client: OPCUAClient, url: string, fn: (s: ClientSession) => Promise<T>, userIdentity?: UserIdentityInfo): Promise<T> {
  await client.connect(url);
  try {
    const session = await client.createSession(userIdentity);
    try {
      return await fn(session);
    } finally {
      await session.close().catch(() => undefined);
    }
  } finally {
    await client.disconnect();
  }
}

/** A loopback relay recording each direction's chunks as they arrive (fixture recording, raw tests). */
export interface Relay {
  readonly port: number;
  readonly c2s: Buffer[];
  readonly s2c: Buffer[];
  close(): Promise<void>;
}

export async function startRelay(target: { host: string; port: number }, host = '127.0.0.1'): Promise<Relay> {
  const c2s: Buffer[] = [];
  const s2c: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((client) => {
    const up = net.connect(target);
    sockets.add(client).add(up);
    client.on('data', (d) => { c2s.push(Buffer.from(d)); up.write(d); });
    up.on('data', (d) => { s2c.push(Buffer.from(d)); client.write(d); });
    client.on('close', () => up.destroy());
    up.on('close', () => client.destroy());
    client.on('error', () => undefined);
    up.on('error', () => undefined);
  });
  await new Promise<void>((r) => srv.listen(0, host, () => r()));
  return {
    port: (srv.address() as net.AddressInfo).port,
    c2s, s2c,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); srv.close(() => r()); }),
  };
}
