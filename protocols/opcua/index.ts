/** OPC UA binary (opc.tcp) decoding for otgate: pure, bytes in, typed frames out. */
export * from './types';
export { OpcuaAnomalies, type OpcuaAnomalyName } from './anomalies';
export { frameChunk, HEADER_BYTES, MIN_BUFFER_BYTES, MAX_CONNECTION_MESSAGE_BYTES } from './header';
export { parseSecureChunk, withSequenceNumber, shiftSequence, isNextSequence, SECURITY_POLICY_NONE, SEQUENCE_WRAP } from './secure-chunk';
export { ChunkAssembler, type Assembled } from './assembler';
export { OpcuaSession, DEFAULT_MAX_CHUNK_COUNT, type SessionOptions, type OpcuaEvent, type DecodedMessage, type PendingRequest, type ChannelFacts } from './session';
export { encodeServiceFaultChunk, encodeErrorMessage, decodeBody, StatusCodes, type ServiceFaultParams } from './codec';
export { SERVICES, SERVICE_NAMES, isServiceName, type ServiceName } from './service-table';
export { canonicalNodeId, nodeIdText } from './node-id';
export { certificateInfo } from './certificate';
export { connectionFields, connectionSummary, messageFields, messageSummary, policyShortName, type MessageContext } from './describe';
export { SweepDetector, DEFAULT_SWEEP_LIMITS, type SweepKind, type SweepLimits } from './sweep';
