/**
 * The passive monitor: captured TCP segments → flows → reassembly → protocol detection → the
 * same per-connection ProtocolInspector the proxy uses (daemon/pipeline/registry.ts), created
 * with `passive: true` and a sink that never acts. The env's clock is the capture clock, so
 * timestamps, time windows and request timeouts follow the recording, not the wall clock.
 *
 * Resynchronisation: a flow seen without its SYN, or a direction with a gap, cannot trust its
 * framing. The flow's inspector is then replaced by a fresh one (its transaction state no
 * longer matches the wire) and each direction's bytes are held and scanned by the protocol's
 * boundary probe (probes.ts) until a trusted frame start is found; decoding resumes there.
 * Skipped bytes are counted. Responses whose requests fell in the gap show up as the
 * protocol's own "unsolicited response" anomaly.
 *
 * Bounded: at most `maxFlows` flows (least recently active evicted first), reassembly holds
 * per direction and in total are capped (reassembly.ts), detection looks at DETECT_WINDOW bytes
 * per direction, resync waits for at most `maxResyncBytes`. Never throws on capture input; an
 * inspector that throws (an otgate bug) costs its flow only.
 */
import { anomaly, type Anomaly, type Direction } from '../../protocols/common';
import type { CompiledConduit, CompiledPolicy } from '../../rules/compiled';
import type { ActionSink, DecisionEvent, Endpoint, FlowContext, InspectorFactory, PipelineEnv, ProtocolInspector, ProtocolName } from '../pipeline/contract';
import { makeEvent } from '../pipeline/events';
import { inspectorFor } from '../pipeline/registry';
import { StreamAnomalies } from './anomalies';
import { DETECT_WINDOW, guessByContent, serverSide, WELL_KNOWN_PORTS } from './detect';
import { decodeTcpRange, TcpFlag, TcpView, type TcpSegment } from './packet';
import { findBoundary } from './probes';
import { DEFAULT_REASSEMBLY_LIMITS, TcpReassembler, type HeldBudget, type ReassemblyLimits } from './reassembly';

export interface PassiveOptions {
  /** Compiled policy to evaluate against; null decodes only (verdict null). */
  readonly policy: CompiledPolicy | null;
  readonly onEvent: (e: DecisionEvent) => void;
  /** Policy violations (denies, anomalies) as the proxy reports them: the relay trip hook. */
  readonly onViolation?: (e: DecisionEvent, arrivedAt: bigint) => void;
  readonly maxFlows?: number;
  readonly reassembly?: ReassemblyLimits;
  /** Bytes held across all flows while reordering. */
  readonly maxHeldTotal?: number;
  readonly maxResyncBytes?: number;
  /** Extra port → protocol hints (non-standard ports known to the operator). */
  readonly ports?: ReadonlyMap<number, ProtocolName>;
  /** Inspector lookup; the registry by default. */
  readonly inspectorFor?: (p: ProtocolName) => InspectorFactory | null;
  /** False when nobody reads DecisionEvent.summary (JSON output, learn): inspectors skip building it. */
  readonly summaries?: boolean;
}

export interface PassiveStats {
  packets: number;
  bytes: number;
  tcpSegments: number;
  nonTcp: number;
  flows: number;
  flowsByProto: Record<string, number>;
  events: number;
  anomalies: number;
  denies: number;
  retransmissions: number;
  gaps: number;
  skippedBytes: number;
  evicted: number;
  internalErrors: number;
}

const NULL_SINK: ActionSink = Object.freeze({ forward() {}, reply() {}, close() {} });

type FlowProto = ProtocolName | 'tls' | 'unknown' | 'unsupported' | null;

interface DirState {
  /** Bytes held for detection or resync (owned copies). */
  buf: Buffer | null;
  synced: boolean;
}

interface Flow {
  readonly id: string;
  /** Lookup key: the canonical 4-tuple text, or (IPv4) the two endpoints packed as ip·2^16 + port. */
  readonly key: string | null;
  readonly lo: number;
  readonly hi: number;
  /** IPv4 flows: v4Key of the endpoints, and the next flow with the same key. */
  readonly hash: number;
  next: Flow | undefined;
  /** The client endpoint packed as ip·2^16 + port (IPv4 flows). */
  readonly clientN: number;
  readonly client: Endpoint;
  readonly server: Endpoint;
  readonly midstream: boolean;
  midstreamReported: boolean;
  /** The first direction seen with data (detection looks at it first). */
  firstDir: Direction | null;
  proto: FlowProto;
  ctx: FlowContext | null;
  inspector: ProtocolInspector | null;
  readonly c2s: TcpReassembler;
  readonly s2c: TcpReassembler;
  readonly dirs: { c2s: DirState; s2c: DirState };
  closed: boolean;
  /** Runner clock at the last move to the back of the LRU order. */
  touched: number;
}

