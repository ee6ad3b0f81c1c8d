/**
 * Per-connection MQTT state, both directions (pure: no timers, no I/O). It checks protocol
 * order, resolves MQTT 5 topic aliases (so policy sees the real topic) and tracks packet
 * identifiers in flight under a cap (a flood becomes an anomaly, not unbounded memory).
 *
 * Packet identifiers: client and server assign theirs independently (v5 §2.2.1, 3.1.1 §2.3.1),
 * so ids the client assigned (its PUBLISH QoS>0, SUBSCRIBE, UNSUBSCRIBE) live in `inflight.c2s`
 * and are acknowledged from the server; the server's QoS>0 deliveries live in `inflight.s2c`.
 */
import { anomaly, type Anomaly, type AnomalySpec, type Direction } from '../common';
import { MqttAnomalies } from './anomalies';
import { isValidTopicName } from './topic';
import { CLIENT_ONLY, SERVER_ONLY, type MqttPacket, type MqttVersion, type PublishPacket, type QoS } from './types';

export type Phase = 'await_connect' | 'await_connack' | 'connected';

export interface WillInfo {
  readonly topic: string;
  readonly qos: QoS;
  readonly retain: boolean;
  readonly payloadBytes: number;
}

/** What the session makes of one packet. `fatal` anomalies end the connection in enforce mode. */
export interface Observation {
  /** PUBLISH: the topic after alias resolution (v5 §3.3.2.3.4); null for other packets or when unresolved. */
  readonly topic: string | null;
  readonly anomaly: Anomaly | null;
  readonly fatal: boolean;
}

type InFlightKind = 'publish1' | 'publish2' | 'subscribe' | 'unsubscribe';

const OK_NO_TOPIC: Observation = { topic: null, anomaly: null, fatal: false };

export class MqttSession {
  phase: Phase = 'await_connect';
  version: MqttVersion | null = null;
  clientId: string | null = null;
  /** Whether CONNECT carried a user name; the name is kept for policy, the password never is. */
  username: string | null = null;
  will: WillInfo | null = null;
  keepAliveS = 0;

  private readonly inflight: Record<Direction, Map<number, InFlightKind>> = { c2s: new Map(), s2c: new Map() };
  private readonly aliases: Record<Direction, Map<number, string>> = { c2s: new Map(), s2c: new Map() };
  /** Topic Alias Maximum each receiver announced: the server's in CONNACK (for c2s), the client's in CONNECT (for s2c). */
  private readonly aliasMax: Record<Direction, number> = { c2s: 0, s2c: 0 };

  constructor(private readonly maxInFlight: number) {}

  inFlight(dir: Direction): number {
    return this.inflight[dir].size;
  }

  /** The gateway answered a packet itself (refusal or ack-and-drop): its id is no longer pending. */
  release(dir: Direction, id: number): void {
    this.inflight[dir].delete(id);
  }

  observe(dir: Direction, p: MqttPacket): Observation {
    if (dir === 'c2s' ? SERVER_ONLY.has(p.cmd) : CLIENT_ONLY.has(p.cmd)) {
      return bad(MqttAnomalies.wrong_direction, `${p.cmd} from the ${dir === 'c2s' ? 'client' : 'server'}`);
    }
    return dir === 'c2s' ? this.fromClient(p) : this.fromServer(p);
  }

  private fromClient(p: MqttPacket): Observation {
    if (this.phase === 'await_connect' && p.cmd !== 'connect') return bad(MqttAnomalies.missing_connect, `first packet ${p.cmd}`);
    switch (p.cmd) {
      case 'connect': {
        if (this.phase !== 'await_connect') return bad(MqttAnomalies.second_connect, `client ${p.clientId}`);
        this.phase = 'await_connack';
        this.version = (p.protocolVersion ?? 4) as MqttVersion;
        this.clientId = p.clientId;
        this.username = p.username ?? null;
        this.keepAliveS = p.keepalive ?? 0;
        this.aliasMax.s2c = p.properties?.topicAliasMaximum ?? 0;
        if (p.will) {
          const w = p.will;
          this.will = { topic: w.topic, qos: w.qos ?? 0, retain: w.retain ?? false, payloadBytes: payloadLength(w.payload) };
          if (!isValidTopicName(w.topic)) return bad(MqttAnomalies.topic_invalid, 'will topic');
        }
        return OK_NO_TOPIC;
      }
      case 'publish':
        return this.publish('c2s', p);
      case 'subscribe':
      case 'unsubscribe':
        return this.track('c2s', p.messageId, p.cmd, false);
      case 'pubrel':
        // Releases the client's own QoS 2 PUBLISH (PUBCOMP from the server ends it).
        return this.inflight.c2s.get(p.messageId ?? 0) === 'publish2' ? OK_NO_TOPIC : unknownId(p.cmd, p.messageId);
      case 'puback':
      case 'pubcomp':
        return this.ack('s2c', p.cmd, p.messageId, true);
      case 'pubrec':
        return this.ack('s2c', p.cmd, p.messageId, (p.reasonCode ?? 0) >= 0x80);
      default:
        return OK_NO_TOPIC; // pingreq, disconnect, auth
    }
  }

