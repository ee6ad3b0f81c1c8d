/**
 * The inspector's sequence renumbering, driven through its ActionSink with the recorded session:
 * a denied Write is answered by the gateway and dropped; what each peer then receives has no
 * sequence gap, and the fault carries the request's id and handle.
 */
import path from 'node:path';
import { createOpcuaInspector } from '../../../daemon/pipeline/opcua-inspector';
import type { ActionSink, DecisionEvent, PipelineEnv } from '../../../daemon/pipeline/contract';
import type { CompiledConduit, CompiledPolicy } from '../../../rules/compiled';
import { compileOpcuaRule } from '../../../rules/matchers/opcua';
import { decodeBody, frameChunk, parseSecureChunk } from '../../../protocols/opcua';
import { loadHex } from '../../helpers/opcua-hex';

const blocks = loadHex(path.join(__dirname, 'fixtures', 'session-none.hex'));

function policy(writeAllowed: boolean): CompiledPolicy {
  const rule = compileOpcuaRule('scada', null, {
    services: ['discovery', 'session', 'browse', 'read', 'write', 'call'],
    browse: ['ns=2;*'], read: ['ns=2;*'], write: writeAllowed ? ['ns=2;*'] : [], call: [{ object: 'ns=2;*', method: 'ns=2;*' }],
  });
  const asset = { name: 'scada-1', zone: 'z', level: 2, address: '127.0.0.1', role: null, vendor: null, safetyCritical: false };
  const conduit = {
    name: 'c', protocol: 'opcua', mode: 'enforce', onViolation: 'refuse',
    limits: { maxConnections: 1, maxConnectionsPerClient: 1, idleTimeoutMs: 1000, maxPendingRequests: 16, requestTimeoutMs: 5000, maxFrameBytes: 1 << 20 },
    rulesFor: () => ({ asset, modbus: [], opcua: [rule] }),
  } as unknown as CompiledConduit;
  return { conduits: new Map([['c', conduit]]), assetByAddress: () => asset } as unknown as CompiledPolicy;
}

function run(writeAllowed: boolean) {
  const out = { toServer: [] as Buffer[], toClient: [] as Buffer[], events: [] as DecisionEvent[], closed: false };
  const p = policy(writeAllowed);
  const env: PipelineEnv = { policy: () => p, now: () => 0, hrnow: () => 0n, record: (e) => out.events.push(e), sampleAllowed: () => false, count: () => undefined, violation: () => undefined };
  const sink: ActionSink = {
    forward: (dir, b) => (dir === 'c2s' ? out.toServer : out.toClient).push(Buffer.from(b)),
    reply: (dir, b) => (dir === 'c2s' ? out.toClient : out.toServer).push(Buffer.from(b)),
    close: () => void (out.closed = true),
  };
  const ins = createOpcuaInspector({ flowId: 'f', conduit: 'c', protocol: 'opcua', client: { ip: '127.0.0.1', port: 1 }, server: { ip: '127.0.0.2', port: 2 }, passive: false }, env, sink);
  // Replay the recorded conversation, but the server never answers a request the gateway dropped.
  // A real server would not have used a sequence number for the response it never sent, so
  // later recorded server chunks are shifted down by the responses skipped (MSG: seq at byte 16).
  let skipResponse = false;
  let skipped = 0;
  for (const b of blocks) {
    if (b.title.startsWith('c2s')) {
      const before = out.toServer.length;
      ins.feed('c2s', b.bytes);
      skipResponse = b.title.includes('Request') && out.toServer.length === before;
    } else if (skipResponse) skipped++;
    else {
      const bytes = Buffer.from(b.bytes);
      if (skipped > 0) bytes.writeUInt32LE(bytes.readUInt32LE(16) - skipped, 16);
      ins.feed('s2c', bytes);
    }
  }
  return out;
}

const seqs = (chunks: Buffer[]) =>
  chunks.filter((c) => c.toString('latin1', 0, 3) !== 'HEL' && c.toString('latin1', 0, 3) !== 'ACK').map((c) => {
    const f = frameChunk(c, 0, 1 << 20);
    if (f.kind !== 'frame') throw new Error('bad');
    const p = parseSecureChunk(f.frame, true);
    if (!p.ok) throw new Error('bad');
    return p.chunk;
  });

describe('OPC UA inspector renumbering (SecurityMode None)', () => {
  it('allowed traffic passes byte for byte', () => {
    const out = run(true);
    expect(Buffer.concat(out.toServer)).toEqual(Buffer.concat(blocks.filter((b) => b.title.startsWith('c2s')).map((b) => b.bytes)));
    expect(Buffer.concat(out.toClient)).toEqual(Buffer.concat(blocks.filter((b) => b.title.startsWith('s2c')).map((b) => b.bytes)));
  });

  it('a denied Write is answered with a ServiceFault and neither peer sees a sequence gap', () => {
    const out = run(false);
    expect(out.closed).toBe(false);
    const toServer = seqs(out.toServer);
    const toClient = seqs(out.toClient);
    expect(toServer.some((c) => decodeBody(c.body).ok && (decodeBody(c.body) as { ok: true; value: { typeName: string } }).value.typeName === 'WriteRequest')).toBe(false);
    for (const list of [toServer, toClient]) {
      for (let i = 1; i < list.length; i++) expect(list[i]!.sequence!.sequenceNumber).toBe(list[i - 1]!.sequence!.sequenceNumber + 1);
    }
    const fault = toClient.find((c) => { const d = decodeBody(c.body); return d.ok && d.value.typeName === 'ServiceFault'; })!;
    const write = seqs(blocks.filter((b) => b.title === 'c2s MSGF WriteRequest').map((b) => b.bytes))[0]!;
    expect(fault.sequence!.requestId).toBe(write.sequence!.requestId);
    expect(fault.channelId).toBe(write.channelId);
    const d = decodeBody(fault.body);
    const handle = (decodeBody(write.body) as unknown as { ok: true; value: { object: { requestHeader: { requestHandle: number } } } }).value.object.requestHeader.requestHandle;
    expect(d.ok && (d.value.object as unknown as { responseHeader: { requestHandle: number } }).responseHeader.requestHandle).toBe(handle);
    expect(out.events.find((e) => e.verdict === 'deny')).toMatchObject({ action: 'refused', reason: 'opcua_node_not_allowed', technique: 'T0855' });
  });
});