const ep = (ip: string, port: number): Endpoint => ({ ip, port });
/** A 30-bit key for an IPv4 flow, the same in both directions (XOR of the two endpoints' mixes). */
const v4Key = (ip1: number, port1: number, ip2: number, port2: number): number =>
  (Math.imul(ip1 ^ (port1 << 15), 0x9e3779b1) ^ Math.imul(ip2 ^ (port2 << 15), 0x9e3779b1)) & 0x3fffffff;
const keyOf = (a: string, ap: number, b: string, bp: number): string =>
  a < b || (a === b && ap < bp) ? `${a}|${ap}|${b}|${bp}` : `${b}|${bp}|${a}|${ap}`;
const pduDir = (d: Direction): 'request' | 'response' => (d === 'c2s' ? 'request' : 'response');

export class PassiveRunner {
  readonly stats: PassiveStats = {
    packets: 0, bytes: 0, tcpSegments: 0, nonTcp: 0, flows: 0, flowsByProto: {}, events: 0,
    anomalies: 0, denies: 0, retransmissions: 0, gaps: 0, skippedBytes: 0, evicted: 0, internalErrors: 0,
  };
  /** Every flow, least recently active first (the eviction order). */
  private readonly flows = new Set<Flow>();
  /** IPv6 (and text-given) flows by canonical 4-tuple text. */
  private readonly byText = new Map<string, Flow>();
  /**
   * IPv4 flows by v4Key (a small integer: V8 hashes it without boxing), chained through
   * Flow.next on a collision and told apart by their packed endpoints: no key text per packet.
   */
  private readonly byV4 = new Map<number, Flow>();
  private readonly view = new TcpView();
  private readonly budget: HeldBudget;
  private readonly env: PipelineEnv;
  private nowMs = 0;
  private lastTickSec = -1;
  private nextId = 1;
  private clock = 0;

  constructor(private readonly o: PassiveOptions) {
    this.budget = { held: 0, max: o.maxHeldTotal ?? 32 * 1024 * 1024 };
    const self = this;
    this.env = {
      policy: () => o.policy,
      now: () => self.nowMs,
      hrnow: () => process.hrtime.bigint(),
      record: (e) => self.emit(e),
      sampleAllowed: () => true,
      count: () => undefined,
      violation: (e, t) => o.onViolation?.(e, t),
    };
  }

  /** One captured frame: `tsMs` capture time, `linkType` a LINKTYPE_* number. */
  packet(tsMs: number, linkType: number, frame: Buffer): void {
    this.packetAt(tsMs, linkType, frame, 0, frame.length);
  }

  /** One captured frame at buf[start, end) (a capture file's chunk: no view made per frame). */
  packetAt(tsMs: number, linkType: number, buf: Buffer, start: number, end: number): void {
    this.stats.packets++;
    this.stats.bytes += end - start;
    if (!decodeTcpRange(linkType, buf, start, end, this.view)) {
      this.stats.nonTcp++;
      return;
    }
    this.step(tsMs, this.view);
  }

  /** One TCP segment (tests and other sources can feed these directly). */
  segment(tsMs: number, seg: TcpSegment): void {
    this.step(tsMs, this.view.from(seg));
  }

  private step(tsMs: number, v: TcpView): void {
    this.nowMs = tsMs;
    this.stats.tcpSegments++;
    try {
      this.onSegment(v);
    } catch (err) {
      // An otgate bug (inspectors never throw on wire input): drop this flow, carry on.
      this.stats.internalErrors++;
      const f = this.lookup(v);
      if (f) {
        f.closed = true;
        f.inspector = null;
      }
    }
    const sec = Math.floor(tsMs / 1000);
    if (sec > this.lastTickSec) {
      this.lastTickSec = sec;
      for (const f of this.flows) if (!f.closed && f.inspector) f.inspector.tick(tsMs);
    }
  }

