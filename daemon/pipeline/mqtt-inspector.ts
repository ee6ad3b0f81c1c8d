/**
 * The MQTT inspector: fixed-header check → mqtt-packet → session → policy → act, both directions.
 *
 * Allowed packets are forwarded as views of the bytes they arrived in (consecutive allowed
 * packets of one chunk in one write). In enforce mode:
 * - CONNECT denied: CONNACK 0x87 (0x85 when the client id is not bound to the address; 3.1.1
 *   return codes 5 / 2), then close.
 * - PUBLISH denied: MQTT 5 PUBACK/PUBREC 0x87 (QoS 0: dropped). MQTT 3.1/3.1.1 has no negative
 *   ack: the conduit's `mqtt.v3_publish_deny` picks ack_drop (default: acknowledge, drop; the
 *   device keeps running) or close.
 * - SUBSCRIBE: denied filters get 0x87 (v5) / 0x80 (3.1.1) each; the allowed ones still
 *   subscribe (a rewritten SUBSCRIBE goes to the broker, its SUBACK is merged back in order).
 * - Broker deliveries outside the client's subscribe allowlist are dropped (and acknowledged
 *   to the broker so it does not redeliver).
 * - Malformed packets and fatal protocol-state anomalies close this connection only.
 * `on_violation: close` closes on any deny. Monitor mode forwards everything and records.
 */
import type { Anomaly, Direction } from '../../protocols/common';
import {
  encodeConnackRefusal,
  encodePubcomp,
  encodePublishAck,
  encodeSuback,
  encodeSubscribe,
  mqttFields,
  MqttPacketDecoder,
  MqttSession,
  subackDenied,
  summarizeMqtt,
  V5Reason,
  type MqttFrame,
  type MqttPacket,
  type MqttVersion,
  type PublishPacket,
  type Subscription,
  type SubscribePacket,
} from '../../protocols/mqtt';
import type { ClientRules } from '../../rules/compiled';
import {
  clientIdBound,
  DEFAULT_MQTT_CONDUIT,
  evaluateMqttConnect,
  evaluateMqttDelivery,
  evaluateMqttPublish,
  evaluateMqttSubscribe,
  type MqttIdentity,
} from '../../rules/matchers/mqtt';
import type { Verdict } from '../../rules/verdict';
import type { ActionSink, DecisionEvent, FlowContext, InspectorFactory, PipelineEnv, ProtocolInspector } from './contract';
import { makeEvent, viewOf, type FlowView } from './events';
import { PendingSubscribes } from './mqtt/pending-subscribes';

/** Packet size cap when no conduit says otherwise (rules/schema/policy.ts default for mqtt). */
const DEFAULT_MAX_PACKET = 1_048_576;
const DEFAULT_IN_FLIGHT = 16;

type Denied = Extract<Verdict, { allow: false }>;
/** What became of one packet: stays in the forward run, was taken out of it, or the connection closed. */
type Outcome = 'keep' | 'taken' | 'closed';

export const createMqttInspector: InspectorFactory = (ctx, env, sink) => new MqttInspector(ctx, env, sink);

class MqttInspector implements ProtocolInspector {
  private readonly parts: Record<Direction, Buffer[]> = { c2s: [], s2c: [] };
  private readonly partLen: Record<Direction, number> = { c2s: 0, s2c: 0 };
  /** Bytes needed before decoding is worth trying again (from the last `need`). */
  private readonly want: Record<Direction, number> = { c2s: 0, s2c: 0 };
  private readonly decoders: Record<Direction, MqttPacketDecoder> = { c2s: new MqttPacketDecoder(), s2c: new MqttPacketDecoder() };
  private readonly session: MqttSession;
  /** QoS 2 PUBLISHes the gateway answered with PUBREC itself: their PUBREL gets a local PUBCOMP. */
  private readonly localQos2: Record<Direction, Set<number>> = { c2s: new Set(), s2c: new Set() };
  private readonly subs: PendingSubscribes;
  private readonly maxLocal: number;
  /** After a fatal anomaly in monitor mode a direction is relayed blind (framing is lost). */
  private readonly blind: Record<Direction, boolean> = { c2s: false, s2c: false };
  private closed = false;
  /**
   * Sampled allowed packets of the chunk being fed, recorded once it has been forwarded (as the
   * Modbus inspector does): the event is the same, the packet no longer waits for it.
   */
  private readonly sampled: { readonly view: FlowView; readonly dir: Direction; readonly v: Verdict; readonly p: MqttPacket; readonly topic: string | null }[] = [];

