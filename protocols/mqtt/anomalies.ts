/**
 * The closed list of MQTT anomalies: stable codes, a family (malformed / state / resource) and
 * the ATT&CK for ICS technique that fits, if any. docs/mqtt.md is written from this list.
 */
import type { AnomalySpec } from '../common';

const spec = (code: string, family: AnomalySpec['family'], technique: string | null, description: string): AnomalySpec => ({
  code: `mqtt.${code}`,
  family,
  technique,
  description,
});

export const MqttAnomalies = {
  /** Checked at header time, before any buffering (v5 §3.1.2.11.4 Maximum Packet Size is the total size). */
  packet_too_large: spec('packet_too_large', 'resource', 'T0814', 'declared packet size over the conduit\'s maximum'),
  /** 3.1.1 §2.2.3, v5 §1.5.5: at most 4 bytes, minimal encoding [MQTT-1.5.5-1]. */
  remaining_length_invalid: spec('remaining_length_invalid', 'malformed', null, 'remaining length is not a valid variable byte integer'),
  /** 3.1.1 §2.2.1: type 0 is reserved (and 15 before MQTT 5). */
  packet_type_invalid: spec('packet_type_invalid', 'malformed', null, 'reserved control packet type'),
  /** [MQTT-2.2.2-1]/[MQTT-2.2.2-2]; PUBLISH QoS 3 [MQTT-3.3.1-4]. */
  header_flags_invalid: spec('header_flags_invalid', 'malformed', null, 'reserved fixed-header flags not as the spec requires'),
  /** mqtt-packet rejected the variable header or payload (its message is in the detail). */
  packet_invalid: spec('packet_invalid', 'malformed', null, 'packet body does not decode'),
  /** [MQTT-3.3.2-2] no wildcards in a topic name; [MQTT-4.7.3-1] not empty; [MQTT-4.7.3-2] no U+0000. */
  topic_invalid: spec('topic_invalid', 'malformed', null, 'invalid topic name'),
  /** v5 §3.3.2.3.4: alias 0, above the negotiated maximum, or unknown with an empty topic. */
  topic_alias_invalid: spec('topic_alias_invalid', 'malformed', null, 'invalid or unknown topic alias'),
  /** [MQTT-2.3.1-1]: packets that need one carry a non-zero packet identifier. */
  packet_id_invalid: spec('packet_id_invalid', 'malformed', null, 'packet identifier 0'),
  /** [MQTT-3.1.0-1]: the first packet from the client must be CONNECT. */
  missing_connect: spec('missing_connect', 'state', null, 'first client packet is not CONNECT'),
  /** [MQTT-3.1.0-2]: a second CONNECT is a protocol violation. */
  second_connect: spec('second_connect', 'state', null, 'second CONNECT on one connection'),
  /** A packet sent in the wrong direction (a client sending SUBACK, a server sending CONNECT). */
  wrong_direction: spec('wrong_direction', 'state', null, 'packet type not allowed in this direction'),
  /** CONNACK before CONNECT or twice; traffic before a CONNACK accepted the session. */
  unexpected_packet: spec('unexpected_packet', 'state', null, 'packet out of protocol order'),
  /** An acknowledgement for a packet id nobody is waiting for. */
  unknown_packet_id: spec('unknown_packet_id', 'state', null, 'acknowledgement for an unknown packet identifier'),
  /** [MQTT-2.3.1-2]: a new packet reuses an identifier still in flight (DUP retransmissions excepted). */
  packet_id_in_use: spec('packet_id_in_use', 'state', null, 'packet identifier reused while in flight'),
  /** Unacknowledged QoS 1/2 PUBLISH, SUBSCRIBE and UNSUBSCRIBE over the conduit's cap. */
  too_many_in_flight: spec('too_many_in_flight', 'resource', 'T0814', 'too many packets in flight (flood)'),
} as const satisfies Record<string, AnomalySpec>;

export type MqttAnomalyCode = keyof typeof MqttAnomalies;