  private lookup(v: TcpView): Flow | undefined {
    if (!v.v4) return this.byText.get(keyOf(v.src, v.sport, v.dst, v.dport));
    const a = v.srcN * 65536 + v.sport;
    const b = v.dstN * 65536 + v.dport;
    const lo = a < b ? a : b;
    const hi = a < b ? b : a;
    let f = this.byV4.get(v4Key(v.srcN, v.sport, v.dstN, v.dport));
    while (f !== undefined && (f.lo !== lo || f.hi !== hi)) f = f.next;
    return f;
  }

  private forget(f: Flow): void {
    this.flows.delete(f);
    if (f.key !== null) {
      this.byText.delete(f.key);
      return;
    }
    const head = this.byV4.get(f.hash);
    if (head === f) {
      if (f.next === undefined) this.byV4.delete(f.hash);
      else this.byV4.set(f.hash, f.next);
      return;
    }
    for (let p = head; p !== undefined; p = p.next) {
      if (p.next === f) {
        p.next = f.next;
        return;
      }
    }
  }

  private index(f: Flow): void {
    if (f.key !== null) {
      this.byText.set(f.key, f);
      return;
    }
    f.next = this.byV4.get(f.hash);
    this.byV4.set(f.hash, f);
  }

  /** End of capture: deliver what reassembly holds, end every inspector (no timeouts invented). */
  finish(): void {
    for (const f of this.flows) this.close(f);
  }

  private onSegment(v: TcpView): void {
    const syn = (v.flags & TcpFlag.SYN) !== 0;
    const ackf = (v.flags & TcpFlag.ACK) !== 0;
    let f = this.lookup(v);
    if (f !== undefined && f.closed && syn && !ackf) {
      this.forget(f); // port reuse: a new connection on the same 4-tuple
      f = undefined;
    }
    if (f === undefined) {
      f = this.newFlow(v, syn, ackf);
      if (this.flows.size >= (this.o.maxFlows ?? 10000)) this.evictOldest();
      this.flows.add(f);
      this.index(f);
      f.touched = ++this.clock;
    } else if (this.clock - f.touched > this.flows.size >> 2) {
      // Approximate LRU: move the flow to the back of the insertion order only when a quarter
      // of the table has been touched since, so hot flows cost no churn per packet.
      this.flows.delete(f);
      this.flows.add(f);
      f.touched = ++this.clock;
    } else {
      this.clock++;
    }
    if (f.closed) return;

    const fromClient = v.v4 ? v.srcN * 65536 + v.sport === f.clientN : v.src === f.client.ip && v.sport === f.client.port;
    const dir: Direction = fromClient ? 'c2s' : 's2c';
    const mine = fromClient ? f.c2s : f.s2c;
    const other = fromClient ? f.s2c : f.c2s;
    if (syn) {
      mine.syn(v.seq);
      if (ackf) other.syn((v.ack - 1) >>> 0); // SYN-ACK: the client's ISN is ack - 1
      return; // data on SYN (TFO) is not decoded
    }
    // The peer's ACK covers bytes the capture never showed us: those holes are lost.
    if (ackf) other.ack(v.ack);
    if ((v.flags & TcpFlag.RST) !== 0) {
      this.close(f);
      return;
    }
    const len = v.end - v.start;
    if (len > 0 && f.firstDir === null) f.firstDir = dir;
    mine.segment(v.seq, v.payload(), (v.flags & TcpFlag.FIN) !== 0);
    if (f.c2s.finished && f.s2c.finished) this.close(f);
  }

