/**
 * OPC UA binary (opc.tcp) frames as otgate sees them. References: OPC 10000-6 §7.1 (UA
 * Connection Protocol: HEL/ACK/ERR/RHE), §6.7 (UA Secure Conversation: OPN/MSG/CLO chunks),
 * OPC 10000-4 (services). Buffers in frames are views of the input (never copied unless said).
 */

export type ConnectionMsgType = 'HEL' | 'ACK' | 'ERR' | 'RHE';
export type SecureMsgType = 'OPN' | 'MSG' | 'CLO';
export type MsgType = ConnectionMsgType | SecureMsgType;
/** OPC 10000-6 §6.7.2.2 Table 46: F final, C intermediate, A abort. */
export type ChunkType = 'F' | 'C' | 'A';

/** The 8-byte message header (OPC 10000-6 §7.1.2.2 Table 71). */
export interface ChunkHeader {
  readonly msgType: MsgType;
  readonly chunkType: ChunkType;
  /** MessageSize: the whole chunk, header included. */
  readonly size: number;
}

/** One framed chunk: header + the bytes of the whole chunk (a view). */
export interface RawChunk {
  readonly header: ChunkHeader;
  readonly bytes: Buffer;
}

/** Limits for one direction, from HEL/ACK (0 = no limit there), capped by the conduit. */
export interface OpcuaLimits {
  /** Largest chunk the receiver accepts (its ReceiveBufferSize). */
  readonly maxChunkBytes: number;
  /** Largest reassembled message body (MaxMessageSize). */
  readonly maxMessageBytes: number;
  /** Most chunks per message (MaxChunkCount). */
  readonly maxChunkCount: number;
}

/** OPC 10000-6 §7.1.2.3 Table 72 (HEL) and §7.1.2.4 Table 73 (ACK). */
export interface TransportLimits {
  readonly protocolVersion: number;
  readonly receiveBufferSize: number;
  readonly sendBufferSize: number;
  /** 0 = no limit. */
  readonly maxMessageSize: number;
  /** 0 = no limit. */
  readonly maxChunkCount: number;
}

export interface HelloFrame extends TransportLimits {
  readonly kind: 'HEL';
  readonly endpointUrl: string | null;
}

export interface AcknowledgeFrame extends TransportLimits {
  readonly kind: 'ACK';
}

/** OPC 10000-6 §7.1.2.5 Table 74. */
export interface ErrorFrame {
  readonly kind: 'ERR';
  readonly statusCode: number;
  readonly statusName: string;
  readonly reason: string | null;
}

/** OPC 10000-6 §7.1.2.6 Table 75 (server-initiated connection). */
export interface ReverseHelloFrame {
  readonly kind: 'RHE';
  readonly serverUri: string | null;
  readonly endpointUrl: string | null;
}

export type ConnectionFrame = HelloFrame | AcknowledgeFrame | ErrorFrame | ReverseHelloFrame;

export interface CertificateInfo {
  /** SHA-1 of the DER leaf certificate, lower-case hex (the OPC UA thumbprint, OPC 10000-6 §6.2.6). */
  readonly thumbprint: string;
  /** Subject distinguished name ("CN=scada-1, O=…"), or null when the certificate does not parse. */
  readonly subject: string | null;
  readonly bytes: number;
}

/** OPC 10000-6 §6.7.2.3 Table 47: in clear in every OPN chunk. */
export interface AsymmetricSecurityHeader {
  readonly kind: 'asymmetric';
  readonly securityPolicyUri: string;
  readonly senderCertificate: CertificateInfo | null;
  /** Hex thumbprint of the receiver's certificate the sender encrypted for, or null. */
  readonly receiverThumbprint: string | null;
}

/** OPC 10000-6 §6.7.2.3 Table 48: MSG and CLO chunks. */
export interface SymmetricSecurityHeader {
  readonly kind: 'symmetric';
  readonly tokenId: number;
}

/** OPC 10000-6 §6.7.2.4 Table 49: in clear only when the channel's policy is None (or Sign). */
export interface SequenceHeader {
  readonly sequenceNumber: number;
  readonly requestId: number;
}

export interface SecureChunk {
  readonly kind: 'secure';
  readonly msgType: SecureMsgType;
  readonly chunkType: ChunkType;
  readonly channelId: number;
  readonly security: AsymmetricSecurityHeader | SymmetricSecurityHeader;
  /** Offset of the sequence header inside `bytes` (where renumbering writes). */
  readonly sequenceOffset: number;
  /** Null when the chunk is encrypted (sequence header and body are opaque). */
  readonly sequence: SequenceHeader | null;
  /** The body part of this chunk (after the sequence header); empty when encrypted. */
  readonly body: Buffer;
  /** The whole chunk. */
  readonly bytes: Buffer;
}

export type SecurityModeName = 'None' | 'Sign' | 'SignAndEncrypt';
export type IdentityTokenType = 'anonymous' | 'username' | 'certificate' | 'issued';

/** What a NodeId-scoped action a request performs (the policy keys). */
export type NodeAction = 'browse' | 'read' | 'write' | 'call' | 'monitor' | 'history';

export interface WriteItem {
  readonly nodeId: string;
  /** OPC 10000-4 §5.10.4 / Part 6 AttributeId (13 = Value). */
  readonly attributeId: number;
  /** Numeric values written (scalar → one, array → each); null when the value is not numeric. */
  readonly numbers: readonly number[] | null;
  /** Built-in type name of the written Variant (e.g. "Double"), or null. */
  readonly dataType: string | null;
}

export interface CallItem {
  readonly objectId: string;
  readonly methodId: string;
}

/** A decoded service request (SecurityMode None), reduced to what policy and audit need. */
export interface ServiceRequest {
  readonly kind: 'request';
  /** Spec service name (OPC 10000-4), e.g. "Write". */
  readonly service: string;
  /** Encoded type name, e.g. "WriteRequest". */
  readonly typeName: string;
  readonly requestHandle: number;
  /** Session authentication token (text form), null for session-less services. */
  readonly authenticationToken: string | null;
  /** Which NodeId list applies to `nodeIds` (null: none does). */
  readonly action: NodeAction | null;
  /** Canonical NodeId text of every node the request names, in request order. */
  readonly nodeIds: readonly string[];
  readonly writes: readonly WriteItem[];
  readonly calls: readonly CallItem[];
  /** ActivateSession: the identity token type (never the secret). */
  readonly identity: IdentityTokenType | null;
  /** GetEndpoints / CreateSession / FindServers: the endpoint URL the client names. */
  readonly endpointUrl: string | null;
  /** OpenSecureChannel: the requested security mode. */
  readonly securityMode: SecurityModeName | null;
}

export interface ServiceResponse {
  readonly kind: 'response';
  readonly service: string;
  readonly typeName: string;
  readonly requestHandle: number;
  /** ResponseHeader.ServiceResult (numeric) and its name. */
  readonly statusCode: number;
  readonly statusName: string;
  /** CreateSession: the session's authentication token (to follow ActivateSession and later requests). */
  readonly authenticationToken: string | null;
}

export type ServiceMessage = ServiceRequest | ServiceResponse;

/** A reassembled secure-conversation message. */
export interface SecureMessage {
  readonly msgType: SecureMsgType;
  readonly channelId: number;
  readonly requestId: number;
  readonly chunks: readonly SecureChunk[];
  /** Concatenated bodies of the chunks (a copy when multi-chunk). */
  readonly body: Buffer;
}
