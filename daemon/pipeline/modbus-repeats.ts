/**
 * The last allowed requests of one Modbus connection, by their bytes. A master polls the same
 * few requests over and over, differing only in the transaction id (MBAP bytes 0-1): when an ADU
 * repeats one of these byte for byte from the protocol id on (bytes 2.. : length, unit, PDU), its
 * decode is the remembered frame with this ADU's MBAP header, and its verdict is the remembered
 * allow for as long as rules/matchers/modbus.ts allowStands() says the rule windows have not
 * moved. The inspector drops the whole cache when a reload swaps the policy.
 *
 * Only table reads and writes are remembered (their frames hold numbers, no views of a chunk).
 */
import { readMbap } from '../../protocols/modbus/mbap';
import type { ModbusRequest } from '../../protocols/modbus/types';
import { allowStands, type AllowBasis } from '../../rules/matchers/modbus';
import type { Verdict } from '../../rules/verdict';

/** Distinct polls remembered per connection (round robin). */
const SLOTS = 8;
/** Longer ADUs (large writes) are not remembered: comparing them costs what decoding does. */
const MAX_BYTES = 64;
/**
 * A master that does not repeat itself (paging through registers, changing setpoints) would pay
 * a copy and an entry per request for nothing: after the first lookups, remembering goes on only
 * while at least one lookup in 4 hits, plus one miss in 64 to notice when polling starts.
 */
const PROBATION = 64;
/** Table reads and writes are at least 12 bytes (MBAP 7 + FC + address + quantity/value). */
const MIN_BYTES = 12;
const SAMPLE_MISSES = 63; // mask: one miss in 64
const HALVE_AT = 1024;

interface Entry {
  /** ADU bytes 2..end. */
  readonly key: Buffer;
  readonly frame: ModbusRequest;
  readonly basis: AllowBasis;
}

const REMEMBERED: ReadonlySet<ModbusRequest['op']> = new Set<ModbusRequest['op']>([
  'read', 'write_single_coil', 'write_single_register', 'write_multiple_coils', 'write_multiple_registers',
  'mask_write_register', 'read_write_multiple_registers', 'read_fifo_queue',
]);

export class AllowedRepeats {
  private readonly entries: (Entry | null)[] = new Array<Entry | null>(SLOTS).fill(null);
  /** Per slot: the ADU's size (0 = empty) and bytes 6-9 (unit, FC, first PDU byte pair) as one number, checked before the bytes. */
  private readonly sizes = new Int32Array(SLOTS);
  private readonly heads = new Int32Array(SLOTS);
  private next = 0;
  private lookups = 0;
  private hits = 0;
  private misses = 0;

  /**
   * The request at `off` (a whole ADU of `size` bytes, header already checked) and its verdict,
   * if it repeats an allowed one whose allow still stands.
   */
  find(buf: Buffer, off: number, size: number, now: number): { readonly frame: ModbusRequest; readonly verdict: Verdict } | null {
    if (size > MAX_BYTES || size < MIN_BYTES) return null;
    if (++this.lookups >= HALVE_AT) {
      this.lookups >>= 1;
      this.hits >>= 1;
    }
    const head = buf.readInt32BE(off + 6);
    for (let i = 0; i < SLOTS; i++) {
      if (this.sizes[i] !== size || this.heads[i] !== head) continue;
      const e = this.entries[i]!;
      if (!sameBytes(e.key, buf, off + 2)) continue;
      if (!allowStands(e.basis, now)) return null;
      this.hits++;
      return { frame: { ...e.frame, mbap: readMbap(buf, off) }, verdict: e.basis.verdict };
    }
    return null;
  }

  /**
   * Whether an allowed request of `size` bytes that missed is worth remembering: a table read or
   * write of a size find() looks at, from a master that repeats itself (see PROBATION). Asked
   * before the caller builds the AllowBasis.
   */
  worthRemembering(frame: ModbusRequest, size: number): boolean {
    if (size > MAX_BYTES || size < MIN_BYTES || !REMEMBERED.has(frame.op)) return false;
    return this.lookups < PROBATION || this.hits * 4 >= this.lookups || (++this.misses & SAMPLE_MISSES) === 0;
  }

  /** Remembers an allowed request (decoded from the ADU at `off`, `size` bytes; worthRemembering() said yes). */
  remember(buf: Buffer, off: number, size: number, frame: ModbusRequest, basis: AllowBasis): void {
    const i = this.next;
    this.entries[i] = { key: Buffer.from(buf.subarray(off + 2, off + size)), frame, basis };
    this.sizes[i] = size;
    this.heads[i] = buf.readInt32BE(off + 6);
    this.next = (i + 1) % SLOTS;
  }

  clear(): void {
    this.entries.fill(null);
    this.sizes.fill(0);
    this.next = 0;
    this.lookups = this.hits = this.misses = 0;
  }
}

function sameBytes(key: Buffer, buf: Buffer, at: number): boolean {
  for (let i = 0; i < key.length; i++) if (key[i] !== buf[at + i]) return false;
  return true;
}
