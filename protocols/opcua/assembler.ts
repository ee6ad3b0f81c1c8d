/**
 * Multi-chunk reassembly for readable (None-mode) channels, per direction (OPC 10000-6 §6.7.2:
 * chunks of one message share its RequestId; C = more follow, F = final, A = abort). Limits are
 * checked per chunk, so a message in reassembly never exceeds max_message / max_chunk_count.
 */
import { anomaly, type Anomaly } from '../common';
import { OpcuaAnomalies } from './anomalies';
import type { OpcuaLimits, SecureChunk, SecureMessage } from './types';

/** Messages of one direction in reassembly at once (interleaving is rare; this bounds memory). */
export const MAX_PARTIAL_MESSAGES = 8;

export type Assembled =
  | { readonly kind: 'partial' }
  | { readonly kind: 'message'; readonly message: SecureMessage }
  /** An A chunk: the message and its chunks so far are discarded (`chunks` includes the A chunk). */
  | { readonly kind: 'aborted'; readonly requestId: number; readonly chunks: readonly SecureChunk[] }
  /** A limit was hit: the partial message (and this chunk) are dropped. */
  | { readonly kind: 'overflow'; readonly anomaly: Anomaly; readonly chunks: readonly SecureChunk[] };

interface Partial {
  readonly chunks: SecureChunk[];
  bytes: number;
}

export class ChunkAssembler {
  private readonly partial = new Map<number, Partial>();

  /** True while a multi-chunk message is in reassembly (no message boundary on the wire). */
  get busy(): boolean {
    return this.partial.size > 0;
  }

  push(chunk: SecureChunk, limits: OpcuaLimits): Assembled {
    const requestId = chunk.sequence?.requestId ?? 0;
    const p = this.partial.get(requestId);
    if (chunk.chunkType === 'A') {
      this.partial.delete(requestId);
      return { kind: 'aborted', requestId, chunks: [...(p?.chunks ?? []), chunk] };
    }
    const chunks = p ? [...p.chunks, chunk] : [chunk];
    const bytes = (p?.bytes ?? 0) + chunk.body.length;
    if (chunks.length > limits.maxChunkCount) {
      this.partial.delete(requestId);
      return { kind: 'overflow', anomaly: anomaly(OpcuaAnomalies.too_many_chunks, `request ${requestId}: more than ${limits.maxChunkCount} chunks`), chunks };
    }
    if (bytes > limits.maxMessageBytes) {
      this.partial.delete(requestId);
      return { kind: 'overflow', anomaly: anomaly(OpcuaAnomalies.message_too_large, `request ${requestId}: more than ${limits.maxMessageBytes} bytes`), chunks };
    }
    if (chunk.chunkType === 'C') {
      if (!p && this.partial.size >= MAX_PARTIAL_MESSAGES) {
        return { kind: 'overflow', anomaly: anomaly(OpcuaAnomalies.too_many_partial_messages, `${MAX_PARTIAL_MESSAGES} messages already in reassembly`), chunks };
      }
      if (p) {
        p.chunks.push(chunk);
        p.bytes = bytes;
      } else this.partial.set(requestId, { chunks, bytes });
      return { kind: 'partial' };
    }
    this.partial.delete(requestId);
    const body = chunks.length === 1 ? chunk.body : Buffer.concat(chunks.map((c) => c.body), bytes);
    return { kind: 'message', message: { msgType: chunk.msgType, channelId: chunk.channelId, requestId, chunks, body } };
  }

  clear(): void {
    this.partial.clear();
  }
}
