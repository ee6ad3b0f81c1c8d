/**
 * Per-connection OPC UA state, pure: framing limits negotiated by HEL/ACK, the secure channel's
 * policy and mode (from OPN), sequence numbers per direction, reassembly, request/response
 * pairing and sessions' identity token types. The inspector feeds it bytes and acts on what it
 * returns; nothing here does I/O or keeps wall-clock timers (time is passed in).
 */
import { anomaly, malformed, type Anomaly, type DecodeResult, type Direction } from '../common';
import { OpcuaAnomalies } from './anomalies';
import { ChunkAssembler, type Assembled } from './assembler';
import { decodeBody, decodeConnectionBody, peekTypeName } from './codec';
import { frameChunk, HEADER_BYTES, isConnectionType, MIN_BUFFER_BYTES } from './header';
import { isNextSequence, parseSecureChunk, SECURITY_POLICY_NONE } from './secure-chunk';
import { toServiceMessage } from './services';
import type {
  AcknowledgeFrame,
  CertificateInfo,
  ConnectionFrame,
  HelloFrame,
  IdentityTokenType,
  OpcuaLimits,
  RawChunk,
  SecureChunk,
  SecureMessage,
  SecurityModeName,
  ServiceMessage,
  ServiceRequest,
} from './types';

export interface SessionOptions {
  /** The conduit's cap on any chunk or reassembled message (max_frame_bytes). */
  readonly maxMessageBytes: number;
  /** Cap on chunks per message when HEL/ACK say 0 (no limit). */
  readonly maxChunkCount: number;
  readonly maxPendingRequests: number;
  readonly requestTimeoutMs: number;
}

export const DEFAULT_MAX_CHUNK_COUNT = 4096;

/** What the client learnt about the channel (the policy's channel-level inputs). */
export interface ChannelFacts {
  endpointUrl: string | null;
  securityPolicyUri: string | null;
  /** None from the OPN body; Sign / SignAndEncrypt inferred from the first MSG (see docs/opcua.md). */
  securityMode: SecurityModeName | null;
  clientCertificate: CertificateInfo | null;
  channelId: number | null;
}

export interface DecodedMessage {
  readonly message: SecureMessage;
  /** Null when the body did not decode (then `anomaly` says why). */
  readonly service: ServiceMessage | null;
  readonly anomaly: Anomaly | null;
  /** For a response: the request it answers (null = unsolicited). */
  readonly request: PendingRequest | null;
}

export type OpcuaEvent =
  | { readonly kind: 'connection'; readonly frame: ConnectionFrame; readonly raw: RawChunk; readonly anomalies: readonly Anomaly[] }
  | {
      readonly kind: 'chunk';
      readonly chunk: SecureChunk;
      readonly anomalies: readonly Anomaly[];
      /** Reassembly outcome when the chunk is readable, null when it is opaque (encrypted / signed). */
      readonly assembled: Assembled | null;
      /** The decoded message when `assembled` completed one. */
      readonly decoded: DecodedMessage | null;
    };

export interface PendingRequest {
  readonly requestId: number;
  readonly request: ServiceRequest;
  readonly at: number;
}

export class OpcuaSession {
  readonly facts: ChannelFacts = { endpointUrl: null, securityPolicyUri: null, securityMode: null, clientCertificate: null, channelId: null };
  hello: HelloFrame | null = null;
  ack: AcknowledgeFrame | null = null;
  private readonly lastSeq: Record<Direction, number | null> = { c2s: null, s2c: null };
  private readonly assemblers: Record<Direction, ChunkAssembler> = { c2s: new ChunkAssembler(), s2c: new ChunkAssembler() };
  private readonly pending = new Map<number, PendingRequest>();
  private readonly identities = new Map<string, IdentityTokenType>();
  /** Consecutive opaque non-final chunks per direction (encrypted channels: count limit only). */
  private readonly opaqueRun: Record<Direction, { chunks: number; bytes: number }> = { c2s: { chunks: 0, bytes: 0 }, s2c: { chunks: 0, bytes: 0 } };

  constructor(private readonly opts: SessionOptions) {}

  /** True when the channel's policy is None: bodies decode, and the gateway can refuse per service. */
  get readable(): boolean {
    return this.facts.securityPolicyUri === SECURITY_POLICY_NONE;
  }

  /** True while `dir` has a multi-chunk message on the wire (not at a message boundary). */
  inMessage(dir: Direction): boolean {
    return this.assemblers[dir].busy || this.opaqueRun[dir].chunks > 0;
  }

  lastSequence(dir: Direction): number | null {
    return this.lastSeq[dir];
  }

