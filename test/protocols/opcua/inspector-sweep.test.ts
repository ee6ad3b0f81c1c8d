/**
 * Discovery sweeps through the real inspector (fake ActionSink, controllable clock): denied
 * Browse/Read requests piling up, many distinct denied NodeIds, repeated GetEndpoints, Server
 * object reads — each becomes one named anomaly per connection and window, with its technique,
 * while the refusals themselves go on as before.
 */
import path from 'node:path';
import { encodeExpandedNodeId } from 'node-opcua-basic-types';
import { BinaryStream } from 'node-opcua-binary-stream';
import type { BaseUAObject } from 'node-opcua-factory';
import { NodeId } from 'node-opcua-nodeid';
import { BrowseRequest, GetEndpointsRequest, ReadRequest } from 'node-opcua-types';
import { createOpcuaInspector } from '../../../daemon/pipeline/opcua-inspector';
import { frameChunk, parseSecureChunk } from '../../../protocols/opcua';
import { compileOpcuaConduit } from '../../../rules/matchers/opcua';
import { harness, type Harness } from '../../helpers/pipeline-harness';
import { loadHex } from '../../helpers/opcua-hex';
import { compileText } from '../../rules/helpers';

const blocks = loadHex(path.join(__dirname, 'fixtures', 'session-none.hex'));
const block = (title: string) => blocks.find((b) => b.title === title)!.bytes;

function policy(sweep: string) {
  return compileText(`
version: 1
site: sweep-test
zones:
  - { name: supervisory, level: 2, networks: [127.0.20.0/24] }
  - { name: control,     level: 1, networks: [127.0.10.0/24] }
assets:
  - { name: scada-1,       zone: supervisory, address: 127.0.20.10 }
  - { name: chiller-opcua, zone: control,     address: 127.0.10.22 }
conduits:
  - name: scada-chiller-opcua
    from_zone: supervisory
    to_zone: control
    protocol: opcua
    listen: 127.0.20.1:24840
    upstream: { asset: chiller-opcua, port: 4840 }
    limits: { max_pending_requests: 64 }
${sweep}
    rules:
      - name: scada-browse-read
        clients: [scada-1]
        opcua:
          services: [discovery, session, browse, read]
          browse: ["ns=2;s=Chiller*"]
          read: ["ns=2;s=Chiller.*"]
`);
}

/** The client's secure channel, as the recorded session opened it. */
const opn = (() => {
  const f = frameChunk(block('c2s OPNF'), 0, 1 << 20);
  if (f.kind !== 'frame') throw new Error('fixture');
  const p = parseSecureChunk(f.frame, true);
  if (!p.ok) throw new Error('fixture');
  return p.chunk;
})();
/** SecureChannelId the server assigned in its OPN response (OPC 10000-6 §6.7.2.2: bytes 8..11). */
const channelId = block('s2c OPNF').readUInt32LE(8);

/** A MSG final chunk on the recorded channel (OPC 10000-6 §6.7.2: header, channel, token, sequence header, body). */
function msg(body: BaseUAObject, seq: number, requestId: number): Buffer {
  const typeId = (body.constructor as unknown as { encodingDefaultBinary: Parameters<typeof encodeExpandedNodeId>[0] }).encodingDefaultBinary;
  const s = new BinaryStream(Buffer.alloc(24 + body.binaryStoreSize() + 64));
  for (const c of 'MSGF') s.writeUInt8(c.charCodeAt(0));
  s.writeUInt32(0);
  s.writeUInt32(channelId);
  s.writeUInt32(1); // token id (policy None: not checked by either side's decoder here)
  s.writeUInt32(seq);
  s.writeUInt32(requestId);
  encodeExpandedNodeId(typeId, s);
  body.encode(s);
  const out = Buffer.from(s.buffer.subarray(0, s.length));
  out.writeUInt32LE(out.length, 4);
  return out;
}

class Client {
  seq = opn.sequence!.sequenceNumber;
  rid = 100;
  handle = 1;
  constructor(readonly h: Harness) {
    for (const t of ['c2s HELF', 's2c ACKF', 'c2s OPNF', 's2c OPNF']) h.inspector.feed(t.startsWith('c2s') ? 'c2s' : 's2c', block(t));
  }
  private header() {
    return { requestHandle: this.handle++, timeoutHint: 5000 };
  }
  send(body: BaseUAObject): void {
    this.h.inspector.feed('c2s', msg(body, ++this.seq, ++this.rid));
  }
  browse(...nodes: string[]) {
    this.send(new BrowseRequest({ requestHeader: this.header(), nodesToBrowse: nodes.map((n) => ({ nodeId: NodeId.resolveNodeId(n), referenceTypeId: 'i=33', includeSubtypes: true, resultMask: 63 })) }));
  }
  read(...nodes: string[]) {
    this.send(new ReadRequest({ requestHeader: this.header(), nodesToRead: nodes.map((n) => ({ nodeId: NodeId.resolveNodeId(n), attributeId: 13 })) }));
  }
  getEndpoints() {
    this.send(new GetEndpointsRequest({ requestHeader: this.header(), endpointUrl: 'opc.tcp://127.0.10.22:4840' }));
  }
}

function connect(sweep = '', clockStart = 1_700_000_000_000): Client {
  const h = harness(createOpcuaInspector, policy(sweep), {
    protocol: 'opcua', conduit: 'scada-chiller-opcua', client: { ip: '127.0.20.10', port: 40000 }, server: { ip: '127.0.10.22', port: 4840 },
  });
  h.clock = clockStart;
  return new Client(h);
}

