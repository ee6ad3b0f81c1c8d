/**
 * End to end, MQTT over TLS on both sides of the spawned daemon: MQTT.js clients with client
 * certificates → otgate (TLS termination, per-asset certificate allowlist) → TLS → an aedes
 * broker that itself demands the gateway's client certificate. Certificates come from openssl.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { MqttClient } from 'mqtt';
import { AuditStore } from '../../daemon/audit/store';
import { startGateway, type Gateway } from '../helpers/gateway';
import { endClient, freePort } from '../helpers/mqtt-peers';
import { makePki, type CertFiles, type TestPki } from '../helpers/tls-certs';
import { eventually } from '../helpers/wait';

const GW = '127.0.44.1';
const BROKER = '127.0.44.50';
const SENSOR = '127.0.44.101';
const PROBE = '127.0.44.102';
const SCADA = '127.0.44.10';

interface TlsBroker {
  readonly port: number;
  readonly published: { topic: string; client: string }[];
  /** CN of the client certificate each TLS connection to the broker presented. */
  readonly peers: string[];
  close(): Promise<void>;
}

/** aedes behind a TLS listener that requires a client certificate from the CA. */
async function startTlsAedes(pki: TestPki, server: CertFiles): Promise<TlsBroker> {
  const { Aedes } = await import('aedes');
  const broker = await Aedes.createBroker();
  const published: TlsBroker['published'] = [];
  const peers: string[] = [];
  broker.on('publish', (packet: { topic: string }, client: { id: string } | null) => {
    if (client) published.push({ topic: packet.topic, client: client.id });
  });
  const srv = tls.createServer({ cert: server.pem.cert, key: server.pem.key, ca: pki.ca.pem.cert, requestCert: true, rejectUnauthorized: true }, (s) => {
    peers.push(String(s.getPeerCertificate().subject?.CN));
    broker.handle(s as never);
  });
  await new Promise<void>((resolve) => srv.listen(0, BROKER, resolve));
  return {
    port: (srv.address() as net.AddressInfo).port,
    published,
    peers,
    close: () => new Promise<void>((resolve) => {
      srv.close(() => broker.close(() => resolve()));
      setTimeout(resolve, 1000).unref();
    }),
  };
}

/** MQTT.js over TLS from a chosen source address (the gateway identifies the asset by it). */
function tlsClient(localAddress: string, port: number, clientId: string, id: CertFiles | null, ca: Buffer): Promise<MqttClient> {
  const client = new MqttClient(
    () => tls.connect({ socket: net.connect({ host: GW, port, localAddress }), ca, servername: 'gateway.test', ...(id ? { cert: id.pem.cert, key: id.pem.key } : {}) }),
    { protocolVersion: 4, clientId, reconnectPeriod: 0, connectTimeout: 4000 },
  );
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', (e) => {
      client.end(true);
      reject(e);
    });
    client.once('close', () => reject(new Error('closed before CONNACK')));
  });
}