  constructor(
    private readonly ctx: FlowContext,
    private readonly env: PipelineEnv,
    private readonly sink: ActionSink,
  ) {
    const conduit = viewOf(ctx, env.policy()).conduit;
    this.maxLocal = conduit?.limits.maxPendingRequests ?? DEFAULT_IN_FLIGHT;
    this.session = new MqttSession(this.maxLocal);
    this.subs = new PendingSubscribes(this.maxLocal);
  }

  feed(dir: Direction, chunk: Buffer): void {
    if (this.closed || chunk.length === 0) return;
    this.inspect(dir, chunk);
    if (this.sampled.length > 0) this.recordSampled();
  }

  private recordSampled(): void {
    for (const { view, dir, v, p, topic } of this.sampled) this.env.record(this.event(view, dir, v, 'forwarded', p, topic));
    this.sampled.length = 0;
  }

  /** Every other event: sampled packets decided before it are recorded first (arrival order). */
  private record(ev: DecisionEvent): void {
    if (this.sampled.length > 0) this.recordSampled();
    this.env.record(ev);
  }

  private inspect(dir: Direction, chunk: Buffer): void {
    if (this.blind[dir]) {
      this.sink.forward(dir, chunk);
      return;
    }
    this.parts[dir].push(chunk);
    this.partLen[dir] += chunk.length;
    if (this.partLen[dir] < this.want[dir]) return; // a large packet still arriving: no copy yet
    const parts = this.parts[dir];
    const buf = parts.length === 1 ? parts[0]! : Buffer.concat(parts, this.partLen[dir]);
    this.parts[dir] = [];
    this.partLen[dir] = 0;
    this.want[dir] = 0;

    const view = viewOf(this.ctx, this.env.policy());
    const max = view.conduit?.limits.maxFrameBytes ?? DEFAULT_MAX_PACKET;
    let off = 0;
    let pending = 0; // start of the run of allowed bytes not yet forwarded
    while (off < buf.length) {
      const r = this.decoders[dir].decode(buf, off, this.session.version, max);
      if (r.kind === 'need') {
        this.want[dir] = r.atLeast;
        break;
      }
      if (r.kind === 'malformed') {
        const action = view.enforcing ? 'closed' : this.passiveOr('forwarded');
        this.anomalyEvent(view, dir, r.anomaly, action, `malformed: ${r.anomaly.detail}`, {});
        if (view.enforcing) {
          this.flush(dir, buf, pending, off);
          this.shut(`mqtt anomaly ${r.anomaly.code}`);
          return;
        }
        if (r.fatal) {
          // Monitor / passive: framing is lost; pass the rest through untouched, decode no more.
          this.flush(dir, buf, pending, buf.length);
          this.blind[dir] = true;
          return;
        }
        off += r.consume;
        continue;
      }
      const out = this.onFrame(view, dir, r.frame, buf, pending, off);
      if (out === 'closed') return;
      off += r.consumed;
      if (out === 'taken') pending = off;
    }
    this.flush(dir, buf, pending, off);
    if (off < buf.length) {
      this.parts[dir] = [Buffer.from(buf.subarray(off))]; // own the bytes, free the chunk
      this.partLen[dir] = buf.length - off;
    }
  }