  /** Limits for chunks travelling in `dir` (OPC 10000-6 §7.1.2.3/§7.1.2.4), capped by the conduit. */
  limits(dir: Direction): OpcuaLimits {
    const cap = this.opts.maxMessageBytes;
    const pick = (v: number | undefined) => (v !== undefined && v > 0 ? Math.min(v, cap) : cap);
    if (dir === 'c2s') {
      return {
        maxChunkBytes: Math.max(MIN_BUFFER_BYTES, pick(this.ack?.receiveBufferSize ?? this.hello?.sendBufferSize)),
        maxMessageBytes: pick(this.ack?.maxMessageSize),
        maxChunkCount: this.ack && this.ack.maxChunkCount > 0 ? this.ack.maxChunkCount : this.opts.maxChunkCount,
      };
    }
    return {
      maxChunkBytes: Math.max(MIN_BUFFER_BYTES, pick(this.ack?.sendBufferSize ?? this.hello?.receiveBufferSize)),
      maxMessageBytes: pick(this.hello?.maxMessageSize),
      maxChunkCount: this.hello && this.hello.maxChunkCount > 0 ? this.hello.maxChunkCount : this.opts.maxChunkCount,
    };
  }

  /** Frame, parse and account for the next chunk of `dir` at `off`. Never throws on wire input. */
  next(dir: Direction, buf: Buffer, off: number): DecodeResult<OpcuaEvent> {
    const r = frameChunk(buf, off, this.limits(dir).maxChunkBytes);
    if (r.kind !== 'frame') return r;
    const raw = r.frame;
    if (isConnectionType(raw.header.msgType)) {
      const d = decodeConnectionBody(raw.header.msgType as 'HEL', raw.bytes.subarray(HEADER_BYTES));
      if (!d.ok) return malformed(anomaly(OpcuaAnomalies.bad_connection_message, `${raw.header.msgType}: ${d.why}`), 0, true);
      return { kind: 'frame', frame: { kind: 'connection', frame: d.value, raw, anomalies: this.onConnection(dir, d.value) }, consumed: r.consumed };
    }
    const anomalies: Anomaly[] = [];
    const msgType = raw.header.msgType;
    let clear = this.readable;
    if (msgType !== 'OPN' && this.facts.securityPolicyUri === null) {
      anomalies.push(anomaly(OpcuaAnomalies.out_of_order, `${msgType} before any OPN`));
      clear = looksClear(raw);
    }
    const p = parseSecureChunk(raw, clear);
    if (!p.ok) return malformed(p.anomaly, 0, true);
    const chunk = p.chunk;
    if (msgType === 'OPN' && dir === 'c2s' && chunk.security.kind === 'asymmetric') {
      if (this.facts.securityPolicyUri !== null && this.facts.securityPolicyUri !== chunk.security.securityPolicyUri) {
        anomalies.push(anomaly(OpcuaAnomalies.out_of_order, 'OPN renewal changes the security policy'));
      }
      this.facts.securityPolicyUri = chunk.security.securityPolicyUri;
      this.facts.clientCertificate = chunk.security.senderCertificate;
    }
    if (msgType === 'OPN' && dir === 's2c' && chunk.channelId !== 0) this.facts.channelId = chunk.channelId;
    if (msgType === 'MSG' && dir === 'c2s' && this.facts.securityMode === null && this.facts.securityPolicyUri !== null && !this.readable) {
      // OPN bodies are always encrypted when the policy is not None (OPC 10000-6 §6.7.4), so the
      // requested mode shows only here: a Sign chunk carries a clear sequence header and a known
      // request type id; SignAndEncrypt ciphertext matches that by chance with negligible odds.
      this.facts.securityMode = looksClear(raw) ? 'Sign' : 'SignAndEncrypt';
    }
    if (msgType !== 'OPN' && this.facts.channelId !== null && chunk.channelId !== this.facts.channelId) {
      anomalies.push(anomaly(OpcuaAnomalies.channel_mismatch, `channel ${chunk.channelId}, expected ${this.facts.channelId}`));
    }
    if (chunk.sequence === null) {
      const run = this.opaqueRun[dir];
      const lim = this.limits(dir);
      if (chunk.chunkType === 'C') {
        run.chunks++;
        run.bytes += chunk.bytes.length;
        if (run.chunks >= lim.maxChunkCount || run.bytes > lim.maxMessageBytes) {
          run.chunks = 0;
          run.bytes = 0;
          return malformed(anomaly(OpcuaAnomalies.too_many_chunks, `encrypted message over ${lim.maxChunkCount} chunks or ${lim.maxMessageBytes} bytes`), 0, true);
        }
      } else {
        run.chunks = 0;
        run.bytes = 0;
      }
      return { kind: 'frame', frame: { kind: 'chunk', chunk, anomalies, assembled: null, decoded: null }, consumed: r.consumed };
    }
    const prev = this.lastSeq[dir];
    if (prev !== null && !isNextSequence(prev, chunk.sequence.sequenceNumber)) {
      anomalies.push(anomaly(OpcuaAnomalies.sequence_gap, `${dir} sequence ${chunk.sequence.sequenceNumber} after ${prev}`));
    }
    this.lastSeq[dir] = chunk.sequence.sequenceNumber;
    const assembled = this.assemblers[dir].push(chunk, this.limits(dir));
    if (assembled.kind === 'aborted') anomalies.push(anomaly(OpcuaAnomalies.aborted_message, `${dir} request ${assembled.requestId} aborted after ${assembled.chunks.length - 1} chunks`));
    if (assembled.kind === 'overflow') anomalies.push(assembled.anomaly);
    const decoded = assembled.kind === 'message' ? this.decode(dir, assembled.message) : null;
    return { kind: 'frame', frame: { kind: 'chunk', chunk, anomalies, assembled, decoded }, consumed: r.consumed };
  }