describe('MQTT over TLS through the spawned gateway (termination, client-cert allowlist, origination)', () => {
  let pki: TestPki;
  let broker: TlsBroker;
  let gw: Gateway;
  let port: number;
  let badUpstreamPort: number;
  let certs: Record<'gateway' | 'gatewayClient' | 'broker' | 'pc101' | 'th102' | 'scada' | 'rogue', CertFiles>;
  let policyText: string;
  let sensor: MqttClient | undefined;
  let scada: MqttClient | undefined;
  const received: { topic: string; payload: Buffer }[] = [];

  beforeAll(async () => {
    pki = makePki();
    certs = {
      gateway: pki.leaf('gateway', 'gateway.test', ['DNS:gateway.test', `IP:${GW}`]),
      gatewayClient: pki.leaf('gateway-client', 'otgate-gateway'),
      broker: pki.leaf('broker', 'broker.test', ['DNS:broker.test']),
      pc101: pki.leaf('pc-101', 'pc-101'),
      th102: pki.leaf('th-102', 'th-102'),
      scada: pki.leaf('scada-1', 'scada-1'),
      rogue: pki.selfSigned('rogue', 'pc-101'), // right CN, no CA behind it
    };
    broker = await startTlsAedes(pki, certs.broker);
    port = await freePort(GW);
    badUpstreamPort = await freePort(GW);
    const tlsBlock = (servername: string) => `
    tls:
      listen:
        cert: ${certs.gateway.cert}
        key: ${certs.gateway.key}
        ca: ${pki.ca.cert}
        require_client_cert: true
        client_certs:
          - { asset: pc-101, cn: [pc-101] }
          - { asset: th-102, sha256: ["${certs.th102.sha256.replace(/:/g, '').toLowerCase()}"] }
          - { asset: scada-1, sha256: ["${certs.scada.sha256}"], cn: [scada-1] }
      upstream:
        ca: ${pki.ca.cert}
        cert: ${certs.gatewayClient.cert}
        key: ${certs.gatewayClient.key}
        servername: ${servername}`;
    const rules = `
    rules:
      - name: sensor-telemetry
        clients: [pc-101, th-102]
        mqtt: { publish: ["fab/etch/+/telemetry"], max_qos: 1 }
      - name: scada-read
        clients: [scada-1]
        mqtt: { subscribe: ["fab/+/+/telemetry"] }`;
    policyText = `
version: 1
site: e2e-mqtt-tls
defaults: { mode: enforce, audit: { allowed: all } }
zones:
  - { name: field, level: 0, networks: [127.0.44.0/24] }
assets:
  - { name: pc-101, zone: field, address: ${SENSOR} }
  - { name: th-102, zone: field, address: ${PROBE} }
  - { name: scada-1, zone: field, address: ${SCADA} }
  - { name: mqtt-broker, zone: field, address: ${BROKER} }
conduits:
  - name: mqtt-tls
    from_zone: field
    to_zone: field
    protocol: mqtt
    listen: ${GW}:${port}
    upstream: { asset: mqtt-broker, port: ${broker.port} }${tlsBlock('broker.test')}${rules}
  - name: mqtt-tls-wrong-name
    from_zone: field
    to_zone: field
    protocol: mqtt
    listen: ${GW}:${badUpstreamPort}
    upstream: { asset: mqtt-broker, port: ${broker.port} }${tlsBlock('not-the-broker.test')}${rules}
`;
    gw = await startGateway({ policy: policyText });
  });

  afterAll(async () => {
    await endClient(sensor);
    await endClient(scada);
    await gw?.stop();
    gw?.remove();
    await broker?.close();
    pki?.remove();
  });

  const rows = () => {
    const s = AuditStore.open(gw.dbFile);
    try {
      return s.query({});
    } finally {
      s.close();
    }
  };

  it('an allowed client certificate publishes through the gateway and TLS to the broker, byte-identical', async () => {
    scada = await tlsClient(SCADA, port, 'scada-1', certs.scada, pki.ca.pem.cert);
    scada.on('message', (topic, payload) => received.push({ topic, payload: Buffer.from(payload) }));
    await scada.subscribeAsync('fab/+/+/telemetry', { qos: 1 });
    sensor = await tlsClient(SENSOR, port, 'pc-101', certs.pc101, pki.ca.pem.cert);
    const payload = randomBytes(600);
    await sensor.publishAsync('fab/etch/pc-101/telemetry', payload, { qos: 1 });
    const msg = await eventually(() => received.find((m) => m.topic === 'fab/etch/pc-101/telemetry'));
    expect(msg.payload.equals(payload)).toBe(true);
    expect(broker.published).toContainEqual({ topic: 'fab/etch/pc-101/telemetry', client: 'pc-101' });
    // The broker saw the gateway's own client certificate, not the device's.
    expect(broker.peers).toContain('otgate-gateway');
    expect(broker.peers).not.toContain('pc-101');
  });

  it('a fingerprint pin (lower-case, no colons in the policy) admits its asset', async () => {
    const probe = await tlsClient(PROBE, port, 'th-102', certs.th102, pki.ca.pem.cert);
    await probe.publishAsync('fab/etch/th-102/telemetry', Buffer.from('21.5'), { qos: 1 });
    await eventually(() => received.find((m) => m.topic === 'fab/etch/th-102/telemetry'));
    await endClient(probe);
  });

  const certRefusals = () => rows().filter((e) => e.anomaly === 'gateway.tls_client_cert_not_allowed');

  it('refuses a certificate no CA vouches for (right CN, self-signed) right after the handshake, with an audit event', async () => {
    await expect(tlsClient(SENSOR, port, 'pc-101', certs.rogue, pki.ca.pem.cert)).rejects.toBeDefined();
    const ev = await eventually(() => certRefusals().find((e) => /does not chain/.test(e.summary)));
    expect(ev).toMatchObject({ conduit: 'mqtt-tls', clientAsset: 'pc-101', action: 'closed', proto: 'mqtt', fields: expect.objectContaining({ certCn: 'pc-101', certSha256: certs.rogue.sha256 }) });
    expect(ev.summary).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY/);
  });

  it('closes a CA-signed certificate presented from another asset\'s address', async () => {
    // th-102's genuine certificate, but from pc-101's address: not in pc-101's allowlist.
    await expect(tlsClient(SENSOR, port, 'pc-101', certs.th102, pki.ca.pem.cert)).rejects.toBeDefined();
    const ev = await eventually(() => certRefusals().find((e) => /not in the allowlist of pc-101/.test(e.summary)));
    expect(ev).toMatchObject({ clientAsset: 'pc-101', action: 'closed', fields: expect.objectContaining({ certCn: 'th-102', certSha256: certs.th102.sha256 }) });
    expect(broker.published.filter((p) => p.client === 'pc-101')).toHaveLength(1); // only the first test's publish
  });

  it('refuses a client without a certificate', async () => {
    await expect(tlsClient(SENSOR, port, 'pc-101', null, pki.ca.pem.cert)).rejects.toBeDefined();
    await eventually(() => certRefusals().find((e) => /no client certificate/.test(e.summary)));
  });

  it('plain TCP to a TLS conduit fails and is recorded', async () => {
    const plain = new MqttClient(() => net.createConnection({ host: GW, port, localAddress: SCADA }), { protocolVersion: 4, clientId: 'scada-1', reconnectPeriod: 0, connectTimeout: 4000 });
    const outcome = await new Promise<string>((resolve) => {
      plain.once('connect', () => resolve('connected'));
      plain.once('error', () => resolve('error'));
      plain.once('close', () => resolve('closed'));
    });
    plain.end(true);
    expect(outcome).not.toBe('connected');
    const ev = await eventually(() => rows().find((e) => e.anomaly === 'gateway.tls_handshake_failed' && e.clientAsset === 'scada-1'));
    expect(ev.summary).toMatch(/connection refused/);
  });

  it('an upstream certificate that does not match the configured name closes the client, recorded', async () => {
    await expect(tlsClient(SENSOR, badUpstreamPort, 'pc-101', certs.pc101, pki.ca.pem.cert)).rejects.toBeDefined();
    const ev = await eventually(() => rows().find((e) => e.anomaly === 'gateway.tls_upstream_failed'));
    expect(ev).toMatchObject({ conduit: 'mqtt-tls-wrong-name', clientAsset: 'pc-101' });
    // The good conduit still serves.
    await sensor!.publishAsync('fab/etch/pc-101/telemetry', Buffer.from('still here'), { qos: 1 });
    await eventually(() => received.find((m) => m.payload.toString() === 'still here'));
  });

  it('a reload changes the allowlist for new connections (certificate files re-read); open ones carry on', async () => {
    gw.writePolicy(policyText.replace(/asset: pc-101, cn: \[pc-101\]/g, 'asset: pc-101, cn: [pc-101-replacement]'));
    gw.proc.kill('SIGHUP');
    await gw.waitFor(/policy reloaded/);
    const before = certRefusals().length;
    await expect(tlsClient(SENSOR, port, 'pc-101', certs.pc101, pki.ca.pem.cert)).rejects.toBeDefined();
    await eventually(() => certRefusals().length > before);
    await sensor!.publishAsync('fab/etch/pc-101/telemetry', Buffer.from('open session'), { qos: 1 });
    await eventually(() => received.find((m) => m.payload.toString() === 'open session'));
  });
});