  private newFlow(v: TcpView, syn: boolean, ackf: boolean): Flow {
    let clientIsSrc: boolean;
    if (syn) clientIsSrc = !ackf;
    else clientIsSrc = serverSide(v.sport, v.dport) === 'dst';
    const hinted = this.o.ports;
    if (!syn && hinted) {
      if (hinted.has(v.dport)) clientIsSrc = true;
      else if (hinted.has(v.sport)) clientIsSrc = false;
    }
    const src = v.srcText();
    const dst = v.dstText();
    const client = clientIsSrc ? ep(src, v.sport) : ep(dst, v.dport);
    const server = clientIsSrc ? ep(dst, v.dport) : ep(src, v.sport);
    const a = v.v4 ? v.srcN * 65536 + v.sport : 0;
    const b = v.v4 ? v.dstN * 65536 + v.dport : 0;
    const id = `f${this.nextId++}`;
    const dirs = { c2s: { buf: null, synced: syn }, s2c: { buf: null, synced: syn } };
    const flow: Flow = {
      id,
      key: v.v4 ? null : keyOf(src, v.sport, dst, v.dport),
      lo: Math.min(a, b),
      hi: Math.max(a, b),
      hash: v.v4 ? v4Key(v.srcN, v.sport, v.dstN, v.dport) : 0,
      next: undefined,
      clientN: clientIsSrc ? a : b,
      client, server, midstream: !syn, midstreamReported: false, firstDir: null,
      proto: null, ctx: null, inspector: null, dirs, closed: false, touched: 0,
      c2s: null as unknown as TcpReassembler,
      s2c: null as unknown as TcpReassembler,
    };
    const limits = this.o.reassembly ?? DEFAULT_REASSEMBLY_LIMITS;
    (flow as { c2s: TcpReassembler }).c2s = new TcpReassembler(this.sinkFor(flow, 'c2s'), limits, this.budget);
    (flow as { s2c: TcpReassembler }).s2c = new TcpReassembler(this.sinkFor(flow, 's2c'), limits, this.budget);
    const byPort = hinted?.get(server.port) ?? WELL_KNOWN_PORTS.get(server.port) ?? null;
    if (byPort !== null) this.setProto(flow, byPort);
    this.stats.flows++;
    return flow;
  }

  private sinkFor(f: Flow, dir: Direction) {
    return {
      data: (bytes: Buffer) => this.onData(f, dir, bytes),
      gap: (missing: number, cause: 'lost' | 'held_limit' | 'end') => this.onGap(f, dir, missing, cause),
      overlapMismatch: () => this.streamAnomaly(f, dir, anomaly(StreamAnomalies.overlap_mismatch, 'overlapping segments disagree; first copy kept')),
    };
  }

  private setProto(f: Flow, p: FlowProto): void {
    f.proto = p;
    const key = p ?? 'unknown';
    this.stats.flowsByProto[key] = (this.stats.flowsByProto[key] ?? 0) + 1;
    if (p !== 'modbus' && p !== 'opcua' && p !== 'mqtt') return;
    const factory = (this.o.inspectorFor ?? inspectorFor)(p);
    if (factory === null) {
      f.proto = 'unsupported';
      this.stats.flowsByProto[key]!--;
      this.stats.flowsByProto[`${p} (no inspector)`] = (this.stats.flowsByProto[`${p} (no inspector)`] ?? 0) + 1;
      return;
    }
    f.ctx = Object.freeze({
      flowId: f.id,
      conduit: conduitFor(this.o.policy, p, f.client, f.server)?.name ?? null,
      protocol: p,
      client: f.client,
      server: f.server,
      passive: true,
      summaries: this.o.summaries ?? true,
    });
    f.inspector = factory(f.ctx, this.env, NULL_SINK);
  }

  private onData(f: Flow, dir: Direction, bytes: Buffer): void {
    if (f.closed) return;
    if (f.proto === null) {
      this.hold(f, dir, bytes, DETECT_WINDOW);
      const a = f.dirs[f.firstDir ?? dir].buf ?? Buffer.alloc(0);
      const other = f.firstDir === 'c2s' ? 's2c' : 'c2s';
      const b = f.dirs[other].buf ?? Buffer.alloc(0);
      const g = guessByContent(a, b, !f.midstream);
      if (g === 'need') return;
      this.setProto(f, g);
      if (f.inspector === null) {
        f.dirs.c2s.buf = null;
        f.dirs.s2c.buf = null;
        return;
      }
      // Replay what detection held, requests first so responses pair with them.
      for (const d of ['c2s', 's2c'] as const) {
        const held = f.dirs[d].buf;
        f.dirs[d].buf = null;
        if (held !== null) this.deliver(f, d, held);
      }
      return;
    }
    if (f.inspector === null) return;
    this.deliver(f, dir, bytes);
  }

