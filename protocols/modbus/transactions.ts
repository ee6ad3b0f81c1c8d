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
    return this.pending.size;
  }

  /** Tracks a forwarded request; returns an anomaly (and does not track it) on a duplicate or over the cap. */
  onRequest(req: ModbusRequest, now: number): Anomaly | null {
    const key = keyOf(req.mbap);
    if (this.pending.has(key)) {
      return anomaly(A.duplicate_transaction_id, `tid ${req.mbap.tid} unit ${req.mbap.unit} already pending`);
    }
    if (this.pending.size >= this.maxPending) {
      return anomaly(A.too_many_pending, `${this.pending.size} requests pending (cap ${this.maxPending})`);
    }
    this.late.delete(key);
    this.pending.set(key, { request: req, at: now });
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
    const entry = this.pending.get(key);
    let request: ModbusRequest;
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
    this.paired = request;
    if (request.fc !== fc) return anomaly(A.response_function_mismatch, `request FC ${request.fc}, response FC ${fc}`);
    return null;
  }

  /** Removes and returns the requests pending for `timeoutMs` or longer. */
  expire(now: number): Expired[] {
    const out: Expired[] = [];
    for (const [key, e] of this.pending) {
      if (now - e.at < this.timeoutMs) continue;
      this.pending.delete(key);
      this.remember(key, e.request);
      out.push({ request: e.request, anomaly: anomaly(A.request_timeout, `tid ${e.request.mbap.tid} unit ${e.request.mbap.unit} FC ${e.request.fc} after ${now - e.at} ms`) });
    }
    return out;
  }

  clear(): void {
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
