/**
 * The closed list of OPC UA anomalies (stable codes; documented in docs/opcua.md).
 * References: OPC 10000-6 (UA Part 6: Mappings) §6.7 secure conversation, §7.1 UA Connection
 * Protocol; OPC 10000-4 (Part 4: Services).
 */
import type { AnomalySpec } from '../common';

const spec = (code: string, family: AnomalySpec['family'], technique: string | null, description: string): AnomalySpec =>
  Object.freeze({ code: `opcua.${code}`, family, technique, description });

export const OpcuaAnomalies = {
  /** OPC 10000-6 §7.1.2.2: MessageType is one of HEL ACK ERR RHE OPN MSG CLO. */
  unknown_message_type: spec('unknown_message_type', 'malformed', null, 'message type is not HEL, ACK, ERR, RHE, OPN, MSG or CLO'),
  /** §7.1.2.2: IsFinal is F, C or A; connection messages and OPN/CLO are always F. */
  bad_chunk_type: spec('bad_chunk_type', 'malformed', null, 'chunk type is not F, C or A (or not F where only F is allowed)'),
  /** MessageSize smaller than the headers it must contain. */
  chunk_too_small: spec('chunk_too_small', 'malformed', null, 'declared message size is smaller than its headers'),
  /** §7.1.2.3/§7.1.2.4: a chunk larger than the receiver's negotiated buffer (or the conduit cap). */
  chunk_too_large: spec('chunk_too_large', 'resource', 'T0814', 'declared chunk size exceeds the negotiated receive buffer or the conduit limit'),
  /** §6.7.2: MaxMessageSize from HEL/ACK, capped by the conduit's max_frame_bytes. */
  message_too_large: spec('message_too_large', 'resource', 'T0814', 'reassembled message exceeds the negotiated or configured maximum size'),
  /** §6.7.2: MaxChunkCount from HEL/ACK. */
  too_many_chunks: spec('too_many_chunks', 'resource', 'T0814', 'message has more chunks than negotiated or configured'),
  /** Too many messages being reassembled at once on one direction. */
  too_many_partial_messages: spec('too_many_partial_messages', 'resource', 'T0814', 'too many messages in reassembly at once'),
  /** §7.1.2.3 Table 72 / §7.1.2.4 Table 73 / §7.1.2.5 Table 74: a connection message's fields do not decode. */
  bad_connection_message: spec('bad_connection_message', 'malformed', null, 'HEL, ACK, ERR or RHE body does not decode'),
  /** §6.7.2.3 Table 47 / §6.7.2.4 Table 48: security or sequence header does not decode. */
  bad_security_header: spec('bad_security_header', 'malformed', null, 'security header does not decode'),
  /** A service body node-opcua cannot decode (truncated, unknown type id). */
  bad_body: spec('bad_body', 'malformed', null, 'message body does not decode as an OPC UA service'),
  /** A service request type otgate does not know (decoded, but not in the service table). */
  unknown_service: spec('unknown_service', 'malformed', null, 'message body is not a known OPC UA service request or response'),
  /** §6.7.2.4: SequenceNumber increases by one per chunk (wrapping below 1024 after 4294966271). */
  sequence_gap: spec('sequence_gap', 'state', null, 'sequence number did not follow the previous one'),
  /** Chunks of one message carry one RequestId; an A chunk aborts it (§6.7.3). */
  aborted_message: spec('aborted_message', 'state', null, 'the sender aborted a multi-chunk message'),
  /** §7.1.3: HEL first; a second HEL, MSG before OPN, ACK without HEL… */
  out_of_order: spec('out_of_order', 'state', null, 'message out of protocol order (e.g. MSG before OPN, second HEL)'),
  /** A response whose RequestId matches no pending request. */
  unsolicited_response: spec('unsolicited_response', 'state', null, 'response with no matching request'),
  /** The pending-request cap was reached (flood). */
  too_many_pending: spec('too_many_pending', 'resource', 'T0814', 'too many unanswered requests on this connection'),
  /** A request unanswered past request_timeout_ms. */
  request_timeout: spec('request_timeout', 'state', null, 'request unanswered within the configured timeout'),
  /** The channel id in a chunk does not match the one the server assigned. */
  channel_mismatch: spec('channel_mismatch', 'state', null, 'secure channel id differs from the one the server assigned'),
  /** Repeated GetEndpoints / FindServers on one connection (OPC 10000-4 §5.4): looking for servers (sweep.ts). */
  discovery_sweep: spec('discovery_sweep', 'state', 'T0846', 'more GetEndpoints / FindServers requests on one connection than the conduit allows per window'),
  /** Denied Browse / BrowseNext / TranslateBrowsePathsToNodeIds / RegisterNodes / Read requests piling up (sweep.ts). */
  browse_sweep: spec('browse_sweep', 'state', 'T0861', 'more denied Browse/Read requests, or distinct denied NodeIds, on one connection than the conduit allows per window'),
  /** Denied Reads of the Server object (i=2253 and its components: build info, state) piling up (sweep.ts). */
  server_info_sweep: spec('server_info_sweep', 'state', 'T0888', 'more denied Reads of Server object nodes on one connection than the conduit allows per window'),
} as const satisfies Record<string, AnomalySpec>;

export type OpcuaAnomalyName = keyof typeof OpcuaAnomalies;
