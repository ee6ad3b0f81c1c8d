/**
 * Demo act — OPC UA, SCADA (level 2) → the chiller skid's OPC UA server (level 1) through the
 * gateway. scada-1 reads the chiller and adjusts its setpoint within the envelope; then its
 * session is hijacked and tries what the scenario's attacker does: a 60 °C setpoint, a write
 * outside the allowlist, a forbidden method. An anonymous session is refused too. Every outcome
 * is checked at the server itself (scripts/testbed/chiller-opcua.ts).
 *
 * node-opcua is loaded lazily (the CLI does not pay for it otherwise); the client's PKI lives in
 * a temp dir, and node-opcua's console chatter is kept out of the demo output.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { ClientSession, OPCUAClient } from 'node-opcua';
import { CHILLER_NODES as N, CHILLER_USER, startChillerOpcua, type ChillerOpcua } from '../../scripts/testbed/chiller-opcua';
import type { ActResult } from './modbus-act';
import { clientLine, heading, say } from './printer';

export interface OpcuaActTarget {
  readonly gateway: { host: string; port: number };
  readonly chiller: ChillerOpcua;
  /** scada-1's source address. */
  readonly scada: string;
}

type UA = typeof import('node-opcua');

/**
 * node-opcua has no option for the client's source address, and the gateway tells clients apart
 * by it (as on the plant network). While the act runs, connections to the gateway's address
 * leave from scada-1's loopback address; everything else is untouched.
 */
