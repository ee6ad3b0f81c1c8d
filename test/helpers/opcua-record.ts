/**
 * Records a real node-opcua client/server session (SecurityMode None) through a loopback relay
 * and writes it as an annotated hex fixture: one block per chunk, headed by its direction, its
 * type and (for MSG) the service node-opcua decoded. Run after `npm run build`:
 *   node dist/test/helpers/opcua-record.js test/protocols/opcua/fixtures/session-none.hex
 * (the fixture is committed; tests never record).
 */
import { writeFileSync } from 'node:fs';
import { AttributeIds, DataType } from 'node-opcua';
import { BinaryStream } from 'node-opcua-binary-stream';
import { decodeExpandedNodeId } from 'node-opcua-basic-types';
import { getStandardDataTypeFactory } from 'node-opcua-factory';
import { CHILLER, clientIdentity, makeClient, startChillerServer, startRelay, withSession } from './opcua-peers';
import { hexBlock } from './opcua-hex';

/** Split a recorded byte stream into whole chunks (8-byte header, OPC 10000-6 §7.1.2). */
export function splitChunks(stream: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0; off + 8 <= stream.length; ) {
    const size = stream.readUInt32LE(off + 4);
    out.push(stream.subarray(off, off + size));
    off += size;
  }
  return out;
}

function label(chunk: Buffer): string {
  const type = chunk.toString('latin1', 0, 4);
  if (!type.startsWith('MSG')) return type;
  try {
    const s = new BinaryStream(chunk.subarray(24));
    const id = decodeExpandedNodeId(s);
    const f = getStandardDataTypeFactory();
    return `${type} ${f.hasConstructor(id) ? f.constructObject(id).schema.name : id.toString()}`;
  } catch {
    return type;
  }
}

export async function recordChillerSession(): Promise<{ c2s: Buffer[]; s2c: Buffer[]; text: string }> {
  const server = await startChillerServer();
  const relay = await startRelay({ host: '127.0.0.1', port: server.port });
  const id = await clientIdentity('recorder');
  try {
    const client = makeClient(id);
    await withSession(client, `opc.tcp://127.0.0.1:${relay.port}`, async (s) => {
      await s.browse('ns=2;s=Chiller');
      await s.read([{ nodeId: CHILLER.setpoint, attributeId: AttributeIds.Value }, { nodeId: CHILLER.temperature, attributeId: AttributeIds.Value }]);
      await s.write({ nodeId: CHILLER.setpoint, attributeId: AttributeIds.Value, value: { value: { dataType: DataType.Double, value: 19.5 } } });
      await s.call({ objectId: CHILLER.object, methodId: CHILLER.resetAlarm, inputArguments: [] });
    });
  } finally {
    await relay.close();
    await server.close();
    await id.dispose();
  }
  const c2s = splitChunks(Buffer.concat(relay.c2s));
  const s2c = splitChunks(Buffer.concat(relay.s2c));
  // Interleave in request/response order: the session is strictly one request at a time.
  const blocks: string[] = ['# node-opcua 2.182 client <-> server, SecurityMode None, recorded through a loopback relay.'];
  const n = Math.max(c2s.length, s2c.length);
  for (let i = 0; i < n; i++) {
    if (c2s[i]) blocks.push(hexBlock(`c2s ${label(c2s[i]!)}`, c2s[i]!));
    if (s2c[i]) blocks.push(hexBlock(`s2c ${label(s2c[i]!)}`, s2c[i]!));
  }
  return { c2s, s2c, text: blocks.join('\n') + '\n' };
}

if (require.main === module) {
  const out = process.argv[2];
  if (!out) throw new Error('usage: opcua-record <fixture.hex>');
  void recordChillerSession().then((r) => {
    writeFileSync(out, r.text);
    process.exit(0);
  });
}
