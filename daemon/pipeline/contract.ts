/**
 * The seam every protocol plugs into. One pipeline serves the proxy and the passive (pcap /
 * SPAN) monitor: a per-connection ProtocolInspector is fed the bytes of each direction, decodes
 * them with protocols/<p>, asks rules/ for a verdict, and tells its ActionSink what to do.
 * Only the byte source and the enforcement switch (`FlowContext.passive` + the conduit's mode)
 * differ between proxy and monitor. Inspectors are pure of I/O: no sockets, timers, fs or logs.
 */
import type { Direction } from '../../protocols/common';
import type { CompiledPolicy } from '../../rules/compiled';

export type ProtocolName = 'modbus' | 'opcua' | 'mqtt';

export interface Endpoint {
  readonly ip: string;
  readonly port: number;
}

export interface FlowContext {
  /** Stable id for this connection / TCP flow (appears in every event). */
  readonly flowId: string;
  /** Conduit name; null for the passive monitor without a policy (decode only). */
  readonly conduit: string | null;
  readonly protocol: ProtocolName;
  readonly client: Endpoint;
  readonly server: Endpoint;
  /** True for the pcap / SPAN monitor: never act, only decode, evaluate and record. */
  readonly passive: boolean;
  /**
   * False when no consumer reads DecisionEvent.summary (the offline audit's JSON output, learn):
   * inspectors that pass a summary function (EventParts in events.ts) then skip building it and
   * the summary is ''. Absent = true.
   */
  readonly summaries?: boolean;
}

/** What an inspector asks its byte source to do. The monitor's sink ignores all of it. */
export interface ActionSink {
  /** Send bytes on toward the other peer (c2s → server, s2c → client). May be a view of the input chunk. */
  forward(dir: Direction, bytes: Buffer): void;
  /** Send bytes back to the peer that sent `dir` traffic (a protocol-native refusal). */
  reply(dir: Direction, bytes: Buffer): void;
  /** Close both sides of this connection (malformed or hostile input, channel policy violation). */
  close(reason: string): void;
}

/** One decision of interest, as it goes to SQLite, logs, the SIEM and `otgate audit --json`. */
export interface DecisionEvent {
  /** Milliseconds since the epoch (for pcap: the packet's capture time). */
  readonly ts: number;
  readonly flow: string;
  readonly conduit: string | null;
  readonly proto: ProtocolName;
  /** "ip:port" of the sender and the receiver of this PDU. */
  readonly src: string;
  readonly dst: string;
  readonly clientAsset: string | null;
  readonly serverAsset: string | null;
  readonly dir: 'request' | 'response';
  /** null when no policy was evaluated (decode-only monitor, or a connection-level event). */
  readonly verdict: 'allow' | 'deny' | null;
  /**
   * What happened on the wire: forwarded; refused (protocol-native refusal sent, frame dropped);
   * dropped (silently); closed (connection closed); alerted (monitor mode: would have been
   * denied, forwarded anyway); observed (passive capture).
   */
  readonly action: 'forwarded' | 'refused' | 'dropped' | 'closed' | 'alerted' | 'observed';
  readonly rule: string | null;
  /** Deny reason code (rules/reasons.ts) or null. */
  readonly reason: string | null;
  /** Anomaly code (protocols/<p>/anomalies.ts) or null. */
  readonly anomaly: string | null;
  readonly technique: string | null;
  /** One human line, e.g. "FC 16 write holding_registers 100..100 = [600] unit 1". */
  readonly summary: string;
  /** Protocol fields exactly as documented for `otgate audit --json` (docs/audit-json.md). */
  readonly fields: Readonly<Record<string, unknown>>;
}

/** The daemon (or monitor) side the inspector reads from and reports to. */
export interface PipelineEnv {
  /** The running policy; read per frame so a reload applies to open connections. */
  policy(): CompiledPolicy | null;
  /** Milliseconds; injected so tests and pcap replay control time. */
  now(): number;
  /** Monotonic nanoseconds (process.hrtime.bigint() in the daemon): frame arrival for trip timings. */
  hrnow(): bigint;
  /** Record a decision event (batched, off the forwarding path). */
  record(event: DecisionEvent): void;
  /** True when this allowed frame should be recorded as a row (sampling); denies always are. */
  sampleAllowed(): boolean;
  /** Count one frame by protocol and outcome (counters are declared in daemon/stats.ts). */
  count(proto: ProtocolName, outcome: 'allow' | 'deny' | 'anomaly', dir: 'request' | 'response'): void;
  /** A policy-driven violation hook (relay trip policy); never blocks. */
  violation(event: DecisionEvent, arrivedAt: bigint): void;
  /**
   * Optional always-on traffic counter for one flow (the audit store's per-minute
   * traffic_counts): call once per connection, then once per decided PDU with its service key
   * ("fc3", "ReadRequest", "publish") and, when the inspector has it, the env.now() it already
   * read (one clock read fewer per PDU). Independent of sampleAllowed(), which only decides rows.
   */
  flowCounter?(ctx: FlowContext): (service: string, verdict: 'allow' | 'deny', ts?: number) => void;
}

export interface ProtocolInspector {
  /**
   * Bytes that arrived in direction `dir`. Never throws on wire input. With `borrowsChunks`,
   * `chunk` may be a view of a buffer the byte source reuses once feed() returns.
   */
  feed(dir: Direction, chunk: Buffer): void;
  /**
   * True when feed() reads `chunk` only while it runs: nothing it keeps (carried bytes, frames
   * kept for pairing, events) reads the chunk's bytes later, and what it forwards the sink may
   * copy. The proxy then reads the device side into one reused buffer (no allocation and no
   * stream machinery per read). Absent/false: every chunk is the inspector's to keep.
   */
  readonly borrowsChunks?: boolean;
  /** Called about once a second with env.now(): request timeouts and similar. */
  tick(now: number): void;
  /** The connection ended (either side). */
  end(): void;
}

export type InspectorFactory = (ctx: FlowContext, env: PipelineEnv, sink: ActionSink) => ProtocolInspector;
