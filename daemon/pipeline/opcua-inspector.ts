/**
 * The OPC UA binary (opc.tcp) inspector: framer → secure-channel state → reassembly → decode →
 * policy → act. Design notes (docs/opcua.md has the long form):
 *
 * - Channel policy (endpoint URL from HEL, security policy/mode and client certificate from OPN)
 *   is checked on every channel. A violation gets an ERR (Bad_SecurityChecksFailed) and a close.
 * - On SecurityMode None channels service requests are decoded. Client chunks are held until
 *   their message is complete, then evaluated whole. A denied request never reaches the server:
 *   the gateway answers it with a ServiceFault (Bad_UserAccessDenied, the request's handle).
 * - Dropping a request and injecting a response would leave sequence-number gaps (OPC 10000-6
 *   §6.7.2.4) that both stacks treat as fatal, so sequence numbers are renumbered: every chunk
 *   forwarded to the server carries `seq − dropped`, every chunk to the client `seq + injected`,
 *   and an injected fault takes the next number toward the client. Injections wait for a message
 *   boundary on the server→client stream (never between the chunks of one response).
 * - Signed / encrypted channels: bodies and sequence headers are opaque, chunks pass through
 *   unchanged; only channel policy applies.
 * - Monitor mode and the passive monitor record what would have been denied and forward all.
 * - Discovery sweeps (protocols/opcua/sweep.ts): repeated GetEndpoints/FindServers, or denied
 *   Browse/Read requests piling up, add one anomaly per connection, kind and window.
 */
import type { Anomaly, Direction } from '../../protocols/common';
import {
  DEFAULT_MAX_CHUNK_COUNT,
  DEFAULT_SWEEP_LIMITS,
  OpcuaSession,
  SweepDetector,
  StatusCodes,
  connectionFields,
  connectionSummary,
  encodeErrorMessage,
  encodeServiceFaultChunk,
  messageFields,
  messageSummary,
  shiftSequence,
  withSequenceNumber,
  type DecodedMessage,
  type OpcuaEvent,
  type SecureChunk,
  type ServiceMessage,
  type ServiceRequest,
  type SweepKind,
} from '../../protocols/opcua';
import { evaluateOpcuaChannel, evaluateOpcuaRequest, opcuaAction, type OpcuaChannelFacts } from '../../rules/matchers/opcua';
import type { Verdict } from '../../rules/verdict';
import type { ActionSink, DecisionEvent, FlowContext, InspectorFactory, PipelineEnv, ProtocolInspector } from './contract';
import { makeEvent, viewOf, type FlowView } from './events';

const DEFAULT_MAX_MESSAGE = 1_048_576;
const DEFAULT_PENDING = 16;
const DEFAULT_TIMEOUT_MS = 5000;

export const createOpcuaInspector: InspectorFactory = (ctx, env, sink) => new OpcuaInspector(ctx, env, sink);

interface QueuedFault {
  readonly chunk: SecureChunk;
  readonly requestId: number;
  readonly requestHandle: number;
}

class OpcuaInspector implements ProtocolInspector {
  private readonly session: OpcuaSession;
  private readonly carry: Record<Direction, Buffer | null> = { c2s: null, s2c: null };
  private closed = false;
  /** Chunks the server never saw (denied or aborted requests): subtracted from client sequence numbers. */
  private dropped = 0;
  /** Faults the gateway sent to the client: added to server sequence numbers. */
  private injected = 0;
  /** Last sequence number the client received from us. */
  private lastToClient: number | null = null;
  private readonly queued: QueuedFault[] = [];
  /** Channel checks already made (HEL, OPN, first MSG). */
  private channelChecked = { hel: false, opn: false, mode: false };
  private readonly sweep: SweepDetector;