  private onFrame(view: FlowView, dir: Direction, frame: MqttFrame, buf: Buffer, pending: number, off: number): Outcome {
    const p = frame.packet;
    const evDir = dir === 'c2s' ? 'request' : 'response';
    const version = this.session.version ?? 4;

    // PUBREL for a QoS 2 PUBLISH the gateway acknowledged itself: complete it here.
    if (p.cmd === 'pubrel' && view.enforcing && this.localQos2[dir].delete(p.messageId ?? 0)) {
      this.flush(dir, buf, pending, off);
      this.sink.reply(dir, encodePubcomp(version, p.messageId!));
      return 'taken';
    }

    const obs = this.session.observe(dir, p);
    if (obs.anomaly !== null) {
      const closing = obs.fatal && view.enforcing;
      this.anomalyEvent(view, dir, obs.anomaly, closing ? 'closed' : this.passiveOr('forwarded'), summarizeMqtt(p, this.session.version, obs.topic), this.fields(p, obs.topic));
      if (closing) {
        this.flush(dir, buf, pending, off);
        this.shut(`mqtt anomaly ${obs.anomaly.code}`);
        return 'closed';
      }
    }
    if (view.policy === null) {
      this.env.count('mqtt', 'allow', evDir);
      if (this.ctx.passive) this.record(this.event(view, dir, null, 'observed', p, obs.topic));
      return 'keep';
    }
    const rules = view.conduit?.rulesFor(this.ctx.client.ip) ?? null;
    if (dir === 'c2s') {
      switch (p.cmd) {
        case 'connect':
          return this.onConnect(view, rules, p, buf, pending, off);
        case 'publish':
          return this.onPublish(view, rules, p, obs.topic ?? p.topic, buf, pending, off);
        case 'subscribe':
          return this.onSubscribe(view, rules, p, buf, pending, off);
        default:
          this.env.count('mqtt', 'allow', 'request');
          this.observed(view, dir, p, obs.topic);
          return 'keep';
      }
    }
    if (p.cmd === 'suback' && this.subs.has(p.messageId ?? 0)) {
      const codes = this.subs.merge(p.messageId!, (p.granted as number[]) ?? [], subackDenied(version));
      this.flush(dir, buf, pending, off);
      const merged = { ...p, granted: codes! };
      this.sink.forward(dir, encodeSuback(version, p.messageId!, codes!));
      this.env.count('mqtt', 'allow', 'response');
      // Recorded always: it completes a refused SUBSCRIBE (what the client was finally granted).
      this.record(this.event(view, dir, null, 'forwarded', merged, null));
      return 'taken';
    }
    if (p.cmd === 'publish') return this.onDelivery(view, rules, p, obs.topic ?? p.topic, buf, pending, off);
    this.env.count('mqtt', 'allow', 'response');
    this.observed(view, dir, p, obs.topic);
    return 'keep';
  }

  /** The passive monitor records every PDU (no policy decision: verdict null); the proxy does not. */
  private observed(view: FlowView, dir: Direction, p: MqttPacket, topic: string | null): void {
    if (this.ctx.passive) this.record(this.event(view, dir, null, 'observed', p, topic));
  }

  private onConnect(view: FlowView, rules: ClientRules | null, p: Extract<MqttPacket, { cmd: 'connect' }>, buf: Buffer, pending: number, off: number): Outcome {
    const opts = view.conduit?.mqtt ?? DEFAULT_MQTT_CONDUIT;
    const will = p.will ? { topic: p.will.topic, qos: p.will.qos ?? 0, retain: p.will.retain ?? false, payload: p.will.payload } : null;
    const v = evaluateMqttConnect(rules, this.identity(), will, this.env.now(), opts);
    if (v.allow) return this.allowed(view, 'c2s', v, p, null);
    const version = this.session.version ?? 4;
    return this.denied(view, 'c2s', v, p, null, buf, pending, off, () => {
      const badId = v.reason === 'mqtt_client_not_allowed' && !clientIdBound(rules, p.clientId, this.env.now());
      this.sink.reply('c2s', encodeConnackRefusal(version, badId));
      return 'close';
    });
  }