function bindSource(to: { host: string; port: number }, localAddress: string): () => void {
  const original = net.createConnection;
  const patched = function (this: unknown, ...args: unknown[]) {
    const o = args[0];
    if (o !== null && typeof o === 'object' && (o as net.TcpNetConnectOpts).host === to.host && Number((o as net.TcpNetConnectOpts).port) === to.port) {
      args[0] = { ...(o as net.TcpNetConnectOpts), localAddress };
    }
    return (original as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof net.createConnection;
  net.createConnection = patched;
  return () => {
    if (net.createConnection === patched) net.createConnection = original;
  };
}

/** node-opcua logs through console.*; the demo's own lines go to stdout directly. */
function quietConsole(): () => void {
  const saved = { log: console.log, info: console.info, warn: console.warn, error: console.error, debug: console.debug };
  const mute = () => undefined;
  Object.assign(console, { log: mute, info: mute, warn: mute, error: mute, debug: mute });
  return () => Object.assign(console, saved);
}

/**
 * The chiller skid's OPC UA server for the demo, started and stopped without node-opcua's
 * console output. It also offers Basic256Sha256 so that its None endpoint carries a username
 * token policy: the password then travels encrypted with the server's certificate even though
 * the channel itself is SecurityMode None (OPC 10000-4 §7.36.4, UserNameIdentityToken).
 */
export async function startDemoChiller(host: string, port: number): Promise<ChillerOpcua> {
  const restore = quietConsole();
  try {
    const chiller = await startChillerOpcua({ host, port, secure: true });
    return {
      ...chiller,
      close: async () => {
        const r = quietConsole();
        try {
          await chiller.close();
        } finally {
          r();
        }
      },
    };
  } finally {
    restore();
  }
}

const statusOf = (err: unknown): string => {
  const m = /Bad[A-Za-z]+/.exec(err instanceof Error ? err.message : String(err));
  return m ? m[0] : (err instanceof Error ? err.message.split('\n')[0]! : String(err));
};

export async function runOpcuaAct(t: OpcuaActTarget, settle: () => Promise<void>): Promise<ActResult> {
  const checks: ActResult['checks'] = [];
  const check = (what: string, ok: boolean) => checks.push({ what, ok });
  const ua: UA = await import('node-opcua');
  const pkiDir = mkdtempSync(path.join(os.tmpdir(), 'otgate-demo-scada-pki-'));
  const restoreConsole = quietConsole();
  const restoreNet = bindSource(t.gateway, t.scada);
  const clientCertificateManager = new ua.OPCUACertificateManager({ rootFolder: path.join(pkiDir, 'pki'), automaticallyAcceptUnknownCertificate: true });
  const url = `opc.tcp://${t.gateway.host}:${t.gateway.port}`;
  const newClient = (): OPCUAClient =>
    ua.OPCUAClient.create({
      applicationName: 'scada-1',
      applicationUri: 'urn:secluded-semi:scada-1',
      endpointMustExist: false,
      // Loopback demo: SecurityMode None so the gateway can judge each service (docs/opcua.md).
      securityMode: ua.MessageSecurityMode.None,
      securityPolicy: ua.SecurityPolicy.None,
      connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
      requestedSessionTimeout: 30_000,
      clientCertificateManager,
    });
  const client = newClient();
  let session: ClientSession | null = null;
  const double = (value: number) => ({ value: { dataType: ua.DataType.Double, value } });
  const write = async (nodeId: string, value: { value: { dataType: number; value: unknown } }): Promise<string> => {
    try {
      return (await session!.write({ nodeId, attributeId: ua.AttributeIds.Value, value })).name;
    } catch (err) {
      return statusOf(err);
    }
  };
  const read = async (nodeId: string): Promise<unknown> => (await session!.read({ nodeId, attributeId: ua.AttributeIds.Value })).value.value;
  const refused = (s: string) => s === 'BadUserAccessDenied';

  try {
    heading('OPC UA · scada-1 reads and adjusts the chiller skid (level 2 → 1)');
    say(`  gateway conduit scada-chiller-opcua ${t.gateway.host}:${t.gateway.port} → chiller-opcua ${t.chiller.host}:${t.chiller.port}`);
    await client.connect(url);
    session = await client.createSession({ type: ua.UserTokenType.UserName, userName: CHILLER_USER.userName, password: CHILLER_USER.password });
    clientLine('scada-1', `session as "${CHILLER_USER.userName}" (SecurityMode None, loopback)`, 'activated', true);
    await settle();
    const temp = await read(N.temperature);
    const sp = await read(N.setpoint);
    clientLine('scada-1', 'Read Chiller.Temperature, Chiller.Setpoint', `${String(temp)} °C, ${String(sp)} °C`, true);
    check('OPC UA reads through the gateway return what the server holds', temp === t.chiller.temperature() && sp === t.chiller.setpoint());
    await settle();
    const w1 = await write(N.setpoint, double(18.5));
    clientLine('scada-1', 'Write Chiller.Setpoint = 18.5 °C (envelope 5..25)', w1 === 'Good' ? 'accepted' : w1, w1 === 'Good');
    check('allowed OPC UA setpoint write reached the server (18.5 °C)', t.chiller.setpoint() === 18.5);
    await settle();

    heading('OPC UA · the SCADA session is hijacked');
    const w2 = await write(N.setpoint, double(60));
    clientLine('scada-1', 'Write Chiller.Setpoint = 60 °C', refused(w2) ? `refused: ${w2}` : `${w2}?!`, refused(w2));
    await settle();
    check('server setpoint unchanged by the 60 °C OPC UA write', t.chiller.setpoint() === 18.5);
    const label = t.chiller.label();
    const w3 = await write(N.label, { value: { dataType: ua.DataType.String, value: 'pwned' } });
    clientLine('scada-1', 'Write Chiller.Label (not in the write allowlist)', refused(w3) ? `refused: ${w3}` : `${w3}?!`, refused(w3));
    await settle();
    check('node outside the write allowlist unchanged at the server', t.chiller.label() === label && refused(w3));
    let purge: string;
    try {
      purge = (await session.call({ objectId: N.object, methodId: N.purge, inputArguments: [] })).statusCode.name;
    } catch (err) {
      purge = statusOf(err);
    }
    clientLine('scada-1', 'Call Chiller.Purge (only ResetAlarm is allowed)', refused(purge) ? `refused: ${purge}` : `${purge}?!`, refused(purge));
    await settle();
    check('forbidden method refused and never ran at the server', refused(purge) && t.chiller.purgeCount() === 0);
    const reset = (await session.call({ objectId: N.object, methodId: N.resetAlarm, inputArguments: [] })).statusCode.name;
    const still = await read(N.setpoint);
    clientLine('scada-1', 'Call Chiller.ResetAlarm, then Read Chiller.Setpoint', `${reset}, ${String(still)} °C (session still usable)`, reset === 'Good' && still === 18.5);
    check('allowed method ran once and the session survived the refusals', t.chiller.resetCount() === 1 && still === 18.5);
    await settle();
    await session.close().catch(() => undefined);
    session = null;
    await client.disconnect();

    // The conduit accepts username sessions only (identities: [username]).
    const anon = newClient();
    let anonymous: string;
    try {
      await anon.connect(url);
      const s = await anon.createSession();
      anonymous = 'activated';
      await s.close().catch(() => undefined);
    } catch (err) {
      anonymous = statusOf(err);
    } finally {
      await anon.disconnect().catch(() => undefined);
    }
    clientLine('scada-1', 'anonymous session (the conduit wants username)', refused(anonymous) ? `refused: ${anonymous}` : `${anonymous}?!`, refused(anonymous));
    check('anonymous OPC UA session refused at ActivateSession', refused(anonymous));
    await settle();
    const rogue = t.chiller.writes.filter((w) => w.value === 60 || w.node === N.label);
    say(`  server write log: ${t.chiller.writes.map((w) => `${w.node.replace('ns=2;s=', '')}=${String(w.value)}`).join(', ') || 'empty'}`);
    check('no rogue OPC UA write reached the server', rogue.length === 0);
  } catch (err) {
    clientLine('scada-1', 'OPC UA act', `failed: ${statusOf(err)}`, false);
    check('OPC UA act ran to the end', false);
  } finally {
    if (session !== null) await session.close().catch(() => undefined);
    await client.disconnect().catch(() => undefined);
    await clientCertificateManager.dispose().catch(() => undefined);
    restoreNet();
    restoreConsole();
    rmSync(pkiDir, { recursive: true, force: true });
  }
  return { checks };
}
