/**
 * The audit store's in-memory queue of decisions waiting for a write: two lanes (violations,
 * allowed rows) so overload can evict the newest allowed row in O(1), and a sequence number per
 * row that restores arrival order when a write takes rows from both. Each row keeps the policy
 * hash it was decided under. The drop policy itself (what to drop when full) is the store's.
 */
import type { DecisionEvent } from '../pipeline/contract';
import { eventRow, type WriteBatch } from './rows';

/** One lane's rows in arrival order, with their sequence numbers and policy hashes. */
export interface Lane {
  readonly e: DecisionEvent[];
  readonly seq: number[];
  readonly hash: (string | null)[];
}

/** Rows taken for one write, as plain rows in arrival order, and per lane to be put back. */
export interface TakenRows {
  readonly v: Lane;
  readonly a: Lane;
  readonly events: WriteBatch['events'];
}

const emptyLane = (): Lane => ({ e: [], seq: [], hash: [] });

export class DecisionQueue {
  private v = emptyLane();
  private a = emptyLane();
  private seq = 0;

  get length(): number {
    return this.v.e.length + this.a.e.length;
  }

  get violations(): number {
    return this.v.e.length;
  }

  get allowed(): number {
    return this.a.e.length;
  }

  push(e: DecisionEvent, violation: boolean, hash: string | null): void {
    const lane = violation ? this.v : this.a;
    lane.e.push(e);
    lane.seq.push(this.seq++);
    lane.hash.push(hash);
  }

  /** Drops the newest allowed row (the caller checked there is one). */
  evictNewestAllowed(): void {
    this.a.e.pop();
    this.a.seq.pop();
    this.a.hash.pop();
  }

  /** Up to `max` rows, oldest first across both lanes, turned into INSERT parameters. */
  take(max: number): TakenRows {
    const { v, a } = this;
    const n = Math.min(this.length, max);
    const events: WriteBatch['events'] = [];
    let i = 0;
    let j = 0;
    for (let k = 0; k < n; k++) {
      const takeV = j >= a.e.length || (i < v.e.length && v.seq[i]! < a.seq[j]!);
      events.push(takeV ? eventRow(v.e[i]!, v.hash[i++]!) : eventRow(a.e[j]!, a.hash[j++]!));
    }
    return {
      v: { e: v.e.splice(0, i), seq: v.seq.splice(0, i), hash: v.hash.splice(0, i) },
      a: { e: a.e.splice(0, j), seq: a.seq.splice(0, j), hash: a.hash.splice(0, j) },
      events,
    };
  }

  /** Rows of a write that rolled back go back to the front (they are the oldest). */
  putBack(t: TakenRows): void {
    const front = (taken: Lane, lane: Lane): Lane => ({ e: taken.e.concat(lane.e), seq: taken.seq.concat(lane.seq), hash: taken.hash.concat(lane.hash) });
    this.v = front(t.v, this.v);
    this.a = front(t.a, this.a);
  }
}