  constructor(
    private readonly ctx: FlowContext,
    private readonly env: PipelineEnv,
    private readonly sink: ActionSink,
  ) {
    const conduit = viewOf(ctx, env.policy()).conduit;
    this.session = new OpcuaSession({
      maxMessageBytes: conduit?.limits.maxFrameBytes ?? DEFAULT_MAX_MESSAGE,
      maxChunkCount: conduit?.opcua?.maxChunkCount ?? DEFAULT_MAX_CHUNK_COUNT,
      maxPendingRequests: conduit?.limits.maxPendingRequests ?? DEFAULT_PENDING,
      requestTimeoutMs: conduit?.limits.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS,
    });
    this.sweep = new SweepDetector(conduit?.opcua?.sweep ?? DEFAULT_SWEEP_LIMITS);
  }

  feed(dir: Direction, chunk: Buffer): void {
    if (this.closed) return;
    if (this.passthrough) return this.sink.forward(dir, chunk);
    const prev = this.carry[dir];
    const buf = prev === null ? chunk : Buffer.concat([prev, chunk]);
    this.carry[dir] = null;
    const view = viewOf(this.ctx, this.env.policy());
    let off = 0;
    while (off < buf.length && !this.closed) {
      const r = this.session.next(dir, buf, off);
      if (r.kind === 'need') break;
      if (r.kind === 'malformed') {
        // No frame marker in opc.tcp: a bad header cannot be skipped. Enforce: close; else pass the rest through.
        const closing = view.enforcing;
        this.anomalyEvent(view, dir, r.anomaly, closing ? 'closed' : this.ctx.passive ? 'observed' : 'forwarded', `${dir === 'c2s' ? 'client' : 'server'} stream: ${r.anomaly.detail}`);
        if (closing) return this.shut(`opcua anomaly ${r.anomaly.code}`);
        this.sink.forward(dir, buf.subarray(off));
        this.passthrough = true;
        return;
      }
      const ev = r.frame;
      off += r.consumed;
      if (dir === 'c2s') this.onClient(view, ev);
      else this.onServer(view, ev);
    }
    if (!this.closed && off < buf.length) this.carry[dir] = Buffer.from(buf.subarray(off));
  }

  /** After an unframeable stream in monitor mode, bytes pass untouched. */
  private passthrough = false;

  // ---- client → server -------------------------------------------------------------------

  private onClient(view: FlowView, ev: OpcuaEvent): void {
    if (ev.kind === 'connection') {
      for (const a of ev.anomalies) this.anomalyEvent(view, 'c2s', a, this.fwdAction(), connectionSummary(ev.frame));
      if (ev.frame.kind === 'HEL' && !this.channelChecked.hel) {
        this.channelChecked.hel = true;
        if (!this.checkChannel(view, 'HEL', connectionSummary(ev.frame), connectionFields(ev.frame))) return;
      }
      this.observed(view, 'request', connectionSummary(ev.frame), connectionFields(ev.frame));
      this.sink.forward('c2s', ev.raw.bytes);
      return;
    }
    const { chunk } = ev;
    for (const a of ev.anomalies) this.anomalyEvent(view, 'c2s', a, this.fwdAction(), `${chunk.msgType}${chunk.chunkType}`);
    if (chunk.msgType === 'OPN' && !this.readable) {
      // Encrypted OPN: its policy URI and certificate are in clear; that is all we police.
      if (!this.checkChannel(view, 'OPN', this.chunkSummary(chunk), this.chunkFields(chunk, null))) return;
    }
    if (chunk.msgType === 'MSG' && !this.channelChecked.mode && this.session.facts.securityMode !== null && !this.readable) {
      this.channelChecked.mode = true;
      if (!this.checkChannel(view, 'MSG', this.chunkSummary(chunk), this.chunkFields(chunk, null))) return;
    }
    const a = ev.assembled;
    if (a === null) {
      // Opaque (signed/encrypted) chunk: passes unchanged; sequence numbers are not ours to touch.
      this.observed(view, 'request', this.chunkSummary(chunk), this.chunkFields(chunk, null));
      this.sink.forward('c2s', chunk.bytes);
      return;
    }
    switch (a.kind) {
      case 'partial':
        return; // held until the message is complete
      case 'aborted':
        this.dropped += a.chunks.length; // the server never saw any of them
        return;
      case 'overflow':
        if (view.enforcing) return this.shut(`opcua ${a.anomaly.code}`);
        this.forwardClientChunks(a.chunks);
        return;
      case 'message':
        this.onClientMessage(view, ev.decoded!);
        return;
    }
  }

