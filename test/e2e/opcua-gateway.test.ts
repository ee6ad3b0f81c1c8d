/**
 * End to end: a real node-opcua client → the spawned otgate daemon → a real node-opcua server
 * (the chiller skid, ns=2 "Chiller"). Outcomes are checked at the server and in the audit store.
 */
import { AttributeIds, DataType, MessageSecurityMode, SecurityPolicy, StatusCodes, type ClientSession } from 'node-opcua';
import { AuditStore } from '../../daemon/audit/store';
import { startGateway, type Gateway } from '../helpers/gateway';
import { CHILLER, clientIdentity, freePort, makeClient, startChillerServer, thumbprintOf, withSession, type ChillerServer, type ClientIdentity } from '../helpers/opcua-peers';
import { eventually } from '../helpers/wait';

const GW_HOST = '127.0.21.1';
const SERVER_HOST = '127.0.10.22';

function policy(listenPort: number, serverPort: number, allowedThumbprint: string): string {
  return `
version: 1
site: e2e-opcua
defaults: { mode: enforce, audit: { allowed: all } }
zones:
  - { name: supervisory, level: 2, networks: [127.0.0.0/24] }
  - { name: control, level: 1, networks: [127.0.10.0/24] }
assets:
  - { name: scada-1, zone: supervisory, address: 127.0.0.1 }
  - { name: chiller-opcua, zone: control, address: ${SERVER_HOST}, safety_critical: true }
conduits:
  - name: scada-chiller-opcua
    from_zone: supervisory
    to_zone: control
    protocol: opcua
    listen: ${GW_HOST}:${listenPort}
    upstream: { asset: chiller-opcua, port: ${serverPort} }
    limits: { max_frame_bytes: 2097152 }
    rules:
      - name: scada-chiller-none
        clients: [scada-1]
        opcua:
          security: { policies: [None], modes: [None] }
          identities: [anonymous, username]
          services: [discovery, session, browse, read, write, call, subscribe]
          browse: ["i=*", "ns=2;*"]
          read: ["i=*", "ns=2;s=Chiller.*"]
          write:
            - { node: "ns=2;s=Chiller.Setpoint", min: 5, max: 25 }
            - "ns=2;s=Chiller.Mode"
            - "ns=2;s=Chiller.Label"
          call:
            - { object: "ns=2;s=Chiller", method: "ns=2;s=Chiller.ResetAlarm" }
      - name: scada-chiller-secure
        clients: [scada-1]
        opcua:
          security: { policies: [Basic256Sha256], modes: [SignAndEncrypt] }
          certificates: ["${allowedThumbprint}"]
          services: [session, browse, read]
          read: ["ns=2;s=Chiller.*"]
`;
}

