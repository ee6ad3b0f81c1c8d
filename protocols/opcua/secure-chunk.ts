/**
 * OPN / MSG / CLO chunk structure (OPC 10000-6 §6.7.2.2 Table 45): header, SecureChannelId,
 * security header (asymmetric for OPN, symmetric for MSG/CLO), sequence header, body. The
 * sequence header and body are readable only on a channel whose policy is None (and, for MSG,
 * with SecurityMode Sign); otherwise they are ciphertext and left opaque.
 */
import { anomaly, type Anomaly } from '../common';
import { OpcuaAnomalies } from './anomalies';
import { certificateInfo } from './certificate';
import { decodeAsymmetricHeader, decodeSymmetricHeader } from './codec';
import type { RawChunk, SecureChunk, SecureMsgType } from './types';

import { SECURITY_POLICY_NONE } from './security-policy';

export { SECURITY_POLICY_NONE };

export type ChunkParse = { ok: true; chunk: SecureChunk } | { ok: false; anomaly: Anomaly };

/**
 * Parse one secure-conversation chunk. `clear` says whether MSG/CLO sequence headers are readable
 * on this channel (known from its OPN); OPN decides for itself from its policy URI.
 */
export function parseSecureChunk(raw: RawChunk, clear: boolean): ChunkParse {
  const b = raw.bytes;
  const msgType = raw.header.msgType as SecureMsgType;
  const channelId = b.readUInt32LE(8);
  let security: SecureChunk['security'];
  let seqOff: number;
  let readable: boolean;
  if (msgType === 'OPN') {
    const h = decodeAsymmetricHeader(b.subarray(12));
    if (!h.ok) return bad(`OPN asymmetric header: ${h.why}`);
    security = {
      kind: 'asymmetric',
      securityPolicyUri: h.value.securityPolicyUri,
      senderCertificate: h.value.senderCertificate ? certificateInfo(h.value.senderCertificate) : null,
      receiverThumbprint: h.value.receiverCertificateThumbprint ? h.value.receiverCertificateThumbprint.toString('hex') : null,
    };
    seqOff = 12 + h.value.length;
    readable = h.value.securityPolicyUri === SECURITY_POLICY_NONE;
  } else {
    const h = decodeSymmetricHeader(b.subarray(12));
    if (!h.ok) return bad(`${msgType} symmetric header: ${h.why}`);
    security = { kind: 'symmetric', tokenId: h.value.tokenId };
    seqOff = 12 + h.value.length;
    readable = clear;
  }
  if (readable && seqOff + 8 > b.length) return bad(`${msgType} chunk ends inside its sequence header`);
  return {
    ok: true,
    chunk: {
      kind: 'secure',
      msgType,
      chunkType: raw.header.chunkType,
      channelId,
      security,
      sequenceOffset: seqOff,
      sequence: readable ? { sequenceNumber: b.readUInt32LE(seqOff), requestId: b.readUInt32LE(seqOff + 4) } : null,
      body: readable ? b.subarray(seqOff + 8) : b.subarray(b.length),
      bytes: b,
    },
  };
}

const bad = (detail: string): ChunkParse => ({ ok: false, anomaly: anomaly(OpcuaAnomalies.bad_security_header, detail) });

/**
 * OPC 10000-6 §6.7.2.4: sequence numbers increase by one; after 4294966271 (UInt32 max − 1024)
 * the sender wraps to a value below 1024.
 */
export const SEQUENCE_WRAP = 4294966271;

export function isNextSequence(prev: number, next: number): boolean {
  if (prev >= SEQUENCE_WRAP) return next < 1024;
  return next === prev + 1;
}

/** A copy of `chunk` with its sequence number replaced (renumbering for a None channel). */
export function withSequenceNumber(chunk: SecureChunk, sequenceNumber: number): Buffer {
  const out = Buffer.from(chunk.bytes);
  out.writeUInt32LE(sequenceNumber >>> 0, chunk.sequenceOffset);
  return out;
}

/** Shift a sequence number by `delta` (may be negative), modulo 2^32. */
export const shiftSequence = (seq: number, delta: number): number => (seq + delta + 0x1_0000_0000) % 0x1_0000_0000;