  private get readable(): boolean {
    return this.session.readable;
  }

  private onClientMessage(view: FlowView, d: DecodedMessage): void {
    const m = d.message;
    const svc = d.service;
    const first = m.chunks[0]!;
    if (m.msgType === 'OPN') {
      if (!this.checkChannel(view, 'OPN', this.messageSummary(first, svc), this.chunkFields(first, svc))) return;
      this.observed(view, 'request', this.messageSummary(first, svc), this.chunkFields(first, svc));
      this.forwardClientChunks(m.chunks);
      return;
    }
    if (svc === null || svc.kind !== 'request') {
      // A None-mode body we cannot decode cannot be judged: default deny closes in enforce mode.
      const a = d.anomaly;
      if (a !== null) this.anomalyEvent(view, 'c2s', a, view.enforcing ? 'closed' : this.fwdAction(), this.messageSummary(first, svc));
      if (view.enforcing) return this.shut(`opcua ${a?.code ?? 'unexpected response from client'}`);
      this.forwardClientChunks(m.chunks);
      return;
    }
    const now = this.env.now();
    const verdict: Verdict | null = view.policy === null
      ? null
      : evaluateOpcuaRequest(view.conduit?.rulesFor(this.ctx.client.ip) ?? null, this.channelFacts(), svc, this.session.identityOf(svc.authenticationToken), now);
    const summary = this.messageSummary(first, svc);
    const fields = this.chunkFields(first, svc);
    if (verdict === null || verdict.allow) {
      this.env.count('opcua', 'allow', 'request');
      const flood = m.msgType === 'MSG' ? this.session.track(m.requestId, svc, now) : null;
      if (flood !== null) this.anomalyEvent(view, 'c2s', flood, this.fwdAction(), summary);
      // Forwarded first: the sampled event (and a sweep note) need not hold the request up.
      this.forwardClientChunks(m.chunks);
      if (this.ctx.passive || (verdict !== null && this.env.sampleAllowed())) this.record(view, 'request', verdict, null, this.ctx.passive ? 'observed' : 'forwarded', summary, fields);
      this.noteSweep(view, svc, false, this.fwdAction(), summary, now);
      return;
    }
    this.env.count('opcua', 'deny', 'request');
    if (!view.enforcing || m.msgType !== 'MSG') {
      if (m.msgType === 'MSG') this.session.track(m.requestId, svc, now);
      const ev = this.record(view, 'request', verdict, null, this.ctx.passive ? 'observed' : 'alerted', summary, fields);
      this.env.violation(ev, this.env.hrnow());
      this.noteSweep(view, svc, true, ev.action, summary, now);
      this.forwardClientChunks(m.chunks);
      return;
    }
    const close = view.conduit?.onViolation === 'close';
    const ev = this.record(view, 'request', verdict, null, close ? 'closed' : 'refused', summary, fields);
    this.env.violation(ev, this.env.hrnow());
    this.noteSweep(view, svc, true, ev.action, summary, now);
    if (close) return this.shut(`policy: ${verdict.reason}`);
    this.dropped += m.chunks.length;
    this.queued.push({ chunk: first, requestId: m.requestId, requestHandle: svc.requestHandle });
    this.flushFaults();
  }

  /** Feed the sweep detector; a crossed limit becomes one anomaly event (action: what happened to this request). */
  private noteSweep(view: FlowView, svc: ServiceRequest, denied: boolean, action: DecisionEvent['action'], summary: string, now: number): void {
    const kind = sweepKind(svc);
    if (kind === null) return;
    const a = this.sweep.note(kind, denied, svc.nodeIds, now);
    if (a !== null) this.anomalyEvent(view, 'c2s', a, action, summary);
  }

  /** Forward client chunks, renumbered by the chunks the server never saw. */
  private forwardClientChunks(chunks: readonly SecureChunk[]): void {
    for (const c of chunks) {
      if (this.dropped === 0 || c.sequence === null) this.sink.forward('c2s', c.bytes);
      else this.sink.forward('c2s', withSequenceNumber(c, shiftSequence(c.sequence.sequenceNumber, -this.dropped)));
    }
  }