describe('OPC UA through the spawned gateway', () => {
  let server: ChillerServer;
  let gw: Gateway;
  let url: string;
  let scada: ClientIdentity;
  let rogue: ClientIdentity;

  beforeAll(async () => {
    server = await startChillerServer({ host: SERVER_HOST, secure: true });
    scada = await clientIdentity('scada-1');
    rogue = await clientIdentity('rogue');
    const port = await freePort(GW_HOST);
    gw = await startGateway({ policy: policy(port, server.port, thumbprintOf(scada)) });
    url = `opc.tcp://${GW_HOST}:${port}`;
  });

  afterAll(async () => {
    await gw?.stop();
    gw?.remove();
    await server?.close();
    await scada?.dispose();
    await rogue?.dispose();
  });

  const rows = (q: Parameters<AuditStore['query']>[0]) => {
    const store = AuditStore.open(gw.dbFile);
    try {
      return store.query(q);
    } finally {
      store.close();
    }
  };

  const readValue = async (s: ClientSession, nodeId: string) => (await s.read({ nodeId, attributeId: AttributeIds.Value })).value.value as unknown;
  const failure = async (p: Promise<unknown>): Promise<string> => {
    try {
      const r = await p;
      return `resolved ${JSON.stringify(r)}`;
    } catch (err) {
      return (err as Error).message;
    }
  };

  test('GetEndpoints, sessions, Browse and Read return what the server holds', async () => {
    const client = makeClient(scada);
    await client.connect(url);
    const endpoints = await client.getEndpoints();
    expect(endpoints.length).toBeGreaterThan(0);
    await client.disconnect();
    await withSession(makeClient(scada), url, async (s) => {
      const br = await s.browse(CHILLER.object);
      expect(br.statusCode).toBe(StatusCodes.Good);
      expect(br.references!.map((r) => r.browseName.name)).toEqual(expect.arrayContaining(['Setpoint', 'Mode', 'Temperature', 'ResetAlarm']));
      expect(await readValue(s, CHILLER.setpoint)).toBe(server.setpoint());
      expect(await readValue(s, CHILLER.temperature)).toBe(17.5);
    });
    const ev = await eventually(() => rows({ proto: 'opcua', verdict: 'allow' }).find((e) => e.summary.startsWith('ReadRequest')));
    expect(ev).toMatchObject({ conduit: 'scada-chiller-opcua', clientAsset: 'scada-1', serverAsset: 'chiller-opcua', action: 'forwarded' });
  });

  test('a denied Write gets Bad_UserAccessDenied, the server value is unchanged, and the session stays usable', async () => {
    await withSession(makeClient(scada), url, async (s) => {
      await s.write({ nodeId: CHILLER.setpoint, attributeId: AttributeIds.Value, value: { value: { dataType: DataType.Double, value: 21 } } });
      expect(server.setpoint()).toBe(21);
      // Outside the 5..25 envelope.
      expect(await failure(s.write({ nodeId: CHILLER.setpoint, attributeId: AttributeIds.Value, value: { value: { dataType: DataType.Double, value: 60 } } }))).toMatch(/BadUserAccessDenied/);
      expect(server.setpoint()).toBe(21);
      // A node outside the write allowlist, mixed with an allowed one: denied whole.
      expect(await failure(s.write([
        { nodeId: CHILLER.mode, attributeId: AttributeIds.Value, value: { value: { dataType: DataType.Int32, value: 3 } } },
        { nodeId: CHILLER.temperature, attributeId: AttributeIds.Value, value: { value: { dataType: DataType.Double, value: 99 } } },
      ]))).toMatch(/BadUserAccessDenied/);
      expect(server.mode()).toBe(1);
      // Renumbered sequence numbers: both stacks accept what follows.
      expect(await readValue(s, CHILLER.setpoint)).toBe(21);
      await s.write({ nodeId: CHILLER.mode, attributeId: AttributeIds.Value, value: { value: { dataType: DataType.Int32, value: 2 } } });
      expect(server.mode()).toBe(2);
    });
    const denied = await eventually(() => {
      const r = rows({ proto: 'opcua', verdict: 'deny' }).filter((e) => e.summary.includes('Chiller.Setpoint = 60'));
      return r.length > 0 && r;
    });
    expect(denied[0]).toMatchObject({ action: 'refused', reason: 'opcua_value_out_of_range', technique: 'T0836', rule: 'scada-chiller-none' });
  });

  test('a denied Call gets Bad_UserAccessDenied and never runs; an allowed one does', async () => {
    await withSession(makeClient(scada), url, async (s) => {
      expect(await failure(s.call({ objectId: CHILLER.object, methodId: CHILLER.purge, inputArguments: [] }))).toMatch(/BadUserAccessDenied/);
      expect(server.purgeCount()).toBe(0);
      const ok = await s.call({ objectId: CHILLER.object, methodId: CHILLER.resetAlarm, inputArguments: [] });
      expect(ok.statusCode).toBe(StatusCodes.Good);
      expect(server.resetCount()).toBe(1);
    });
    const ev = await eventually(() => rows({ proto: 'opcua', verdict: 'deny' }).find((e) => e.summary.includes('Chiller.Purge')));
    expect(ev).toMatchObject({ reason: 'opcua_node_not_allowed', technique: 'T0855' });
  });

  test('a large multi-chunk Write and Read decode and pass intact', async () => {
    const big = 'wafer-lot-'.repeat(30_000); // 300 KB: several chunks each way
    await withSession(makeClient(scada, { transportSettings: { maxChunkCount: 0, receiveBufferSize: 65536, sendBufferSize: 65536 } }), url, async (s) => {
      const st = await s.write({ nodeId: CHILLER.label, attributeId: AttributeIds.Value, value: { value: { dataType: DataType.String, value: big } } });
      expect(st).toBe(StatusCodes.Good);
      expect(server.label()).toBe(big);
      expect(await readValue(s, CHILLER.label)).toBe(big);
    });
    const ev = await eventually(() => rows({ proto: 'opcua', verdict: 'allow' }).find((e) => e.summary.startsWith('WriteRequest ns=2;s=Chiller.Label')));
    expect(ev.anomaly).toBeNull();
  });

  test('SignAndEncrypt: an unknown client certificate is refused, the allowed one passes', async () => {
    const secure = { securityMode: MessageSecurityMode.SignAndEncrypt, securityPolicy: SecurityPolicy.Basic256Sha256 };
    const refused = await failure(withSession(makeClient(rogue, secure), url, async (s) => readValue(s, CHILLER.setpoint)));
    expect(refused).not.toMatch(/^resolved/);
    const value = await withSession(makeClient(scada, secure), url, async (s) => readValue(s, CHILLER.setpoint));
    expect(value).toBe(server.setpoint());
    const ev = await eventually(() => rows({ proto: 'opcua', verdict: 'deny' }).find((e) => e.reason === 'opcua_certificate_not_allowed'));
    expect(ev).toMatchObject({ action: 'closed', technique: 'T0886' });
    expect(ev.summary).toContain(thumbprintOf(rogue));
  });
});
