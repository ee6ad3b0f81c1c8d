/**
 * Request/response pairing on one connection (MB-TCP §4.4.1: the server copies the transaction
 * id; the unit id is echoed too, so pairs are keyed by tid + unit). Pure: the caller passes the
 * clock. Memory is bounded: at most `maxPending` outstanding requests and as many recently
 * timed-out ones (so a late answer is not also reported as unsolicited).
 *
 * A request that yields an anomaly is not tracked: the caller may refuse it, and if it forwards
 * it anyway its answer pairs with the request already pending (a second answer is unsolicited).
 */
import { anomaly, type Anomaly } from '../common';
import { ModbusAnomalies as A } from './anomalies';
import type { ModbusRequest, ModbusResponse } from './types';

export interface Paired {
  /** The request this response answers, or null when it answers none. */
  readonly request: ModbusRequest | null;
  readonly anomaly: Anomaly | null;
  /** Milliseconds since the request, when it was still pending. */
  readonly elapsedMs: number | null;
}

export interface Expired {
  readonly request: ModbusRequest;
  readonly anomaly: Anomaly;
}

interface Entry {
  readonly request: ModbusRequest;
  readonly at: number;
}

const keyOf = (mbap: { readonly tid: number; readonly unit: number }): number => mbap.tid * 256 + mbap.unit;

export class ModbusTransactions {
  /**
   * The oldest outstanding request lives in this slot when it arrived with nothing else
   * pending: a Modbus master keeps one request outstanding, so the usual pairing is a compare
   * of two numbers, no Map entry. Later requests go to `pending` (in arrival order); the slot
   * is only refilled once `pending` is empty, so the slot, when full, is always the oldest.
   */
  private slotKey = -1;
  private slotRequest: ModbusRequest | null = null;
  private slotAt = 0;
  private readonly pending = new Map<number, Entry>();
  private readonly late = new Map<number, ModbusRequest>();
  /**
   * The request `pair()` last matched (null when the response answered none), and the ms since
   * it, when it was still pending. Valid until the next `pair()`/`onResponse()`; holds at most
   * one request per connection.
   */
  paired: ModbusRequest | null = null;
  pairedElapsedMs: number | null = null;

  constructor(
    readonly maxPending: number,
    readonly timeoutMs: number,
  ) {}

  /** Outstanding requests. */
  get size(): number {
    return this.pending.size + (this.slotKey >= 0 ? 1 : 0);
  }

  /** Tracks a forwarded request; returns an anomaly (and does not track it) on a duplicate or over the cap. */
  onRequest(req: ModbusRequest, now: number): Anomaly | null {
    const key = keyOf(req.mbap);
    if (key === this.slotKey || this.pending.has(key)) {
      return anomaly(A.duplicate_transaction_id, `tid ${req.mbap.tid} unit ${req.mbap.unit} already pending`);
    }
    const size = this.size;
    if (size >= this.maxPending) {
      return anomaly(A.too_many_pending, `${size} requests pending (cap ${this.maxPending})`);
    }
    if (this.late.size > 0) this.late.delete(key);
    if (size === 0) {
      this.slotKey = key;
      this.slotRequest = req;
      this.slotAt = now;
    } else {
      this.pending.set(key, { request: req, at: now });
    }
    return null;
  }

  /** Pairs a response with its request and forgets the request. */
  onResponse(res: ModbusResponse, now: number): Paired {
    const a = this.pair(res.mbap.tid, res.mbap.unit, res.fc, now);
    return { request: this.paired, anomaly: a, elapsedMs: this.pairedElapsedMs };
  }

  /**
   * `onResponse` from the header fields alone (`fc` without the 0x80 bit), for the forwarding
   * path: no result object per response; the pairing lands in `paired` / `pairedElapsedMs`.
   */
  pair(tid: number, unit: number, fc: number, now: number): Anomaly | null {
    const key = tid * 256 + unit;
    let request: ModbusRequest;
    if (key === this.slotKey) {
      request = this.slotRequest!;
      this.pairedElapsedMs = now - this.slotAt;
      this.slotKey = -1;
      this.slotRequest = null;
    } else {
      const entry = this.pending.size > 0 ? this.pending.get(key) : undefined;
      this.pairedElapsedMs = null;
      if (entry !== undefined) {
        this.pending.delete(key);
        request = entry.request;
        this.pairedElapsedMs = now - entry.at;
      } else {
        const late = this.late.get(key);
        if (late === undefined) {
          this.paired = null;
          return anomaly(A.unsolicited_response, `tid ${tid} unit ${unit} FC ${fc}`);
        }
        this.late.delete(key); // already reported as request_timeout
        request = late;
      }
    }
    this.paired = request;
    if (request.fc !== fc) return anomaly(A.response_function_mismatch, `request FC ${request.fc}, response FC ${fc}`);
    return null;
  }

  /** Removes and returns the requests pending for `timeoutMs` or longer (oldest first). */
  expire(now: number): Expired[] {
    const out: Expired[] = [];
    if (this.slotKey >= 0 && now - this.slotAt >= this.timeoutMs) {
      const key = this.slotKey;
      const at = this.slotAt;
      const request = this.slotRequest!;
      this.slotKey = -1;
      this.slotRequest = null;
      this.remember(key, request);
      out.push(expired(request, now - at));
    }
    for (const [key, e] of this.pending) {
      if (now - e.at < this.timeoutMs) continue;
      this.pending.delete(key);
      this.remember(key, e.request);
      out.push(expired(e.request, now - e.at));
    }
    return out;
  }

  clear(): void {
    this.slotKey = -1;
    this.slotRequest = null;
    this.pending.clear();
    this.late.clear();
  }

  private remember(key: number, req: ModbusRequest): void {
    this.late.delete(key);
    this.late.set(key, req);
    if (this.late.size > this.maxPending) {
      const oldest = this.late.keys().next();
      if (!oldest.done) this.late.delete(oldest.value);
    }
  }
}

const expired = (request: ModbusRequest, ms: number): Expired => ({
  request,
  anomaly: anomaly(A.request_timeout, `tid ${request.mbap.tid} unit ${request.mbap.unit} FC ${request.fc} after ${ms} ms`),
});