  private onPublish(view: FlowView, rules: ClientRules | null, p: PublishPacket, topic: string, buf: Buffer, pending: number, off: number): Outcome {
    const opts = view.conduit?.mqtt ?? DEFAULT_MQTT_CONDUIT;
    const v = evaluateMqttPublish(rules, this.identity(), { topic, qos: p.qos, retain: p.retain, payload: p.payload }, this.env.now(), opts);
    if (v.allow) return this.allowed(view, 'c2s', v, p, topic);
    const version = this.session.version ?? 4;
    return this.denied(view, 'c2s', v, p, topic, buf, pending, off, () => {
      if (version !== 5 && opts.v3PublishDeny === 'close') return 'close';
      return this.ackLocally('c2s', version, p);
    });
  }

  /** Answers a PUBLISH the gateway drops: PUBACK/PUBREC (0x87 in MQTT 5), nothing for QoS 0. */
  private ackLocally(dir: Direction, version: MqttVersion, p: PublishPacket): 'refused' | 'dropped' {
    if (p.qos === 0 || !p.messageId) return 'dropped';
    this.session.release(dir, p.messageId);
    // MQTT 5: 0x87 toward the client; toward the broker (a dropped delivery) plain success.
    const reason = version === 5 && dir === 'c2s' ? V5Reason.NotAuthorized : V5Reason.Success;
    this.sink.reply(dir, encodePublishAck(version, p.qos, p.messageId, reason));
    // A QoS 2 flow continues with PUBREL unless MQTT 5 ended it with a failure code (v5 §4.3.3).
    if (p.qos === 2 && reason < 0x80 && this.localQos2[dir].size < this.maxLocal) this.localQos2[dir].add(p.messageId);
    return dir === 'c2s' ? 'refused' : 'dropped';
  }

  private onSubscribe(view: FlowView, rules: ClientRules | null, p: SubscribePacket, buf: Buffer, pending: number, off: number): Outcome {
    const now = this.env.now();
    const version = this.session.version ?? 4;
    const id = this.identity();
    const keep: Subscription[] = [];
    const slots: (number | null)[] = [];
    let firstDeny: Denied | null = null;
    let allowVerdict: Verdict | null = null;
    let downgraded = false;
    for (const s of p.subscriptions) {
      const { verdict, qos } = evaluateMqttSubscribe(rules, id, s.topic, s.qos, now);
      if (verdict.allow) {
        allowVerdict ??= verdict;
        if (qos !== s.qos) downgraded = true;
        keep.push(qos === s.qos ? s : { ...s, qos });
        slots.push(null);
      } else {
        firstDeny ??= verdict;
        slots.push(subackDenied(version));
      }
    }
    if (firstDeny === null) {
      if (!downgraded || !view.enforcing) return this.allowed(view, 'c2s', allowVerdict!, p, null);
      this.flush('c2s', buf, pending, off);
      this.sink.forward('c2s', encodeSubscribe(version, p, keep));
      this.allowed(view, 'c2s', allowVerdict!, p, null);
      return 'taken';
    }
    const denied = p.subscriptions.filter((_, i) => slots[i] !== null).map((s) => s.topic);
    const detail: Denied = { ...firstDeny, detail: `${firstDeny.detail}${denied.length > 1 ? ` (+${denied.length - 1} more)` : ''}` };
    return this.denied(view, 'c2s', detail, p, null, buf, pending, off, () => {
      if (keep.length === 0 || !this.subs.add(p.messageId!, slots)) {
        this.session.release('c2s', p.messageId!);
        this.sink.reply('c2s', encodeSuback(version, p.messageId!, slots.map((s) => s ?? subackDenied(version))));
        return 'refused';
      }
      // The broker sees only the allowed filters (same packet id, still in flight); its SUBACK is merged back.
      this.sink.forward('c2s', encodeSubscribe(version, p, keep));
      return 'refused';
    });
  }

  private onDelivery(view: FlowView, rules: ClientRules | null, p: PublishPacket, topic: string, buf: Buffer, pending: number, off: number): Outcome {
    const v = evaluateMqttDelivery(rules, this.identity(), topic, this.env.now());
    if (v.allow) return this.allowed(view, 's2c', v, p, topic);
    const version = this.session.version ?? 4;
    return this.denied(view, 's2c', v, p, topic, buf, pending, off, () => this.ackLocally('s2c', version, p));
  }

