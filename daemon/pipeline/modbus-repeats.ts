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
  private next = 0;

  /**
   * The request at `off` (a whole ADU of `size` bytes, header already checked) and its verdict,
   * if it repeats an allowed one whose allow still stands.
   */
  find(buf: Buffer, off: number, size: number, now: number): { readonly frame: ModbusRequest; readonly verdict: Verdict } | null {
    if (size > MAX_BYTES) return null;
    for (let i = 0; i < SLOTS; i++) {
      const e = this.entries[i];
      if (e === undefined || e === null || e.key.length !== size - 2 || !sameBytes(e.key, buf, off + 2)) continue;
      if (!allowStands(e.basis, now)) return null;
      return { frame: { ...e.frame, mbap: readMbap(buf, off) }, verdict: e.basis.verdict };
    }
    return null;
  }

  /** Remembers an allowed request (decoded from the ADU at `off`, `size` bytes). */
  remember(buf: Buffer, off: number, size: number, frame: ModbusRequest, basis: AllowBasis): void {
    if (size > MAX_BYTES || !REMEMBERED.has(frame.op)) return;
    this.entries[this.next] = { key: Buffer.from(buf.subarray(off + 2, off + size)), frame, basis };
    this.next = (this.next + 1) % SLOTS;
  }

  clear(): void {
    this.entries.fill(null);
    this.next = 0;
  }
}

function sameBytes(key: Buffer, buf: Buffer, at: number): boolean {
  for (let i = 0; i < key.length; i++) if (key[i] !== buf[at + i]) return false;
  return true;
}
