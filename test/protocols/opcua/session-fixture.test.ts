/**
 * Decoding a recorded node-opcua session (fixtures/session-none.hex, recorded by
 * test/helpers/opcua-record.ts through a loopback relay) and altered copies of its chunks.
 */
import path from 'node:path';
import {
  OpcuaSession,
  decodeBody,
  encodeServiceFaultChunk,
  frameChunk,
  parseSecureChunk,
  withSequenceNumber,
  messageFields,
  type OpcuaEvent,
} from '../../../protocols/opcua';
import type { Direction } from '../../../protocols/common';
import { loadHex, type HexBlock } from '../../helpers/opcua-hex';

const blocks = loadHex(path.join(__dirname, 'fixtures', 'session-none.hex'));
const dirOf = (b: HexBlock): Direction => (b.title.startsWith('c2s') ? 'c2s' : 's2c');
const opts = { maxMessageBytes: 1 << 20, maxChunkCount: 64, maxPendingRequests: 16, requestTimeoutMs: 5000 };

function run(session: OpcuaSession, list: readonly HexBlock[]): OpcuaEvent[] {
  const out: OpcuaEvent[] = [];
  for (const b of list) {
    const r = session.next(dirOf(b), b.bytes, 0);
    if (r.kind !== 'frame') throw new Error(`${b.title}: ${JSON.stringify(r)}`);
    expect(r.consumed).toBe(b.bytes.length);
    out.push(r.frame);
    if (r.frame.kind === 'chunk' && r.frame.decoded?.service?.kind === 'request') {
      session.track(r.frame.decoded.message.requestId, r.frame.decoded.service, 0);
    }
  }
  return out;
}

const serviceOf = (e: OpcuaEvent) => (e.kind === 'chunk' ? e.decoded?.service ?? null : null);

describe('recorded None-mode session', () => {
  it('decodes every chunk and pairs every response', () => {
    const s = new OpcuaSession(opts);
    const events = run(s, blocks);
    const names = events.map((e) => (e.kind === 'connection' ? e.frame.kind : e.chunk.msgType === 'MSG' ? serviceOf(e)?.typeName : e.chunk.msgType));
    // Labels in the fixture were written by node-opcua itself; ours must agree.
    expect(names).toEqual(blocks.map((b) => b.title.split(' ')[2] ?? b.title.split(' ')[1]!.slice(0, 3)));
    for (const e of events) expect(e.kind === 'chunk' ? e.anomalies : e.anomalies).toEqual([]);
    for (const e of events) if (e.kind === 'chunk' && e.decoded?.service?.kind === 'response' && e.chunk.msgType === 'MSG') expect(e.decoded.request).not.toBeNull();
    expect(s.facts.securityPolicyUri).toBe('http://opcfoundation.org/UA/SecurityPolicy#None');
    expect(s.facts.securityMode).toBe('None');
    expect(s.facts.endpointUrl).toMatch(/^opc\.tcp:\/\/127\.0\.0\.1:\d+$/);
    expect(s.hello?.receiveBufferSize).toBeGreaterThanOrEqual(8192);
  });

  it('extracts NodeIds in standard string form, written values and calls', () => {
    const events = run(new OpcuaSession(opts), blocks);
    const req = (t: string) => events.map(serviceOf).find((x) => x?.typeName === t);
    expect(req('ReadRequest')?.kind === 'request' && req('ReadRequest')).toMatchObject({ action: 'read', nodeIds: ['ns=2;s=Chiller.Setpoint', 'ns=2;s=Chiller.Temperature'] });
    expect(req('WriteRequest')).toMatchObject({ action: 'write', writes: [{ nodeId: 'ns=2;s=Chiller.Setpoint', attributeId: 13, numbers: [19.5], dataType: 'Double' }] });
    expect(req('CallRequest')).toMatchObject({ action: 'call', calls: [{ objectId: 'ns=2;s=Chiller', methodId: 'ns=2;s=Chiller.ResetAlarm' }] });
    expect(req('BrowseRequest')).toMatchObject({ action: 'browse', nodeIds: ['ns=2;s=Chiller'] });
    expect(req('ActivateSessionRequest')).toMatchObject({ identity: 'anonymous' });
    expect(req('WriteResponse')).toMatchObject({ statusName: 'Good' });
  });

  it('gives the documented JSON fields', () => {
    const events = run(new OpcuaSession(opts), blocks);
    const e = events.find((x) => serviceOf(x)?.typeName === 'WriteRequest')!;
    if (e.kind !== 'chunk' || !e.decoded) throw new Error('no write');
    expect(messageFields({ msgType: 'MSG', securityPolicyUri: 'http://opcfoundation.org/UA/SecurityPolicy#None', requestId: e.decoded.message.requestId, encrypted: false }, e.decoded.service)).toMatchObject({
      msgType: 'MSG', securityPolicy: 'None', service: 'WriteRequest', nodeIds: ['ns=2;s=Chiller.Setpoint'], requestId: e.decoded.message.requestId, encrypted: false,
    });
  });
});

