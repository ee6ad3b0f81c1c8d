/**
 * Which protocol a flow carries, and which side is the server. By port first (502 Modbus TCP,
 * 4840 OPC UA, 1883/8883 MQTT), else by content: an MQTT CONNECT with protocol name "MQTT" or
 * "MQIsdp" ([MQTT-3.1.2-1]), an OPC UA HEL/OPN/MSG/… chunk header (OPC 10000-6 §7.1.2), a
 * trusted MBAP frame (MB-TCP §3.1.3). TLS on any port (8883 included) is recognised and left
 * undecoded. Pure.
 */
import type { ProtocolName } from '../pipeline/contract';
import { findBoundary, probeModbus, probeOpcua, trusted } from './probes';

export const WELL_KNOWN_PORTS: ReadonlyMap<number, ProtocolName> = new Map<number, ProtocolName>([
  [502, 'modbus'],
  [4840, 'opcua'],
  [1883, 'mqtt'],
  [8883, 'mqtt'],
]);

/** Bytes per direction looked at before a flow is declared unknown. */
export const DETECT_WINDOW = 2048;

export type ContentGuess = ProtocolName | 'tls' | 'unknown' | 'need';

/** TLS record header: handshake (22) or application data (23), version 3.x (RFC 8446 §5.1). */
const isTls = (b: Buffer): boolean => b.length >= 3 && (b[0] === 0x16 || b[0] === 0x17) && b[1] === 0x03 && b[2]! <= 0x04;

/** MQTT CONNECT: type 1, flags 0, varint, then the protocol name "MQTT" (v3.1.1/v5) or "MQIsdp" (v3.1). */
export function isMqttConnect(b: Buffer): boolean | 'need' {
  if (b.length < 2) return 'need';
  if (b[0] !== 0x10) return false;
  let i = 1;
  while (i < 5 && i < b.length && (b[i]! & 0x80) !== 0) i++;
  if (i >= 5) return false;
  const p = i + 1;
  if (b.length < p + 8) return 'need';
  const n = b.readUInt16BE(p);
  const name = b.toString('latin1', p + 2, p + 2 + n);
  return (n === 4 && name === 'MQTT') || (n === 6 && name === 'MQIsdp');
}

/**
 * Guess from the first bytes of each direction (either may be empty). `fromStart` is true when
 * the flow was seen from its SYN, so the data begins at a message boundary.
 */
export function guessByContent(first: Buffer, second: Buffer, fromStart: boolean): ContentGuess {
  let waiting = false;
  for (const b of [first, second]) {
    if (b.length === 0) {
      waiting = true;
      continue;
    }
    if (isTls(b)) return 'tls';
    const mq = isMqttConnect(b);
    if (mq === true) return 'mqtt';
    const ua = trusted(probeOpcua, b, 0, 'request');
    if (ua === 'yes') return 'opcua';
    const mb = trusted(probeModbus, b, 0, 'response');
    if (mb === 'yes') return 'modbus';
    if (mq === 'need' || ua === 'need' || mb === 'need') waiting = true;
    if (!fromStart && b.length >= 64) {
      // Mid-stream: look for a trusted boundary further in (MQTT is too weak a signal here).
      if (findBoundary('opcua', b, 'request', DETECT_WINDOW).kind === 'at') return 'opcua';
      if (findBoundary('modbus', b, 'response', DETECT_WINDOW).kind === 'at') return 'modbus';
    }
  }
  if (first.length + second.length >= DETECT_WINDOW) return 'unknown';
  return waiting || !fromStart ? 'need' : 'unknown';
}

/**
 * Which endpoint serves, when no SYN told us: the one on a well-known port; else the one on a
 * port below the ephemeral range (IANA 49152+, Linux 32768+); else the destination of the
 * first packet seen.
 */
export function serverSide(sport: number, dport: number): 'src' | 'dst' {
  if (WELL_KNOWN_PORTS.has(dport)) return 'dst';
  if (WELL_KNOWN_PORTS.has(sport)) return 'src';
  if (sport < 32768 && dport >= 32768) return 'src';
  return 'dst';
}
