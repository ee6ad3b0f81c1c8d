/**
 * MQTT control packet types. References: MQTT Version 3.1.1 (OASIS Standard, 2014) and MQTT
 * Version 5.0 (OASIS Standard, 2019), cited as "3.1.1 §x" / "v5 §x" and by normative statement
 * ids such as [MQTT-3.1.0-1]. Decoded bodies are mqtt-packet's objects, a discriminated union on
 * `cmd`; otgate adds the fixed header it checked itself and the packet's size on the wire.
 */
import type { Packet } from 'mqtt-packet';

export type {
  Packet as MqttPacket,
  IConnectPacket as ConnectPacket,
  IConnackPacket as ConnackPacket,
  IPublishPacket as PublishPacket,
  ISubscribePacket as SubscribePacket,
  ISubackPacket as SubackPacket,
  IUnsubscribePacket as UnsubscribePacket,
  IUnsubackPacket as UnsubackPacket,
  ISubscription as Subscription,
  QoS,
} from 'mqtt-packet';

/** Protocol level byte of CONNECT (3.1.1 §3.1.2.2, v5 §3.1.2.2): 3 = MQTT 3.1 ("MQIsdp"), 4 = 3.1.1, 5 = 5.0. */
export type MqttVersion = 3 | 4 | 5;

/** Control packet type, the high nibble of the fixed header's first byte (3.1.1 §2.2.1, v5 §2.1.2). */
export const PacketType = {
  CONNECT: 1,
  CONNACK: 2,
  PUBLISH: 3,
  PUBACK: 4,
  PUBREC: 5,
  PUBREL: 6,
  PUBCOMP: 7,
  SUBSCRIBE: 8,
  SUBACK: 9,
  UNSUBSCRIBE: 10,
  UNSUBACK: 11,
  PINGREQ: 12,
  PINGRESP: 13,
  DISCONNECT: 14,
  /** MQTT 5 only (v5 §3.15). */
  AUTH: 15,
} as const;

/** The fixed header as otgate reads it before any buffering (3.1.1 §2.2, v5 §2.1.1). */
export interface FixedHeader {
  readonly type: number;
  /** Low nibble of byte 1: DUP/QoS/RETAIN for PUBLISH, reserved bits otherwise. */
  readonly flags: number;
  readonly remainingLength: number;
  /** 1 + the length of the variable byte integer (2..5). */
  readonly headerBytes: number;
}

/** One decoded packet and where it sat in the stream. */
export interface MqttFrame {
  readonly header: FixedHeader;
  readonly packet: Packet;
  /** Total bytes on the wire (fixed header + remaining length). */
  readonly size: number;
}

/** Packets only a client sends (3.1.1 §2.2.1 Table 2.1 "direction of flow"). */
export const CLIENT_ONLY: ReadonlySet<Packet['cmd']> = new Set(['connect', 'subscribe', 'unsubscribe', 'pingreq']);
/** Packets only a server sends. */
export const SERVER_ONLY: ReadonlySet<Packet['cmd']> = new Set(['connack', 'suback', 'unsuback', 'pingresp']);
