/**
 * One human line and the documented JSON fields per packet (docs/mqtt.md, `otgate audit --json`):
 * type, protocolVersion, clientId, username (present or not, never the name's secret partner),
 * topic or topics, qos, retain, packetId, reasonCodes. Payloads and passwords never appear.
 */
import type { MqttPacket, MqttVersion } from './types';
import { payloadLength } from './session';

export function packetTypeName(p: MqttPacket): string {
  return p.cmd.toUpperCase();
}

/** `topic` is the resolved topic when an MQTT 5 alias stood in for it. */
export function mqttFields(p: MqttPacket, version: MqttVersion | null, topic?: string | null): Record<string, unknown> {
  const f: Record<string, unknown> = { type: packetTypeName(p), protocolVersion: version };
  switch (p.cmd) {
    case 'connect':
      f.protocolVersion = p.protocolVersion ?? version;
      f.clientId = p.clientId;
      f.username = p.username !== undefined;
      if (p.will) {
        f.topic = p.will.topic;
        f.qos = p.will.qos ?? 0;
        f.retain = p.will.retain ?? false;
      }
      break;
    case 'connack':
      f.reasonCodes = [p.reasonCode ?? p.returnCode ?? 0];
      break;
    case 'publish':
      f.topic = topic ?? p.topic;
      f.qos = p.qos;
      f.retain = p.retain;
      if (p.qos > 0) f.packetId = p.messageId;
      break;
    case 'subscribe':
      f.packetId = p.messageId;
      f.topics = p.subscriptions.map((s) => s.topic);
      f.qos = p.subscriptions.map((s) => s.qos);
      break;
    case 'unsubscribe':
      f.packetId = p.messageId;
      f.topics = [...p.unsubscriptions];
      break;
    case 'suback':
    case 'unsuback':
      f.packetId = p.messageId;
      f.reasonCodes = (p.granted ?? []).map((g) => (typeof g === 'number' ? g : Number((g as { qos?: number }).qos ?? 0)));
      break;
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
      f.packetId = p.messageId;
      if (p.reasonCode !== undefined) f.reasonCodes = [p.reasonCode];
      break;
    case 'disconnect':
    case 'auth':
      if (p.reasonCode !== undefined) f.reasonCodes = [p.reasonCode];
      break;
    case 'pingreq':
    case 'pingresp':
      break;
  }
  return f;
}

export function summarizeMqtt(p: MqttPacket, version: MqttVersion | null, topic?: string | null): string {
  const t = packetTypeName(p);
  switch (p.cmd) {
    case 'connect': {
      const will = p.will ? ` will ${p.will.topic} q${p.will.qos ?? 0}${p.will.retain ? ' retain' : ''}` : '';
      return `${t} v${p.protocolVersion ?? version ?? '?'} client "${p.clientId}"${p.username !== undefined ? ' with username' : ''} keepalive ${p.keepalive ?? 0}s${will}`;
    }
    case 'connack':
      return `${t} code 0x${(p.reasonCode ?? p.returnCode ?? 0).toString(16).padStart(2, '0')}${p.sessionPresent ? ' session present' : ''}`;
    case 'publish':
      return `${t} ${topic ?? p.topic} q${p.qos}${p.retain ? ' retain' : ''}${p.qos > 0 ? ` id ${p.messageId}` : ''} ${payloadLength(p.payload)} B`;
    case 'subscribe':
      return `${t} id ${p.messageId} [${p.subscriptions.map((s) => `${s.topic} q${s.qos}`).join(', ')}]`;
    case 'unsubscribe':
      return `${t} id ${p.messageId} [${p.unsubscriptions.join(', ')}]`;
    case 'suback':
    case 'unsuback':
      return `${t} id ${p.messageId} [${(p.granted ?? []).map((g) => `0x${Number(g).toString(16)}`).join(', ')}]`;
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
      return `${t} id ${p.messageId}${p.reasonCode ? ` code 0x${p.reasonCode.toString(16)}` : ''}`;
    default:
      return t;
  }
}
