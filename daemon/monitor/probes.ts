/**
 * Frame-boundary probes: "could a frame of protocol P start at offset i of these bytes?"
 * Used twice: to detect a flow's protocol from its content, and to resynchronise a decoder
 * after a gap or a capture that starts mid-stream. Pure byte logic; never throws.
 *
 * A boundary is trusted only when the header is plausible AND the frame it announces either
 * ends exactly where the captured bytes end (peers usually write one PDU per segment) or is
 * followed by another plausible header. One plausible header alone is too easy to hit by chance
 * inside register values or payloads.
 */
import type { ProtocolName } from '../pipeline/contract';

/** Size of the frame announced by a plausible header at `off`; 'need' when more bytes are required to judge; null when implausible. */
export type HeaderProbe = (b: Buffer, off: number, dir: 'request' | 'response') => number | 'need' | null;

/**
 * Modbus TCP, MB-TCP §3.1.3: protocol id 0, length 2..254 (unit id + PDU of 1..253 bytes,
 * MB-AP §4.1), function code 1..127 (responses may set the exception bit 0x80, MB-AP §7).
 */
export const probeModbus: HeaderProbe = (b, off, dir) => {
  if (b.length < off + 8) return 'need';
  if (b[off + 2] !== 0 || b[off + 3] !== 0) return null;
  const len = b.readUInt16BE(off + 4);
  if (len < 2 || len > 254) return null;
  const fc = b[off + 7]!;
  const code = fc & 0x7f;
  if (code === 0 || (dir === 'request' && fc > 0x7f)) return null;
  return 6 + len;
};

const OPCUA_TYPES = new Set(['HEL', 'ACK', 'OPN', 'MSG', 'CLO', 'ERR', 'RHE']);
/** Largest chunk we accept as plausible while probing (node-opcua's default max is 64 KiB × chunks; 16 MiB bounds it). */
const OPCUA_MAX_PROBE = 16 * 1024 * 1024;

/**
 * OPC UA Connection Protocol / Secure Conversation, OPC 10000-6 §7.1.2: 3-byte message type,
 * 1-byte chunk type ('F' final, 'C' intermediate, 'A' abort; HEL/ACK/ERR/RHE are always 'F'),
 * UInt32 message size ≥ 8 (header included).
 */
export const probeOpcua: HeaderProbe = (b, off) => {
  if (b.length < off + 8) return 'need';
  const t = b.toString('latin1', off, off + 3);
  if (!OPCUA_TYPES.has(t)) return null;
  const c = b[off + 3]!;
  const secure = t === 'OPN' || t === 'MSG' || t === 'CLO';
  if (!(c === 0x46 || (secure && (c === 0x43 || c === 0x41)))) return null;
  const size = b.readUInt32LE(off + 4);
  if (size < (secure ? 12 : 8) || size > OPCUA_MAX_PROBE) return null;
  return size;
};

/** Largest MQTT packet accepted while probing (the conduit default max frame). */
const MQTT_MAX_PROBE = 1024 * 1024;

/**
 * MQTT fixed header, [MQTT-2.2]: packet type 1..15 (15 AUTH is v5 only); the flag nibble is fixed
 * for every type but PUBLISH ([MQTT-2.2.2-1]: 0b0010 for PUBREL, SUBSCRIBE, UNSUBSCRIBE, else 0);
 * PUBLISH QoS 3 is malformed ([MQTT-3.3.1-4]); remaining length is a 1..4 byte varint
 * ([MQTT-2.2.3]). A PUBLISH must also carry a plausible topic ([MQTT-3.3.2-2]: no wildcards).
 */
export const probeMqtt: HeaderProbe = (b, off) => {
  if (b.length < off + 2) return 'need';
  const h = b[off]!;
  const type = h >> 4;
  const flags = h & 0x0f;
  if (type === 0) return null;
  if (type === 3) {
    if ((flags & 0x06) === 0x06) return null;
  } else if (flags !== (type === 6 || type === 8 || type === 10 ? 2 : 0)) return null;
  let rem = 0;
  let mult = 1;
  let i = 1;
  for (; ; i++) {
    if (i > 4) return null;
    if (b.length < off + i + 1) return 'need';
    const d = b[off + i]!;
    rem += (d & 0x7f) * mult;
    if ((d & 0x80) === 0) break;
    mult *= 128;
  }
  const size = i + 1 + rem;
  if (size > MQTT_MAX_PROBE) return null;
  if ((type === 12 || type === 13) && rem !== 0) return null; // PINGREQ/PINGRESP, [MQTT-3.12.3]
  if (type === 3) {
    const t = off + i + 1;
    if (b.length < t + 2) return 'need';
    const tl = b.readUInt16BE(t);
    if (tl === 0 || tl + 2 > rem) return null;
    if (b.length < t + 2 + tl) return 'need';
    const topic = b.subarray(t + 2, t + 2 + tl);
    for (const c of topic) if (c === 0 || c === 0x23 || c === 0x2b || c < 0x20) return null;
  }
  return size;
};

export const PROBES: Readonly<Record<ProtocolName, HeaderProbe>> = Object.freeze({
  modbus: probeModbus,
  opcua: probeOpcua,
  mqtt: probeMqtt,
});

export type BoundaryResult =
  /** A trusted frame starts at `offset`. */
  | { readonly kind: 'at'; readonly offset: number }
  /** Undecided: keep the bytes from `from` and look again when more arrive. */
  | { readonly kind: 'need'; readonly from: number };

/**
 * The first trusted frame boundary in `b` (whose end is the end of a captured segment). A
 * candidate that waits for more than `maxWait` bytes is ruled out, so the bytes held while
 * resynchronising stay bounded. When nothing is found, 'need' says from where to keep bytes.
 */
export function findBoundary(proto: ProtocolName, b: Buffer, dir: 'request' | 'response', maxWait: number): BoundaryResult {
  const probe = PROBES[proto];
  for (let i = 0; i < b.length; i++) {
    const v = trusted(probe, b, i, dir);
    if (v === 'yes') return { kind: 'at', offset: i };
    if (v === 'need' && b.length - i <= maxWait) return { kind: 'need', from: i };
  }
  return { kind: 'need', from: b.length };
}

/** Is a frame at `off` trusted: its announced size ends at the data's end, or another plausible header follows. */
export function trusted(probe: HeaderProbe, b: Buffer, off: number, dir: 'request' | 'response'): 'yes' | 'no' | 'need' {
  const size = probe(b, off, dir);
  if (size === null) return 'no';
  if (size === 'need') return 'need';
  const end = off + size;
  if (end > b.length) return 'need';
  if (end === b.length) return 'yes';
  const next = probe(b, end, dir);
  if (next === null) return 'no';
  return next === 'need' ? 'need' : 'yes';
}
