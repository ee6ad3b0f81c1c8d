/**
 * The chiller skid's OPC UA server (node-opcua OPCUAServer): the one implementation used by
 * `otgate demo`, the e2e tests (test/helpers/opcua-peers.ts) and the namespace testbed.
 *
 * Address space, namespace 2 ("urn:secluded-semi:chiller"; ns=1 is the server's own):
 *   ns=2;s=Chiller               object
 *   ns=2;s=Chiller.Setpoint      Double, °C, writable
 *   ns=2;s=Chiller.Mode          Int32 (0 off, 1 auto, 2 manual), writable
 *   ns=2;s=Chiller.Temperature   Double, °C, supply temperature (read-only)
 *   ns=2;s=Chiller.Label         String, writable (large-value tests)
 *   ns=2;s=Chiller.ResetAlarm    method
 *   ns=2;s=Chiller.Purge         method (never allowed by the example policies)
 *
 * Security None only by default; `secure` adds Basic256Sha256 / Aes128_Sha256_RsaOaep with Sign
 * and SignAndEncrypt. Anonymous sessions are accepted by the server itself (so refusing them is
 * visibly the gateway's doing); one user `operator` / `chiller-secret`. Its PKI lives in a temp
 * dir (never ~/.config). Every value is read at the server for evidence. node-opcua is loaded
 * lazily so the CLI does not pay for it unless a chiller is started.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { OPCUAServer } from 'node-opcua';

export const CHILLER_NODES = {
  object: 'ns=2;s=Chiller',
  setpoint: 'ns=2;s=Chiller.Setpoint',
  mode: 'ns=2;s=Chiller.Mode',
  temperature: 'ns=2;s=Chiller.Temperature',
  label: 'ns=2;s=Chiller.Label',
  resetAlarm: 'ns=2;s=Chiller.ResetAlarm',
  purge: 'ns=2;s=Chiller.Purge',
} as const;

export const CHILLER_USER = { userName: 'operator', password: 'chiller-secret' } as const;

export interface ChillerOpcuaOptions {
  readonly host: string;
  readonly port: number;
  /** Also offer Basic256Sha256 and Aes128_Sha256_RsaOaep (Sign, SignAndEncrypt). */
  readonly secure?: boolean;
  readonly productName?: string;
}

export interface ChillerOpcua {
  readonly server: OPCUAServer;
  readonly host: string;
  readonly port: number;
  /** opc.tcp://host:port */
  readonly endpoint: string;
  readonly pkiDir: string;
  setpoint(): number;
  mode(): number;
  temperature(): number;
  label(): string;
  resetCount(): number;
  purgeCount(): number;
  /** Writes that reached the server, in order (value as written). */
  readonly writes: { node: string; value: unknown }[];
  close(): Promise<void>;
}