  /** Feed the inspector, or look for a trusted frame boundary first when this direction lost sync. */
  private deliver(f: Flow, dir: Direction, bytes: Buffer): void {
    if (f.midstream && !f.midstreamReported) {
      f.midstreamReported = true;
      this.streamAnomaly(f, dir, anomaly(StreamAnomalies.midstream_start, 'no SYN seen: the capture started inside this connection'));
    }
    const st = f.dirs[dir];
    if (st.synced) {
      f.inspector!.feed(dir, bytes);
      return;
    }
    const maxWait = this.o.maxResyncBytes ?? 65536;
    const buf = st.buf === null ? bytes : Buffer.concat([st.buf, bytes]);
    const r = findBoundary(f.proto as ProtocolName, buf, pduDir(dir), maxWait);
    if (r.kind === 'at') {
      this.stats.skippedBytes += r.offset;
      st.buf = null;
      st.synced = true;
      f.inspector!.feed(dir, buf.subarray(r.offset));
      return;
    }
    this.stats.skippedBytes += r.from;
    st.buf = r.from >= buf.length ? null : Buffer.from(buf.subarray(r.from));
  }

  private onGap(f: Flow, dir: Direction, missing: number, cause: 'lost' | 'held_limit' | 'end'): void {
    this.stats.gaps++;
    if (f.closed) return;
    if (f.proto === null) {
      // Not detected yet: the held bytes are no longer contiguous; start detection afresh.
      f.dirs[dir].buf = null;
      return;
    }
    if (f.inspector === null || f.ctx === null) return;
    const spec = cause === 'held_limit' ? StreamAnomalies.out_of_order_limit : StreamAnomalies.gap;
    this.streamAnomaly(f, dir, anomaly(spec, `${missing} byte(s) missing from the ${pduDir(dir)} direction`));
    // Fresh decoder state; both directions resynchronise (the other one loses only a partial frame, if any).
    f.inspector.end();
    f.inspector = (this.o.inspectorFor ?? inspectorFor)(f.ctx.protocol)!(f.ctx, this.env, NULL_SINK);
    f.dirs.c2s = { buf: null, synced: false };
    f.dirs.s2c = { buf: null, synced: false };
  }

  private hold(f: Flow, dir: Direction, bytes: Buffer, cap: number): void {
    const st = f.dirs[dir];
    const room = cap - (st.buf?.length ?? 0);
    if (room <= 0) return;
    const part = bytes.length > room ? bytes.subarray(0, room) : bytes;
    st.buf = st.buf === null ? Buffer.from(part) : Buffer.concat([st.buf, part]);
  }

  private streamAnomaly(f: Flow, dir: Direction, a: Anomaly): void {
    if (f.ctx === null) return;
    const ev = makeEvent(f.ctx, f.ctx.protocol, this.nowMs, this.o.policy, {
      dir: pduDir(dir), verdict: null, anomaly: a, action: 'observed', summary: a.detail, fields: {},
    });
    this.emit(ev);
    this.o.onViolation?.(ev, process.hrtime.bigint());
  }

  private emit(e: DecisionEvent): void {
    this.stats.events++;
    if (e.anomaly !== null) this.stats.anomalies++;
    if (e.verdict === 'deny') this.stats.denies++;
    this.o.onEvent(e);
  }

  private close(f: Flow): void {
    if (f.closed) return;
    f.c2s.flush();
    f.s2c.flush();
    this.stats.retransmissions += f.c2s.retransmitted + f.s2c.retransmitted;
    f.closed = true;
    f.inspector?.end();
    f.inspector = null;
    f.dirs.c2s.buf = null;
    f.dirs.s2c.buf = null;
  }

  private evictOldest(): void {
    const first = this.flows.values().next();
    if (first.done) return;
    const f = first.value;
    this.forget(f);
    if (f.closed) return;
    this.stats.evicted++;
    this.streamAnomaly(f, f.firstDir ?? 'c2s', anomaly(StreamAnomalies.flow_evicted, 'flow table full: least recently active flow dropped'));
    this.close(f);
  }
}

/**
 * The conduit a captured flow belongs to: the one whose protocol matches and whose upstream
 * (or listen address, for captures taken on the gateway's client side) is the flow's server.
 * Several conduits can front one device (one per client zone): the one with rules for this
 * client wins. null when none fits (the inspector then applies default deny).
 */
export function conduitFor(policy: CompiledPolicy | null, proto: ProtocolName, client: Endpoint, server: Endpoint): CompiledConduit | null {
  if (policy === null) return null;
  let fallback: CompiledConduit | null = null;
  for (const c of policy.conduits.values()) {
    if (c.protocol !== proto) continue;
    const up = c.upstream.host === server.ip && c.upstream.port === server.port;
    const listen = c.listen.host === server.ip && c.listen.port === server.port;
    if (!up && !listen) continue;
    if (c.rulesFor(client.ip) !== null) return c;
    fallback ??= c;
  }
  return fallback;
}