  private fromServer(p: MqttPacket): Observation {
    if (p.cmd === 'connack') {
      if (this.phase !== 'await_connack') return bad(MqttAnomalies.unexpected_packet, 'CONNACK without a pending CONNECT');
      this.phase = 'connected';
      this.aliasMax.c2s = p.properties?.topicAliasMaximum ?? 0;
      return OK_NO_TOPIC;
    }
    // [MQTT-3.2.0-1]: the first packet from the server is CONNACK (v5 AUTH may precede it).
    if (this.phase !== 'connected' && p.cmd !== 'auth' && p.cmd !== 'disconnect') {
      return bad(MqttAnomalies.unexpected_packet, `${p.cmd} before CONNACK`);
    }
    switch (p.cmd) {
      case 'publish':
        return this.publish('s2c', p);
      case 'puback':
      case 'pubcomp':
      case 'suback':
      case 'unsuback':
        return this.ack('c2s', p.cmd, p.messageId, true);
      case 'pubrec':
        return this.ack('c2s', p.cmd, p.messageId, (p.reasonCode ?? 0) >= 0x80);
      case 'pubrel':
        return this.inflight.s2c.get(p.messageId ?? 0) === 'publish2' ? OK_NO_TOPIC : unknownId(p.cmd, p.messageId);
      default:
        return OK_NO_TOPIC;
    }
  }

  private publish(dir: Direction, p: PublishPacket): Observation {
    const topic = this.resolveTopic(dir, p);
    if (typeof topic !== 'string') return topic;
    if (p.qos === 0) return { topic, anomaly: null, fatal: false };
    const t = this.track(dir, p.messageId, p.qos === 1 ? 'publish1' : 'publish2', p.dup);
    return { topic, anomaly: t.anomaly, fatal: t.fatal };
  }

  /** v5 §3.3.2.3.4 topic alias; returns the topic or a fatal observation. */
  private resolveTopic(dir: Direction, p: PublishPacket): string | Observation {
    const alias = this.version === 5 ? p.properties?.topicAlias : undefined;
    if (alias !== undefined) {
      if (alias === 0 || alias > this.aliasMax[dir]) return bad(MqttAnomalies.topic_alias_invalid, `alias ${alias} (max ${this.aliasMax[dir]})`);
      if (p.topic.length === 0) {
        const known = this.aliases[dir].get(alias);
        return known ?? bad(MqttAnomalies.topic_alias_invalid, `unknown alias ${alias}`);
      }
      if (!isValidTopicName(p.topic)) return bad(MqttAnomalies.topic_invalid, 'publish topic');
      this.aliases[dir].set(alias, p.topic); // bounded: alias ≤ the announced maximum
      return p.topic;
    }
    if (!isValidTopicName(p.topic)) return bad(MqttAnomalies.topic_invalid, p.topic.length === 0 ? 'empty topic' : 'wildcard or U+0000 in topic name');
    return p.topic;
  }

  private track(dir: Direction, id: number | undefined, kind: InFlightKind, dup: boolean): Observation {
    if (!id) return bad(MqttAnomalies.packet_id_invalid, `${kind} without a packet identifier`);
    const map = this.inflight[dir];
    if (map.has(id)) {
      if (dup) return OK_NO_TOPIC; // [MQTT-3.3.1-1] DUP retransmission of the same packet
      return { topic: null, anomaly: anomaly(MqttAnomalies.packet_id_in_use, `id ${id}`), fatal: false };
    }
    if (map.size >= this.maxInFlight) {
      // Server-side floods are recorded but never fatal to the client's session; client floods are.
      return { topic: null, anomaly: anomaly(MqttAnomalies.too_many_in_flight, `${map.size} in flight, max ${this.maxInFlight}`), fatal: dir === 'c2s' };
    }
    map.set(id, kind);
    return OK_NO_TOPIC;
  }

  /** An acknowledgement for an id the other side assigned; `final` ends the exchange. */
  private ack(owner: Direction, cmd: string, id: number | undefined, final: boolean): Observation {
    const map = this.inflight[owner];
    const kind = map.get(id ?? 0);
    if (kind === undefined) return unknownId(cmd, id);
    if (final || kind !== 'publish2') map.delete(id!);
    return OK_NO_TOPIC;
  }
}

function bad(spec: AnomalySpec, detail: string): Observation {
  return { topic: null, anomaly: anomaly(spec, detail), fatal: true };
}

function unknownId(cmd: string, id: number | undefined): Observation {
  return { topic: null, anomaly: anomaly(MqttAnomalies.unknown_packet_id, `${cmd} id ${id ?? 0}`), fatal: false };
}

export function payloadLength(p: Buffer | string | undefined | null): number {
  if (p === undefined || p === null) return 0;
  return typeof p === 'string' ? Buffer.byteLength(p) : p.length;
}