  // ---- server → client -------------------------------------------------------------------

  private onServer(view: FlowView, ev: OpcuaEvent): void {
    if (ev.kind === 'connection') {
      for (const a of ev.anomalies) this.anomalyEvent(view, 's2c', a, this.fwdAction(), connectionSummary(ev.frame));
      if (ev.frame.kind === 'ERR' || this.ctx.passive) {
        this.record(view, 'response', null, null, this.ctx.passive ? 'observed' : 'forwarded', connectionSummary(ev.frame), connectionFields(ev.frame));
      }
      this.sink.forward('s2c', ev.raw.bytes);
      return;
    }
    const { chunk } = ev;
    for (const a of ev.anomalies) this.anomalyEvent(view, 's2c', a, this.fwdAction(), `${chunk.msgType}${chunk.chunkType}`);
    if (chunk.sequence === null) {
      this.observed(view, 'response', this.chunkSummary(chunk), this.chunkFields(chunk, null));
      this.sink.forward('s2c', chunk.bytes);
      return;
    }
    // Responses always pass (availability); renumbered past the faults we injected.
    const seq = shiftSequence(chunk.sequence.sequenceNumber, this.injected);
    this.sink.forward('s2c', this.injected === 0 ? chunk.bytes : withSequenceNumber(chunk, seq));
    this.lastToClient = seq;
    const d = ev.decoded;
    if (d !== null) this.onServerMessage(view, d);
    this.flushFaults();
  }

  private onServerMessage(view: FlowView, d: DecodedMessage): void {
    const first = d.message.chunks[0]!;
    if (d.anomaly !== null) {
      this.env.count('opcua', 'anomaly', 'response');
      this.anomalyEvent(view, 's2c', d.anomaly, this.fwdAction(), this.messageSummary(first, d.service));
      return;
    }
    this.env.count('opcua', 'allow', 'response');
    if (this.ctx.passive) this.record(view, 'response', null, null, 'observed', this.messageSummary(first, d.service), this.chunkFields(first, d.service));
  }

  /** Send queued ServiceFaults at a server→client message boundary. */
  private flushFaults(): void {
    if (this.session.inMessage('s2c') || this.closed) return;
    while (this.queued.length > 0) {
      const q = this.queued.shift()!;
      const seq = this.lastToClient === null ? 1 : shiftSequence(this.lastToClient, 1);
      this.injected++;
      this.lastToClient = seq;
      const tokenId = q.chunk.security.kind === 'symmetric' ? q.chunk.security.tokenId : 0;
      this.sink.reply('c2s', encodeServiceFaultChunk({ channelId: q.chunk.channelId, tokenId, sequenceNumber: seq, requestId: q.requestId, requestHandle: q.requestHandle, timestamp: new Date(this.env.now()) }));
    }
  }

  // ---- channel policy --------------------------------------------------------------------

  private channelFacts(): OpcuaChannelFacts {
    const f = this.session.facts;
    const opened = f.securityPolicyUri !== null;
    return {
      ...(this.session.hello !== null ? { endpointUrl: f.endpointUrl } : {}),
      ...(opened ? { securityPolicyUri: f.securityPolicyUri!, certificateThumbprint: f.clientCertificate?.thumbprint ?? null } : {}),
      ...(f.securityMode !== null ? { securityMode: f.securityMode } : {}),
    };
  }

  /** Returns false when the channel was refused (ERR sent, connection closing). */
  private checkChannel(view: FlowView, at: string, summary: string, fields: Record<string, unknown>): boolean {
    if (view.policy === null) return true;
    const verdict = evaluateOpcuaChannel(view.conduit?.rulesFor(this.ctx.client.ip) ?? null, this.channelFacts(), this.env.now());
    if (verdict.allow) return true;
    this.env.count('opcua', 'deny', 'request');
    const ev = this.record(view, 'request', verdict, null, view.enforcing ? 'closed' : this.ctx.passive ? 'observed' : 'alerted', `${summary} (channel refused at ${at})`, fields);
    this.env.violation(ev, this.env.hrnow());
    if (!view.enforcing) return true;
    // OPC 10000-6 §7.1.2.5 / §7.1.5: ERR, then the connection is closed.
    this.sink.reply('c2s', encodeErrorMessage(StatusCodes.BadSecurityChecksFailed, `otgate: ${verdict.detail}`));
    this.shut(`policy: ${verdict.reason}`);
    return false;
  }