const sweeps = (h: Harness) => h.events.filter((e) => e.anomaly !== null && e.anomaly.endsWith('_sweep'));
const refusals = (h: Harness) => h.events.filter((e) => e.verdict === 'deny' && e.action === 'refused');

describe('OPC UA inspector: discovery sweeps', () => {
  it('the fixture replays cleanly (no anomalies before any sweep)', () => {
    const c = connect();
    expect(c.h.events.filter((e) => e.anomaly !== null)).toEqual([]);
    expect(c.h.closed).toBeNull();
  });

  it("an allowed request's event is recorded after the request was forwarded", () => {
    const c = connect();
    const forwardedWhenRecorded: number[] = [];
    const push = c.h.events.push.bind(c.h.events);
    c.h.events.push = (...e) => {
      forwardedWhenRecorded.push(c.h.forwarded.c2s.length);
      return push(...e);
    };
    const before = c.h.forwarded.c2s.length;
    c.read('ns=2;s=Chiller.Temperature');
    expect(c.h.forwarded.c2s).toHaveLength(before + 1);
    expect(forwardedWhenRecorded).toEqual([before + 1]); // the old order recorded with `before` forwarded
    expect(c.h.events.at(-1)).toMatchObject({ verdict: 'allow', action: 'forwarded' });
  });

  it('more denied Browse requests than max_denied in a window: one browse_sweep (T0861), refusals continue', () => {
    const c = connect('    opcua: { sweep: { window_s: 60, max_denied: 10 } }');
    for (let i = 0; i < 10; i++) c.browse(`ns=3;s=Hidden.${i % 3}`);
    expect(sweeps(c.h)).toEqual([]);
    c.browse('ns=3;s=Hidden.0'); // the 11th
    expect(sweeps(c.h)).toHaveLength(1);
    for (let i = 0; i < 20; i++) c.browse('ns=3;s=Hidden.1');
    expect(sweeps(c.h)).toHaveLength(1); // once per window, not per frame
    expect(sweeps(c.h)[0]).toMatchObject({ anomaly: 'opcua.browse_sweep', technique: 'T0861', action: 'refused', clientAsset: 'scada-1', conduit: 'scada-chiller-opcua' });
    expect(refusals(c.h)).toHaveLength(31);
    expect(c.h.replies.c2s).toHaveLength(31); // every one answered with a ServiceFault
    expect(c.h.forwarded.c2s.filter((b) => b.toString('latin1', 0, 3) === 'MSG')).toHaveLength(0);
    expect(c.h.violations.filter((e) => e.anomaly === 'opcua.browse_sweep')).toHaveLength(1);

    c.h.clock += 60_000; // next window
    for (let i = 0; i < 11; i++) c.browse('ns=3;s=Hidden.2');
    expect(sweeps(c.h)).toHaveLength(2);
    expect(c.h.closed).toBeNull();
  });

  it('allowed Browse and Read never count', () => {
    const c = connect('    opcua: { sweep: { max_denied: 2, max_denied_nodes: 2 } }');
    for (let i = 0; i < 30; i++) c.browse('ns=2;s=Chiller');
    for (let i = 0; i < 30; i++) c.read('ns=2;s=Chiller.Setpoint', 'ns=2;s=Chiller.Temperature', 'ns=2;s=Chiller.Mode');
    expect(sweeps(c.h)).toEqual([]);
    expect(refusals(c.h)).toEqual([]);
  });

  it('many distinct denied NodeIds in few requests: browse_sweep by max_denied_nodes', () => {
    const c = connect('    opcua: { sweep: { max_denied: 100, max_denied_nodes: 8 } }');
    c.read('ns=3;s=A', 'ns=3;s=B', 'ns=3;s=C', 'ns=3;s=D');
    c.browse('ns=3;s=E', 'ns=3;s=F', 'ns=3;s=G', 'ns=3;s=H');
    expect(sweeps(c.h)).toEqual([]);
    c.read('ns=3;s=I');
    expect(sweeps(c.h).map((e) => [e.anomaly, e.technique])).toEqual([['opcua.browse_sweep', 'T0861']]);
  });

  it('repeated GetEndpoints on one channel: discovery_sweep (T0846), still forwarded', () => {
    const c = connect('    opcua: { sweep: { max_discovery: 3 } }');
    for (let i = 0; i < 6; i++) c.getEndpoints();
    expect(sweeps(c.h).map((e) => [e.anomaly, e.technique, e.action])).toEqual([['opcua.discovery_sweep', 'T0846', 'forwarded']]);
    expect(c.h.forwarded.c2s.filter((b) => b.toString('latin1', 0, 3) === 'MSG')).toHaveLength(6);
  });

  it('denied Reads of Server object nodes: server_info_sweep (T0888)', () => {
    const c = connect('    opcua: { sweep: { max_denied: 3 } }');
    for (const n of ['i=2256', 'i=2258', 'i=2261', 'i=2262', 'i=2263']) c.read(n);
    expect(sweeps(c.h).map((e) => [e.anomaly, e.technique])).toEqual([['opcua.server_info_sweep', 'T0888']]);
  });

  it('defaults apply without conduit options (10 denied requests per minute)', () => {
    expect(compileOpcuaConduit(undefined).sweep).toEqual({ windowMs: 60_000, maxDiscovery: 5, maxDenied: 10, maxDeniedNodes: 32 });
    expect(compileOpcuaConduit({ sweep: { window_s: 5 } }).sweep).toEqual({ windowMs: 5000, maxDiscovery: 5, maxDenied: 10, maxDeniedNodes: 32 });
    const c = connect();
    for (let i = 0; i < 11; i++) c.browse('ns=3;s=X');
    expect(sweeps(c.h)).toHaveLength(1);
  });
});
