/**
 * Shared PDU checks for the request and response decoders. A `Fault` is a value (never
 * thrown): the decoder returns it and `decodeModbusAdu` turns it into a non-fatal `malformed`.
 * Callers check bounds before every read, so no Buffer accessor can throw.
 */
import { anomaly, type Anomaly, type AnomalySpec } from '../common';
import { ModbusAnomalies as A } from './anomalies';

export class Fault {
  constructor(readonly anomaly: Anomaly) {}
}

export const fault = (spec: AnomalySpec, detail: string): Fault => new Fault(anomaly(spec, detail));

export const u16 = (buf: Buffer, at: number): number => (buf[at]! << 8) | buf[at + 1]!;

/** A PDU of exactly `want` bytes (function code included). */
export function exact(fc: number, n: number, want: number): Fault | null {
  if (n < want) return fault(A.pdu_truncated, `FC ${fc}: PDU ${n} bytes, expected ${want}`);
  if (n > want) return fault(A.pdu_trailing_bytes, `FC ${fc}: PDU ${n} bytes, expected ${want}`);
  return null;
}

/** At least `want` bytes before the variable part. */
export function atLeast(fc: number, n: number, want: number): Fault | null {
  return n < want ? fault(A.pdu_truncated, `FC ${fc}: PDU ${n} bytes, at least ${want} needed`) : null;
}

/** Quantity in 1..max and the block inside the 16-bit address space (MB-AP §4.4). */
export function block(fc: number, address: number, quantity: number, max: number, what = 'quantity'): Fault | null {
  if (quantity < 1 || quantity > max) return fault(A.quantity_out_of_range, `FC ${fc}: ${what} ${quantity} (1..${max})`);
  if (address + quantity > 0x10000) return fault(A.address_out_of_range, `FC ${fc}: ${address}+${quantity} past 65535`);
  return null;
}

/** The bytes after a byte count field must be exactly `count` long. */
export function counted(fc: number, count: number, following: number): Fault | null {
  return count === following ? null : fault(A.byte_count_mismatch, `FC ${fc}: byte count ${count}, ${following} bytes follow`);
}

export function readWords(buf: Buffer, at: number, count: number): number[] {
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) out[i] = u16(buf, at + 2 * i);
  return out;
}

/** Coil/input bits, LSB of the first byte first (MB-AP §6.1, §6.11). */
export function readBits(buf: Buffer, at: number, count: number): number[] {
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) out[i] = (buf[at + (i >> 3)]! >> (i & 7)) & 1;
  return out;
}