  private allowed(view: FlowView, dir: Direction, v: Verdict, p: MqttPacket, topic: string | null): Outcome {
    const evDir = dir === 'c2s' ? 'request' : 'response';
    this.env.count('mqtt', 'allow', evDir);
    if (this.ctx.passive) this.record(this.event(view, dir, v, 'observed', p, topic));
    else if (this.env.sampleAllowed()) this.sampled.push({ view, dir, v, p, topic }); // recorded after the forward (feed)
    return 'keep';
  }

  /**
   * A deny: monitor mode records and forwards; enforce mode flushes the allowed run, then
   * `act` answers (refused / dropped) or asks to close; `on_violation: close` always closes.
   */
  private denied(
    view: FlowView, dir: Direction, v: Denied, p: MqttPacket, topic: string | null,
    buf: Buffer, pending: number, off: number, act: () => 'refused' | 'dropped' | 'close',
  ): Outcome {
    this.env.count('mqtt', 'deny', dir === 'c2s' ? 'request' : 'response');
    if (!view.enforcing) {
      const ev = this.event(view, dir, v, this.passiveOr('alerted'), p, topic);
      this.record(ev);
      this.env.violation(ev, this.env.hrnow());
      return 'keep';
    }
    this.flush(dir, buf, pending, off);
    let action: DecisionEvent['action'] = 'closed';
    if (view.conduit?.onViolation !== 'close') {
      const r = act();
      if (r === 'close') {
        // CONNECT refusals have already replied; others close without a word.
      } else {
        action = r;
      }
    }
    const ev = this.event(view, dir, v, action, p, topic);
    this.record(ev);
    this.env.violation(ev, this.env.hrnow());
    if (action === 'closed') {
      this.shut(`policy: ${v.reason}`);
      return 'closed';
    }
    return 'taken';
  }

  tick(_now: number): void {
    // Keep-alive is the broker's job; nothing here expires.
  }

  end(): void {
    this.closed = true;
    this.parts.c2s = [];
    this.parts.s2c = [];
    this.subs.clear();
  }

  private identity(): MqttIdentity {
    return { clientId: this.session.clientId ?? '', username: this.session.username };
  }

  private passiveOr(action: DecisionEvent['action']): DecisionEvent['action'] {
    return this.ctx.passive ? 'observed' : action;
  }

  private flush(dir: Direction, buf: Buffer, from: number, to: number): void {
    if (to > from) this.sink.forward(dir, from === 0 && to === buf.length ? buf : buf.subarray(from, to));
  }

  private shut(reason: string): void {
    this.closed = true;
    this.sink.close(reason);
  }

  private fields(p: MqttPacket, topic: string | null): Record<string, unknown> {
    return mqttFields(p, this.session.version, topic);
  }

  private anomalyEvent(view: FlowView, dir: Direction, a: Anomaly, action: DecisionEvent['action'], summary: string, fields: Record<string, unknown>): void {
    this.env.count('mqtt', 'anomaly', dir === 'c2s' ? 'request' : 'response');
    const ev = makeEvent(this.ctx, 'mqtt', this.env.now(), view.policy, { dir: dir === 'c2s' ? 'request' : 'response', verdict: null, anomaly: a, action, summary, fields });
    this.record(ev);
    this.env.violation(ev, this.env.hrnow());
  }

  private event(view: FlowView, dir: Direction, v: Verdict | null, action: DecisionEvent['action'], p: MqttPacket, topic: string | null): DecisionEvent {
    return makeEvent(this.ctx, 'mqtt', this.env.now(), view.policy, {
      dir: dir === 'c2s' ? 'request' : 'response',
      verdict: v,
      anomaly: null,
      action,
      summary: summarizeMqtt(p, this.session.version, topic),
      fields: this.fields(p, topic),
    });
  }
}