describe('altered fixtures', () => {
  const hel = blocks[0]!;
  const write = blocks.find((b) => b.title === 'c2s MSGF WriteRequest')!;

  it('byte 0 "H" → "X": unknown message type, fatal', () => {
    const b = Buffer.from(hel.bytes);
    b[0] = 0x58; // was 0x48 'H'
    expect(frameChunk(b, 0, 65536)).toMatchObject({ kind: 'malformed', fatal: true, anomaly: { code: 'opcua.unknown_message_type' } });
  });

  it('byte 3 "F" → "C" on HEL: connection messages are final only', () => {
    const b = Buffer.from(hel.bytes);
    b[3] = 0x43; // was 0x46 'F'
    expect(frameChunk(b, 0, 65536)).toMatchObject({ kind: 'malformed', anomaly: { code: 'opcua.bad_chunk_type' } });
  });

  it('bytes 4..7 size → 0x7fffffff: rejected at header time, before buffering', () => {
    const b = Buffer.from(write.bytes.subarray(0, 8)); // only the header has arrived
    b.writeUInt32LE(0x7fffffff, 4);
    expect(frameChunk(b, 0, 65536)).toMatchObject({ kind: 'malformed', anomaly: { code: 'opcua.chunk_too_large', family: 'resource' } });
  });

  it('bytes 4..7 size → 12: smaller than its headers', () => {
    const b = Buffer.from(write.bytes);
    b.writeUInt32LE(12, 4);
    expect(frameChunk(b, 0, 65536)).toMatchObject({ kind: 'malformed', anomaly: { code: 'opcua.chunk_too_small' } });
  });

  it('sequence number at byte 16 +5: sequence gap anomaly (still decoded)', () => {
    const i = blocks.indexOf(write);
    const before = blocks.slice(0, i);
    const s = new OpcuaSession(opts);
    run(s, before);
    const b = Buffer.from(write.bytes);
    b.writeUInt32LE(b.readUInt32LE(16) + 5, 16);
    const r = s.next('c2s', b, 0);
    expect(r.kind === 'frame' && r.frame.kind === 'chunk' && r.frame.anomalies.map((a) => a.code)).toEqual(['opcua.sequence_gap']);
    expect(r.kind === 'frame' && r.frame.kind === 'chunk' && r.frame.decoded?.service?.typeName).toBe('WriteRequest');
  });

  it('body truncated by 6 bytes (size patched): bad_body anomaly, never a throw', () => {
    const i = blocks.indexOf(write);
    const s = new OpcuaSession(opts);
    run(s, blocks.slice(0, i));
    const b = Buffer.from(write.bytes.subarray(0, write.bytes.length - 6));
    b.writeUInt32LE(b.length, 4);
    const r = s.next('c2s', b, 0);
    expect(r.kind === 'frame' && r.frame.kind === 'chunk' && r.frame.decoded?.anomaly?.code).toBe('opcua.bad_body');
  });

  it('type id byte 24 changed to an unknown encoding id: bad_body', () => {
    const i = blocks.indexOf(write);
    const s = new OpcuaSession(opts);
    run(s, blocks.slice(0, i));
    const b = Buffer.from(write.bytes);
    b.writeUInt16LE(0xfff0, 26); // four-byte NodeId 01 00 <id LE>: id 673 → 65520
    const r = s.next('c2s', b, 0);
    expect(r.kind === 'frame' && r.frame.kind === 'chunk' && r.frame.decoded?.anomaly?.code).toBe('opcua.bad_body');
  });
});

describe('encoders round trip', () => {
  it('ServiceFault chunk parses back with the given channel, token, sequence, request id and handle', () => {
    const bytes = encodeServiceFaultChunk({ channelId: 7, tokenId: 3, sequenceNumber: 52, requestId: 9, requestHandle: 1234 });
    const f = frameChunk(bytes, 0, 65536);
    if (f.kind !== 'frame') throw new Error('no frame');
    const p = parseSecureChunk(f.frame, true);
    if (!p.ok) throw new Error('no chunk');
    expect(p.chunk).toMatchObject({ msgType: 'MSG', chunkType: 'F', channelId: 7, security: { tokenId: 3 }, sequence: { sequenceNumber: 52, requestId: 9 } });
    const body = decodeBody(p.chunk.body);
    expect(body.ok && body.value.typeName).toBe('ServiceFault');
    const h = body.ok ? (body.value.object as unknown as { responseHeader: { requestHandle: number; serviceResult: { name: string } } }).responseHeader : null;
    expect(h?.requestHandle).toBe(1234);
    expect(h?.serviceResult.name).toBe('BadUserAccessDenied');
  });

  it('renumbering rewrites only the sequence number and re-parses', () => {
    const write = blocks.find((b) => b.title === 'c2s MSGF WriteRequest')!;
    const f = frameChunk(write.bytes, 0, 65536);
    if (f.kind !== 'frame') throw new Error('no frame');
    const p = parseSecureChunk(f.frame, true);
    if (!p.ok) throw new Error('no chunk');
    const out = withSequenceNumber(p.chunk, 4000);
    expect(out.readUInt32LE(16)).toBe(4000);
    expect(Buffer.compare(out.subarray(20), write.bytes.subarray(20))).toBe(0);
    expect(Buffer.compare(out.subarray(0, 16), write.bytes.subarray(0, 16))).toBe(0);
    expect(write.bytes.readUInt32LE(16)).not.toBe(4000); // the input was not mutated
  });
});
