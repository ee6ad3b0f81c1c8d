/**
 * TCP stream reassembly for one direction of one flow. Pure: no I/O, no timers.
 *
 * - In-order segments are delivered as they come (no copy: the caller decides what to keep).
 * - Out-of-order segments are held, sorted and non-overlapping, until the hole before them fills.
 * - Retransmissions and overlaps: the bytes seen FIRST for a sequence range win (Suricata's
 *   default "first" policy, the BSD behaviour). Bytes already delivered are never re-delivered; a
 *   held range overlapped by different bytes is reported as `overlap_mismatch` (an IDS-evasion
 *   smell), the held copy kept.
 * - A hole is declared lost (a gap) when the peer acknowledges beyond it (the receiver got the
 *   bytes, the capture did not), when held bytes exceed a cap, or when the flow ends.
 *   After a gap the consumer must resynchronise at a frame boundary it can trust.
 * - Memory: at most `maxHeldBytes` held per direction and `budget.max` across all flows; over
 *   either, the first hole is given up as a gap and held bytes are delivered.
 *
 * Sequence numbers are compared modulo 2^32 (RFC 9293 §3.4): `(a - b) | 0` is the signed distance.
 */

export interface StreamSink {
  /** Contiguous bytes in order. May be a view of the caller's segment: copy to keep. */
  data(bytes: Buffer): void;
  /** `missing` bytes will never come; the next `data` starts after a hole. */
  gap(missing: number, cause: 'lost' | 'held_limit' | 'end'): void;
  /** A held range was overlapped by different bytes (first copy kept). */
  overlapMismatch(): void;
}

export interface HeldBudget {
  held: number;
  readonly max: number;
}

export interface ReassemblyLimits {
  readonly maxHeldBytes: number;
  readonly maxHeldSegments: number;
}

export const DEFAULT_REASSEMBLY_LIMITS: ReassemblyLimits = Object.freeze({ maxHeldBytes: 64 * 1024, maxHeldSegments: 1024 });

interface Held {
  seq: number;
  data: Buffer;
}

const dist = (a: number, b: number): number => (a - b) | 0;
const add = (a: number, n: number): number => (a + n) >>> 0;

export class TcpReassembler {
  /** Next expected sequence number; null until the first SYN or data segment. */
  private next: number | null = null;
  private finAt: number | null = null;
  private readonly held: Held[] = [];
  private heldBytes = 0;
  /** Segments fully below `next` (retransmissions of delivered bytes). */
  retransmitted = 0;

  constructor(
    private readonly sink: StreamSink,
    private readonly limits: ReassemblyLimits = DEFAULT_REASSEMBLY_LIMITS,
    private readonly budget: HeldBudget = { held: 0, max: Infinity },
  ) {}

  /** True once the stream's position is known (SYN or first data). */
  get started(): boolean {
    return this.next !== null;
  }

  get finished(): boolean {
    return this.finAt !== null && this.next !== null && dist(this.next, this.finAt) > 0;
  }

  /** SYN: the first data byte is seq + 1 (RFC 9293 §3.4.1). */
  syn(seq: number): void {
    if (this.next === null) this.next = add(seq, 1);
  }

  segment(seq: number, payload: Buffer, fin: boolean): void {
    if (this.next === null) this.next = seq;
    if (fin && this.finAt === null) this.finAt = add(seq, payload.length);
    let data = payload;
    let rel = dist(seq, this.next);
    if (data.length > 0) {
      if (rel < 0) {
        if (rel + data.length <= 0) {
          this.retransmitted++;
          this.atFin();
          return;
        }
        data = data.subarray(-rel);
        rel = 0;
      }
      if (rel === 0 && this.held.length === 0) {
        this.next = add(this.next, data.length);
        this.sink.data(data);
      } else {
        this.hold(add(this.next, rel), data);
        this.drain();
        this.enforceLimits();
      }
    }
    this.atFin();
  }

