/**
 * The chiller skid's OPC UA server for the testbed (node-opcua OPCUAServer, SecurityMode None,
 * anonymous): ns=2;s=Chiller.Setpoint (Double, °C) and ns=2;s=Chiller.Mode (Int32). Its PKI
 * lives in a temp dir (never ~/.config). Values are read at the server for evidence.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface ChillerOpcua {
  readonly port: number;
  setpoint(): number;
  /** Writes that reached the server, in order. */
  readonly writes: { node: string; value: unknown }[];
  close(): Promise<void>;
}

export async function startChillerOpcua(opts: { host: string; port: number }): Promise<ChillerOpcua> {
  const ua = await import('node-opcua');
  const pkiDir = mkdtempSync(path.join(os.tmpdir(), 'otgate-testbed-opcua-'));
  const serverCertificateManager = new ua.OPCUACertificateManager({ rootFolder: path.join(pkiDir, 'pki'), automaticallyAcceptUnknownCertificate: true });
  const server = new ua.OPCUAServer({
    port: opts.port,
    hostname: opts.host,
    serverCertificateManager,
    securityPolicies: [ua.SecurityPolicy.None],
    securityModes: [ua.MessageSecurityMode.None],
    allowAnonymous: true,
    buildInfo: { productName: 'ChillCo chiller skid (testbed)' },
  });
  await server.initialize();
  const ns = server.engine.addressSpace!.getOwnNamespace();
  const state = { setpoint: 18, mode: 1 };
  const writes: ChillerOpcua['writes'] = [];
  const chiller = ns.addObject({ organizedBy: server.engine.addressSpace!.rootFolder.objects, browseName: 'Chiller', nodeId: 's=Chiller' });
  ns.addVariable({
    componentOf: chiller, browseName: 'Setpoint', nodeId: 's=Chiller.Setpoint', dataType: 'Double',
    value: {
      get: () => new ua.Variant({ dataType: ua.DataType.Double, value: state.setpoint }),
      set: (v: InstanceType<typeof ua.Variant>) => {
        writes.push({ node: 'ns=2;s=Chiller.Setpoint', value: v.value });
        state.setpoint = v.value as number;
        return ua.StatusCodes.Good;
      },
    },
  });
  ns.addVariable({
    componentOf: chiller, browseName: 'Mode', nodeId: 's=Chiller.Mode', dataType: 'Int32',
    value: {
      get: () => new ua.Variant({ dataType: ua.DataType.Int32, value: state.mode }),
      set: (v: InstanceType<typeof ua.Variant>) => {
        writes.push({ node: 'ns=2;s=Chiller.Mode', value: v.value });
        state.mode = v.value as number;
        return ua.StatusCodes.Good;
      },
    },
  });
  await server.start();
  return {
    port: opts.port,
    setpoint: () => state.setpoint,
    writes,
    close: async () => {
      await server.shutdown(0);
      await serverCertificateManager.dispose();
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