export async function startChillerOpcua(opts: ChillerOpcuaOptions): Promise<ChillerOpcua> {
  const ua = await import('node-opcua');
  const pkiDir = mkdtempSync(path.join(os.tmpdir(), 'otgate-chiller-opcua-'));
  const serverCertificateManager = new ua.OPCUACertificateManager({ rootFolder: path.join(pkiDir, 'pki'), automaticallyAcceptUnknownCertificate: true });
  const userCertificateManager = new ua.OPCUACertificateManager({ rootFolder: path.join(pkiDir, 'user-pki'), automaticallyAcceptUnknownCertificate: true });
  const server = new ua.OPCUAServer({
    port: opts.port,
    hostname: opts.host,
    serverCertificateManager,
    userCertificateManager,
    securityPolicies: opts.secure ? [ua.SecurityPolicy.None, ua.SecurityPolicy.Basic256Sha256, ua.SecurityPolicy.Aes128_Sha256_RsaOaep] : [ua.SecurityPolicy.None],
    securityModes: opts.secure ? [ua.MessageSecurityMode.None, ua.MessageSecurityMode.Sign, ua.MessageSecurityMode.SignAndEncrypt] : [ua.MessageSecurityMode.None],
    allowAnonymous: true,
    userManager: { isValidUser: (u: string, p: string) => u === CHILLER_USER.userName && p === CHILLER_USER.password },
    buildInfo: { productName: opts.productName ?? 'ChillCo chiller skid' },
  });
  await server.initialize();
  const space = server.engine.addressSpace!;
  const ns = space.registerNamespace('urn:secluded-semi:chiller');
  if (ns.index !== 2) throw new Error(`chiller namespace got index ${ns.index}, expected 2`);
  const state = { setpoint: 18, mode: 1, temperature: 17.5, label: 'cell 2', resets: 0, purges: 0 };
  const writes: ChillerOpcua['writes'] = [];
  const chiller = ns.addObject({ organizedBy: space.rootFolder.objects, browseName: 'Chiller', nodeId: 's=Chiller' });
  type V = InstanceType<typeof ua.Variant>;
  const variable = (name: 'Setpoint' | 'Mode' | 'Temperature' | 'Label', dataType: 'Double' | 'Int32' | 'String', get: () => unknown, set?: (v: unknown) => void) =>
    ns.addVariable({
      componentOf: chiller, browseName: name, nodeId: `s=Chiller.${name}`, dataType,
      minimumSamplingInterval: 500, // values come from getters (node-opcua asks for a sampling interval then)
      value: {
        get: () => new ua.Variant({ dataType: ua.DataType[dataType], value: get() }),
        ...(set && {
          set: (v: V) => {
            writes.push({ node: `ns=2;s=Chiller.${name}`, value: v.value });
            set(v.value);
            return ua.StatusCodes.Good;
          },
        }),
      },
    });
  variable('Setpoint', 'Double', () => state.setpoint, (v) => (state.setpoint = v as number));
  variable('Mode', 'Int32', () => state.mode, (v) => (state.mode = v as number));
  variable('Temperature', 'Double', () => state.temperature);
  variable('Label', 'String', () => state.label, (v) => (state.label = v as string));
  const method = (name: 'ResetAlarm' | 'Purge', run: () => void) =>
    ns.addMethod(chiller, { browseName: name, nodeId: `s=Chiller.${name}`, inputArguments: [], outputArguments: [] })
      .bindMethod((_args, _ctx, cb) => { run(); cb(null, { statusCode: ua.StatusCodes.Good, outputArguments: [] }); });
  method('ResetAlarm', () => state.resets++);
  method('Purge', () => state.purges++);
  await server.start();
  return {
    server,
    host: opts.host,
    port: opts.port,
    endpoint: `opc.tcp://${opts.host}:${opts.port}`,
    pkiDir,
    setpoint: () => state.setpoint,
    mode: () => state.mode,
    temperature: () => state.temperature,
    label: () => state.label,
    resetCount: () => state.resets,
    purgeCount: () => state.purges,
    writes,
    close: async () => {
      await server.shutdown(0);
      await serverCertificateManager.dispose();
      await userCertificateManager.dispose();
      rmSync(pkiDir, { recursive: true, force: true });
    },
  };
}

/** One OPC UA write (SecurityMode None, anonymous) from a chosen source; the status as text. */
export async function opcuaWrite(endpoint: string, nodeId: string, value: number, timeoutMs = 4000): Promise<string> {
  const ua = await import('node-opcua');
  const pkiDir = mkdtempSync(path.join(os.tmpdir(), 'otgate-testbed-uaclient-'));
  const clientCertificateManager = new ua.OPCUACertificateManager({ rootFolder: path.join(pkiDir, 'pki'), automaticallyAcceptUnknownCertificate: true });
  const client = ua.OPCUAClient.create({
    endpointMustExist: false,
    securityMode: ua.MessageSecurityMode.None,
    securityPolicy: ua.SecurityPolicy.None,
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
    requestedSessionTimeout: timeoutMs * 2,
    clientCertificateManager,
  });
  const deadline = new Promise<string>((resolve) => setTimeout(() => resolve('timeout'), timeoutMs).unref());
  const attempt = (async () => {
    try {
      await client.connect(endpoint);
      const session = await client.createSession();
      const status = await session.write({ nodeId, attributeId: ua.AttributeIds.Value, value: { value: { dataType: ua.DataType.Double, value } } });
      await session.close().catch(() => undefined);
      return status.name;
    } catch (err) {
      return `error: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
    }
  })();
  try {
    return await Promise.race([attempt, deadline]);
  } finally {
    await client.disconnect().catch(() => undefined);
    await clientCertificateManager.dispose().catch(() => undefined);
    rmSync(pkiDir, { recursive: true, force: true });
  }
}