  // ---- events ----------------------------------------------------------------------------

  tick(now: number): void {
    if (this.closed) return;
    const view = viewOf(this.ctx, this.env.policy());
    for (const p of this.session.expire(now)) {
      this.anomalyEvent(view, 'c2s', { code: 'opcua.request_timeout', family: 'state', technique: null, detail: `${p.request.typeName} request ${p.requestId} unanswered` }, this.fwdAction(), p.request.typeName);
    }
  }

  end(): void {
    this.closed = true;
    this.carry.c2s = null;
    this.carry.s2c = null;
    this.session.reset();
  }

  private shut(reason: string): void {
    this.closed = true;
    this.sink.close(reason);
  }

  /** The passive monitor records every PDU, undecided ones too (verdict null); the proxy does not. */
  private observed(view: FlowView, dir: 'request' | 'response', summary: string, fields: Record<string, unknown>): void {
    if (this.ctx.passive) this.record(view, dir, null, null, 'observed', summary, fields);
  }

  private fwdAction(): DecisionEvent['action'] {
    return this.ctx.passive ? 'observed' : 'forwarded';
  }

  private ctxOf(chunk: SecureChunk) {
    return { msgType: chunk.msgType, securityPolicyUri: this.session.facts.securityPolicyUri, requestId: chunk.sequence?.requestId ?? null, encrypted: chunk.sequence === null };
  }

  private chunkSummary(chunk: SecureChunk): string {
    const f = this.session.facts;
    const cert = f.clientCertificate ? ` cert ${f.clientCertificate.thumbprint}${f.clientCertificate.subject ? ` (${f.clientCertificate.subject})` : ''}` : '';
    return `${messageSummary(this.ctxOf(chunk), null)}${f.securityMode ? ` ${f.securityMode}` : ''}${cert}`;
  }

  private messageSummary(chunk: SecureChunk, svc: ServiceMessage | null): string {
    return messageSummary(this.ctxOf(chunk), svc);
  }

  private chunkFields(chunk: SecureChunk, svc: ServiceMessage | null): Record<string, unknown> {
    const f = this.session.facts;
    const extra: Record<string, unknown> = {};
    if (f.securityMode !== null) extra.securityMode = f.securityMode;
    if (f.clientCertificate !== null) extra.clientCertificate = { thumbprint: f.clientCertificate.thumbprint, subject: f.clientCertificate.subject };
    if (f.endpointUrl !== null) extra.endpointUrl = f.endpointUrl;
    return messageFields(this.ctxOf(chunk), svc, extra);
  }

  private record(view: FlowView, dir: 'request' | 'response', verdict: Verdict | null, anomaly: Anomaly | null, action: DecisionEvent['action'], summary: string, fields: Record<string, unknown>): DecisionEvent {
    const ev = makeEvent(this.ctx, 'opcua', this.env.now(), view.policy, { dir, verdict, anomaly, action, summary, fields });
    this.env.record(ev);
    return ev;
  }

  private anomalyEvent(view: FlowView, d: Direction, anomaly: Anomaly, action: DecisionEvent['action'], summary: string): void {
    const dir = d === 'c2s' ? 'request' : 'response';
    this.env.count('opcua', 'anomaly', dir);
    const ev = this.record(view, dir, null, anomaly, action, summary, { msgType: null, anomalyDetail: anomaly.detail });
    this.env.violation(ev, this.env.hrnow());
  }
}

/** Which sweep a request counts toward (rules' ATT&CK action classes), or null. */
function sweepKind(svc: ServiceRequest): SweepKind | null {
  switch (opcuaAction(svc)) {
    case 'discovery':
      return 'discovery';
    case 'browse':
    case 'read':
      return 'browse';
    case 'read_server':
      return 'server_info';
    default:
      return null;
  }
}