  private onConnection(dir: Direction, f: ConnectionFrame): Anomaly[] {
    const out: Anomaly[] = [];
    const wrongDir = (f.kind === 'HEL' && dir !== 'c2s') || ((f.kind === 'ACK' || f.kind === 'RHE') && dir !== 's2c');
    if (wrongDir) out.push(anomaly(OpcuaAnomalies.out_of_order, `${f.kind} sent by the ${dir === 'c2s' ? 'client' : 'server'}`));
    if (f.kind === 'HEL') {
      if (this.hello !== null) out.push(anomaly(OpcuaAnomalies.out_of_order, 'second HEL'));
      else {
        this.hello = f;
        this.facts.endpointUrl = f.endpointUrl;
      }
    } else if (f.kind === 'ACK') {
      if (this.hello === null || this.ack !== null) out.push(anomaly(OpcuaAnomalies.out_of_order, this.ack ? 'second ACK' : 'ACK without HEL'));
      else this.ack = f;
    }
    return out;
  }

  private decode(dir: Direction, message: SecureMessage): DecodedMessage {
    const d = decodeBody(message.body);
    if (!d.ok) return { message, service: null, anomaly: anomaly(OpcuaAnomalies.bad_body, `${message.msgType} request ${message.requestId}: ${d.why}`), request: null };
    const service = toServiceMessage(d.value);
    if (service === null) return { message, service: null, anomaly: anomaly(OpcuaAnomalies.unknown_service, `${d.value.typeName} in ${dir}`), request: null };
    if (service.kind === 'request') {
      if (service.securityMode !== null && message.msgType === 'OPN') this.facts.securityMode = service.securityMode;
      if (service.identity !== null && service.authenticationToken !== null) this.identities.set(service.authenticationToken, service.identity);
      return { message, service, anomaly: null, request: null };
    }
    const req = this.pending.get(message.requestId) ?? null;
    this.pending.delete(message.requestId);
    const unsolicited = req === null && message.msgType === 'MSG';
    return {
      message,
      service,
      anomaly: unsolicited ? anomaly(OpcuaAnomalies.unsolicited_response, `${service.typeName} for request ${message.requestId}`) : null,
      request: req,
    };
  }

  /** The identity token type a session was activated with on this connection (null: not seen). */
  identityOf(authenticationToken: string | null): IdentityTokenType | null {
    return authenticationToken === null ? null : this.identities.get(authenticationToken) ?? null;
  }

  /** Remember a forwarded request for pairing; returns a flood anomaly over the cap (the request is still tracked). */
  track(requestId: number, request: ServiceRequest, now: number): Anomaly | null {
    const over = this.pending.size >= this.opts.maxPendingRequests && !this.pending.has(requestId);
    if (!over) this.pending.set(requestId, { requestId, request, at: now });
    return over ? anomaly(OpcuaAnomalies.too_many_pending, `${this.pending.size} requests unanswered`) : null;
  }

  /** Requests unanswered past the timeout (Publish is exempt: the server parks it by design, §5.13.5). */
  expire(now: number): PendingRequest[] {
    const out: PendingRequest[] = [];
    for (const [id, p] of this.pending) {
      if (p.request.service !== 'Publish' && now - p.at > this.opts.requestTimeoutMs) {
        out.push(p);
        this.pending.delete(id);
      }
    }
    return out;
  }

  reset(): void {
    this.assemblers.c2s.clear();
    this.assemblers.s2c.clear();
    this.pending.clear();
  }
}

/** A chunk whose sequence header is followed by a known service type id is readable (None or Sign). */
function looksClear(raw: RawChunk): boolean {
  const p = parseSecureChunk(raw, true);
  if (!p.ok || p.chunk.chunkType !== 'F' && p.chunk.chunkType !== 'C') return false;
  const name = peekTypeName(p.chunk.body);
  return name !== null && /(Request|Response|ServiceFault)$/.test(name);
}
