/**
 * Packets otgate writes itself: protocol-native refusals, local acknowledgements and the
 * rewritten SUBSCRIBE that carries only the allowed filters. Encoded by mqtt-packet.
 */
import { generate, type ISubscription } from 'mqtt-packet';
import { V3ConnackReturn, V3SubackFailure, V5Reason } from './reason-codes';
import type { MqttVersion, SubscribePacket } from './types';

const opts = (v: MqttVersion) => ({ protocolVersion: v });

/** v5 §3.2.2.2 reason 0x87/0x85; 3.1.1 §3.2.2.3 return code 5 (not authorized) / 2 (identifier rejected). */
export function encodeConnackRefusal(v: MqttVersion, badClientId: boolean): Buffer {
  if (v === 5) {
    return generate({ cmd: 'connack', sessionPresent: false, reasonCode: badClientId ? V5Reason.ClientIdentifierNotValid : V5Reason.NotAuthorized }, opts(v));
  }
  return generate({ cmd: 'connack', sessionPresent: false, returnCode: badClientId ? V3ConnackReturn.IdentifierRejected : V3ConnackReturn.NotAuthorized }, opts(v));
}

/** SUBACK with one code per filter in the original order (v5 §3.9.3, 3.1.1 §3.9.3). */
export function encodeSuback(v: MqttVersion, messageId: number, codes: readonly number[]): Buffer {
  return generate({ cmd: 'suback', messageId, granted: [...codes] }, opts(v));
}

/** The refusal code for one denied filter: v5 0x87 Not authorized, 3.1.1 0x80 Failure. */
export const subackDenied = (v: MqttVersion): number => (v === 5 ? V5Reason.NotAuthorized : V3SubackFailure);

/**
 * Acknowledgement of a PUBLISH the gateway will not forward: PUBACK (QoS 1) or PUBREC (QoS 2).
 * MQTT 5 carries 0x87 (v5 §3.4.2.1, §3.5.2.1), ending the QoS 2 flow at PUBREC [MQTT-4.3.3-?];
 * 3.1.1 has no negative ack, so `reason` is ignored there (acknowledge and drop).
 */
export function encodePublishAck(v: MqttVersion, qos: 1 | 2, messageId: number, reason: number): Buffer {
  const cmd = qos === 1 ? 'puback' : 'pubrec';
  return v === 5 ? generate({ cmd, messageId, reasonCode: reason }, opts(v)) : generate({ cmd, messageId }, opts(v));
}

/** PUBCOMP answering a PUBREL for a QoS 2 PUBLISH the gateway acknowledged itself. */
export function encodePubcomp(v: MqttVersion, messageId: number): Buffer {
  return generate({ cmd: 'pubcomp', messageId }, opts(v));
}

/** The client's SUBSCRIBE with only `keep` (same packet id and properties). */
export function encodeSubscribe(v: MqttVersion, original: SubscribePacket, keep: readonly ISubscription[]): Buffer {
  const packet: SubscribePacket = { cmd: 'subscribe', messageId: original.messageId, subscriptions: [...keep] };
  if (original.properties) packet.properties = original.properties;
  return generate(packet, opts(v));
}
