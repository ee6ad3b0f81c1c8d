/**
 * The one boundary to node-opcua's codecs (pinned 2.182.x; some of these APIs are marked
 * internal upstream). Everything here turns node-opcua throws into values: callers never see an
 * exception from wire input. No OPC UA type is decoded by hand in otgate.
 */
import { decodeExpandedNodeId, encodeExpandedNodeId } from 'node-opcua-basic-types';
import { BinaryStream } from 'node-opcua-binary-stream';
import { getStandardDataTypeFactory, type BaseUAObject } from 'node-opcua-factory';
import { AsymmetricAlgorithmSecurityHeader, SymmetricAlgorithmSecurityHeader } from 'node-opcua-service-secure-channel';
import { getStatusCodeFromCode, StatusCodes, type StatusCode } from 'node-opcua-status-code';
import { AcknowledgeMessage, HelloMessage, ReverseHelloMessage, TCPErrorMessage, packTcpMessage } from 'node-opcua-transport';
import { ServiceFault } from 'node-opcua-types';
import type { ExpandedNodeId } from 'node-opcua-nodeid';
import type { ConnectionFrame, ConnectionMsgType } from './types';

export type Decoded<T> = { ok: true; value: T } | { ok: false; why: string };

const fail = (err: unknown): { ok: false; why: string } => ({ ok: false, why: err instanceof Error ? err.message.split('\n')[0]!.slice(0, 200) : String(err) });

/** A stream over a view; node-opcua's readers throw past the end, which we catch. */
export const streamOf = (b: Buffer): BinaryStream => new BinaryStream(b);

/** HEL / ACK / ERR / RHE bodies (after the 8-byte header): OPC 10000-6 §7.1.2.3–§7.1.2.6. */
export function decodeConnectionBody(type: ConnectionMsgType, body: Buffer): Decoded<ConnectionFrame> {
  try {
    const s = streamOf(body);
    switch (type) {
      case 'HEL': {
        const m = new HelloMessage();
        m.decode(s);
        return ok({ kind: 'HEL', ...limitsOf(m), endpointUrl: m.endpointUrl ?? null });
      }
      case 'ACK': {
        const m = new AcknowledgeMessage();
        m.decode(s);
        return ok({ kind: 'ACK', ...limitsOf(m) });
      }
      case 'ERR': {
        const m = new TCPErrorMessage();
        m.decode(s);
        return ok({ kind: 'ERR', statusCode: m.statusCode.value >>> 0, statusName: m.statusCode.name, reason: m.reason ?? null });
      }
      case 'RHE': {
        const m = new ReverseHelloMessage();
        m.decode(s);
        return ok({ kind: 'RHE', serverUri: m.serverUri ?? null, endpointUrl: m.endpointUrl ?? null });
      }
    }
  } catch (err) {
    return fail(err);
  }
}

const ok = <T>(value: T): Decoded<T> => ({ ok: true, value });

function limitsOf(m: HelloMessage | AcknowledgeMessage) {
  return {
    protocolVersion: m.protocolVersion >>> 0,
    receiveBufferSize: m.receiveBufferSize >>> 0,
    sendBufferSize: m.sendBufferSize >>> 0,
    maxMessageSize: m.maxMessageSize >>> 0,
    maxChunkCount: m.maxChunkCount >>> 0,
  };
}

export interface RawAsymmetricHeader {
  readonly securityPolicyUri: string;
  readonly senderCertificate: Buffer | null;
  readonly receiverCertificateThumbprint: Buffer | null;
  /** Bytes the header took. */
  readonly length: number;
}

/** OPC 10000-6 §6.7.2.3 Table 47, starting at `b[0]`. */
export function decodeAsymmetricHeader(b: Buffer): Decoded<RawAsymmetricHeader> {
  try {
    const s = streamOf(b);
    const h = new AsymmetricAlgorithmSecurityHeader();
    h.decode(s);
    return ok({
      securityPolicyUri: h.securityPolicyUri ?? '',
      senderCertificate: h.senderCertificate && h.senderCertificate.length > 0 ? h.senderCertificate : null,
      receiverCertificateThumbprint: h.receiverCertificateThumbprint && h.receiverCertificateThumbprint.length > 0 ? h.receiverCertificateThumbprint : null,
      length: s.length,
    });
  } catch (err) {
    return fail(err);
  }
}