  /** The peer acknowledged up to `ackNum`: every hole below it was lost by the capture. */
  ack(ackNum: number): void {
    if (this.next === null) return;
    let limit = ackNum;
    if (this.finAt !== null && dist(limit, this.finAt) > 0) limit = this.finAt; // the ack covers the FIN's sequence slot
    while (dist(limit, this.next) > 0) {
      const first = this.held[0];
      if (first !== undefined && dist(first.seq, limit) < 0) {
        this.skipTo(first.seq, 'lost');
        this.drain();
      } else {
        this.skipTo(limit, 'lost');
      }
    }
    this.atFin();
  }

  /** The flow ended (or the capture did): give up on holes, deliver what is held. */
  flush(): void {
    while (this.held.length > 0) {
      this.skipTo(this.held[0]!.seq, 'end');
      this.drain();
    }
  }

  private skipTo(seq: number, cause: 'lost' | 'held_limit' | 'end'): void {
    const missing = dist(seq, this.next!);
    if (missing <= 0) return;
    this.next = seq;
    this.sink.gap(missing, cause);
  }

  private atFin(): void {
    if (this.finAt !== null && this.next === this.finAt && this.held.length === 0) this.next = add(this.finAt, 1);
  }

  /** Insert [seq, seq+len) keeping only bytes no held segment covers yet (first wins). */
  private hold(seq: number, data: Buffer): void {
    const base = this.next!;
    let lo = dist(seq, base);
    const hi = lo + data.length;
    const pieces: Held[] = [];
    let i = 0;
    for (; i < this.held.length && lo < hi; i++) {
      const h = this.held[i]!;
      const hlo = dist(h.seq, base);
      const hhi = hlo + h.data.length;
      if (hhi <= lo) continue;
      if (hlo >= hi) break;
      if (hlo > lo) pieces.push({ seq: add(base, lo), data: data.subarray(lo - dist(seq, base), hlo - dist(seq, base)) });
      const olo = Math.max(lo, hlo);
      const ohi = Math.min(hi, hhi);
      const mine = data.subarray(olo - dist(seq, base), ohi - dist(seq, base));
      if (!mine.equals(h.data.subarray(olo - hlo, ohi - hlo))) this.sink.overlapMismatch();
      lo = Math.max(lo, hhi);
    }
    if (lo < hi) pieces.push({ seq: add(base, lo), data: data.subarray(lo - dist(seq, base)) });
    for (const p of pieces) {
      const copy = Buffer.from(p.data); // held bytes outlive the caller's buffer
      const at = this.indexFor(p.seq);
      this.held.splice(at, 0, { seq: p.seq, data: copy });
      this.heldBytes += copy.length;
      this.budget.held += copy.length;
    }
  }

  private indexFor(seq: number): number {
    const base = this.next!;
    const rel = dist(seq, base);
    let i = this.held.length;
    while (i > 0 && dist(this.held[i - 1]!.seq, base) > rel) i--;
    return i;
  }

  /** Deliver held segments that now start at `next`. */
  private drain(): void {
    while (this.held.length > 0) {
      const h = this.held[0]!;
      const rel = dist(h.seq, this.next!);
      if (rel > 0) return;
      this.held.shift();
      this.heldBytes -= h.data.length;
      this.budget.held -= h.data.length;
      const fresh = rel < 0 ? h.data.subarray(Math.min(-rel, h.data.length)) : h.data;
      if (fresh.length === 0) continue;
      this.next = add(this.next!, fresh.length);
      this.sink.data(fresh);
    }
  }

  private enforceLimits(): void {
    while (
      this.held.length > 0 &&
      (this.heldBytes > this.limits.maxHeldBytes || this.held.length > this.limits.maxHeldSegments || this.budget.held > this.budget.max)
    ) {
      this.skipTo(this.held[0]!.seq, 'held_limit');
      this.drain();
    }
  }
}
