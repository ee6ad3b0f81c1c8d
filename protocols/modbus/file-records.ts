/**
 * FC 20/21 file record sub-requests, MB-AP §6.14, §6.15. Each names reference type 6, a file
 * (1..0xFFFF), a record (0..0x270F) and a record length in words; FC 21 also carries the data.
 */
import type { FileSubRequest } from './types';
import { ModbusAnomalies as A } from './anomalies';
import { FILE_REFERENCE_TYPE, MAX_FILE_RECORD } from './limits';
import { fault, Fault, readWords, u16 } from './pdu';

function checkRef(fc: number, ref: number, file: number, record: number): Fault | null {
  if (ref !== FILE_REFERENCE_TYPE) return fault(A.invalid_value, `FC ${fc}: reference type ${ref} (must be 6)`);
  if (file === 0) return fault(A.invalid_value, `FC ${fc}: file number 0 (1..65535)`);
  if (record > MAX_FILE_RECORD) return fault(A.invalid_value, `FC ${fc}: record number ${record} (0..${MAX_FILE_RECORD})`);
  return null;
}

/** FC 20 request: 7-byte sub-requests filling [at, end). The byte count was checked by the caller. */
export function readFileSubRequests(buf: Buffer, at: number, end: number): FileSubRequest[] | Fault {
  const out: FileSubRequest[] = [];
  for (let i = at; i + 7 <= end; i += 7) {
    const referenceType = buf[i]!;
    const file = u16(buf, i + 1);
    const record = u16(buf, i + 3);
    const bad = checkRef(20, referenceType, file, record);
    if (bad) return bad;
    out.push({ referenceType, file, record, length: u16(buf, i + 5) });
  }
  return out;
}

export type FileWrite = FileSubRequest & { readonly data: readonly number[] };

/** FC 21 request (and its echo): sub-requests with data filling [at, end) exactly. */
export function writeFileSubRequests(buf: Buffer, at: number, end: number): FileWrite[] | Fault {
  const out: FileWrite[] = [];
  let i = at;
  while (i < end) {
    if (i + 7 > end) return fault(A.byte_count_mismatch, `FC 21: sub-request header cut at byte ${i - at}`);
    const referenceType = buf[i]!;
    const file = u16(buf, i + 1);
    const record = u16(buf, i + 3);
    const length = u16(buf, i + 5);
    const bad = checkRef(21, referenceType, file, record);
    if (bad) return bad;
    if (i + 7 + 2 * length > end) return fault(A.byte_count_mismatch, `FC 21: record length ${length} overruns the byte count`);
    out.push({ referenceType, file, record, length, data: readWords(buf, i + 7, length) });
    i += 7 + 2 * length;
  }
  return out;
}

/** FC 20 response: sub-responses [file resp length, reference type, words], MB-AP §6.14. */
export function checkFileSubResponses(buf: Buffer, at: number, end: number): Fault | null {
  let i = at;
  while (i < end) {
    const len = buf[i]!;
    if (len < 1 || (len - 1) % 2 !== 0 || i + 1 + len > end) {
      return fault(A.byte_count_mismatch, `FC 20: sub-response length ${len} at byte ${i - at}`);
    }
    const ref = buf[i + 1]!;
    if (ref !== FILE_REFERENCE_TYPE) return fault(A.invalid_value, `FC 20: reference type ${ref} (must be 6)`);
    i += 1 + len;
  }
  return null;
}