/** OPC 10000-6 §6.7.2.3 Table 48 (TokenId). */
export function decodeSymmetricHeader(b: Buffer): Decoded<{ tokenId: number; length: number }> {
  try {
    const s = streamOf(b);
    const h = new SymmetricAlgorithmSecurityHeader();
    h.decode(s);
    return ok({ tokenId: h.tokenId >>> 0, length: s.length });
  } catch (err) {
    return fail(err);
  }
}

/** A decoded service body: its encoding type name (e.g. "WriteRequest") and node-opcua's object. */
export interface DecodedBody {
  readonly typeName: string;
  readonly object: BaseUAObject;
}

/**
 * A message body: ExpandedNodeId of the type's DefaultBinary encoding, then the encoded
 * structure (OPC 10000-6 §5.2.9 / §6.7.2.2). `peekTypeName` reads only the type id.
 */
export function decodeBody(body: Buffer): Decoded<DecodedBody> {
  try {
    const s = streamOf(body);
    const id = decodeExpandedNodeId(s);
    const f = getStandardDataTypeFactory();
    if (!f.hasConstructor(id)) return { ok: false, why: `unknown type id ${id.toString()}` };
    const object = f.constructObject(id);
    object.decode(s);
    return ok({ typeName: object.schema.name, object });
  } catch (err) {
    return fail(err);
  }
}

/** The type name a body starts with, without decoding the rest (null when unknown). */
export function peekTypeName(body: Buffer): string | null {
  try {
    const id: ExpandedNodeId = decodeExpandedNodeId(streamOf(body));
    const f = getStandardDataTypeFactory();
    return f.hasConstructor(id) ? f.getConstructor(id)!.name : null;
  } catch {
    return null;
  }
}

export function statusName(code: number): string {
  try {
    return getStatusCodeFromCode(code >>> 0).name;
  } catch {
    return `0x${(code >>> 0).toString(16).padStart(8, '0')}`;
  }
}

export interface ServiceFaultParams {
  readonly channelId: number;
  readonly tokenId: number;
  readonly sequenceNumber: number;
  readonly requestId: number;
  readonly requestHandle: number;
  readonly status?: StatusCode;
  readonly timestamp?: Date;
}

/**
 * A ServiceFault response (OPC 10000-4 §7.33; default Bad_UserAccessDenied) as one MSG final
 * chunk of a SecurityMode None channel: header, channel id, token id, sequence header, body.
 */
export function encodeServiceFaultChunk(p: ServiceFaultParams): Buffer {
  const fault = new ServiceFault({
    responseHeader: {
      requestHandle: p.requestHandle,
      serviceResult: p.status ?? StatusCodes.BadUserAccessDenied,
      timestamp: p.timestamp ?? new Date(0),
    },
  });
  const typeId = ServiceFault.encodingDefaultBinary!;
  const s = new BinaryStream(Buffer.alloc(24 + fault.binaryStoreSize() + 64));
  s.writeUInt8(0x4d); // 'M'
  s.writeUInt8(0x53); // 'S'
  s.writeUInt8(0x47); // 'G'
  s.writeUInt8(0x46); // 'F'
  s.writeUInt32(0); // size, patched below
  s.writeUInt32(p.channelId >>> 0);
  s.writeUInt32(p.tokenId >>> 0);
  s.writeUInt32(p.sequenceNumber >>> 0);
  s.writeUInt32(p.requestId >>> 0);
  encodeExpandedNodeId(typeId, s);
  fault.encode(s);
  const out = Buffer.from(s.buffer.subarray(0, s.length));
  out.writeUInt32LE(out.length, 4);
  return out;
}

/** An ERR message (OPC 10000-6 §7.1.2.5 Table 74): the peer closes after it. */
export function encodeErrorMessage(status: StatusCode, reason: string): Buffer {
  return packTcpMessage('ERR', new TCPErrorMessage({ statusCode: status, reason: reason.slice(0, 4096) }));
}

export { StatusCodes };
