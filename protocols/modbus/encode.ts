/**
 * Modbus TCP encoders. `encodeException` is the gateway's refusal (data path); the others build
 * requests and responses for tests, fixtures, benchmarks and round trips. Encoders write what
 * they are given without validating it (tests build hostile frames with them too), except that
 * the MBAP length and protocol id are always computed (MB-TCP §3.1.3).
 */
import { COIL_OFF, COIL_ON, MEI_DEVICE_ID } from './limits';
import { allocAdu } from './mbap';
import type { FileSubRequest, ModbusFrame, ModbusRequestBody, ModbusResponse } from './types';

/** Where a frame goes: the MBAP fields an encoder needs. */
export interface Address {
  readonly tid: number;
  readonly unit: number;
}

/** A request to encode: any decoded request fits (its MBAP length is recomputed). */
export type RequestInput = ModbusRequestBody & { readonly mbap: Address };

/**
 * The refusal the gateway sends instead of forwarding: same transaction id and unit, function
 * code | 0x80, one exception code; MBAP length 3 (MB-AP §7, MB-TCP §3.1.3).
 */
export function encodeException(req: { readonly mbap: Address; readonly fc: number }, code: number): Buffer {
  const out = allocAdu(req.mbap.tid, req.mbap.unit, 2);
  out[7] = (req.fc & 0x7f) | 0x80;
  out[8] = code & 0xff;
  return out;
}

/** An ADU around a raw PDU (function code + data), e.g. FC 43/13 or a vendor code. */
export function encodeRaw(to: Address, fc: number, data: Uint8Array): Buffer {
  const out = allocAdu(to.tid, to.unit, 1 + data.length);
  out[7] = fc & 0xff;
  out.set(data, 8);
  return out;
}

function packBits(out: Buffer, at: number, values: readonly number[], count: number): void {
  for (let i = 0; i < count; i++) if (values[i]) out[at + (i >> 3)]! |= 1 << (i & 7);
}

function putWords(out: Buffer, at: number, values: readonly number[], count: number): void {
  for (let i = 0; i < count; i++) out.writeUInt16BE((values[i] ?? 0) & 0xffff, at + 2 * i);
}

export function encodeRequest(req: RequestInput): Buffer {
  const { tid, unit } = req.mbap;
  const pdu = (len: number): Buffer => {
    const out = allocAdu(tid, unit, len);
    out[7] = req.fc & 0xff;
    return out;
  };
  switch (req.op) {
    case 'read': {
      const out = pdu(5);
      out.writeUInt16BE(req.address, 8);
      out.writeUInt16BE(req.quantity, 10);
      return out;
    }
    case 'write_single_coil': {
      const out = pdu(5);
      out.writeUInt16BE(req.address, 8);
      out.writeUInt16BE(req.value ? COIL_ON : COIL_OFF, 10);
      return out;
    }
    case 'write_single_register': {
      const out = pdu(5);
      out.writeUInt16BE(req.address, 8);
      out.writeUInt16BE(req.value, 10);
      return out;
    }
    case 'no_data':
      return pdu(1);
    case 'diagnostics': {
      const out = pdu(3 + req.data.length);
      out.writeUInt16BE(req.subfunction, 8);
      out.set(req.data, 10);
      return out;
    }
    case 'write_multiple_coils': {
      const count = (req.quantity + 7) >> 3;
      const out = pdu(6 + count);
      out.writeUInt16BE(req.address, 8);
      out.writeUInt16BE(req.quantity, 10);
      out[12] = count;
      packBits(out, 13, req.values, req.quantity);
      return out;
    }
    case 'write_multiple_registers': {
      const out = pdu(6 + 2 * req.quantity);
      out.writeUInt16BE(req.address, 8);
      out.writeUInt16BE(req.quantity, 10);
      out[12] = 2 * req.quantity;
      putWords(out, 13, req.values, req.quantity);
      return out;
    }
    case 'read_file_record': {
      const out = pdu(2 + 7 * req.subRequests.length);
      out[8] = 7 * req.subRequests.length;
      req.subRequests.forEach((s, k) => putSubRequest(out, 9 + 7 * k, s));
      return out;
    }
    case 'write_file_record': {
      const count = req.subRequests.reduce((sum, s) => sum + 7 + 2 * s.length, 0);
      const out = pdu(2 + count);
      out[8] = count;
      writeFileSubs(out, 9, req.subRequests);
      return out;
    }
    case 'mask_write_register': {
      const out = pdu(7);
      out.writeUInt16BE(req.address, 8);
      out.writeUInt16BE(req.andMask, 10);
      out.writeUInt16BE(req.orMask, 12);
      return out;
    }
    case 'read_write_multiple_registers': {
      const out = pdu(10 + 2 * req.writeQuantity);
      out.writeUInt16BE(req.readAddress, 8);
      out.writeUInt16BE(req.readQuantity, 10);
      out.writeUInt16BE(req.writeAddress, 12);
      out.writeUInt16BE(req.writeQuantity, 14);
      out[16] = 2 * req.writeQuantity;
      putWords(out, 17, req.values, req.writeQuantity);
      return out;
    }
    case 'read_fifo_queue': {
      const out = pdu(3);
      out.writeUInt16BE(req.address, 8);
      return out;
    }
    case 'encapsulated': {
      // MEI 14 from its fields when given (MB-AP §6.21), else the opaque MEI data.
      const data = req.mei === MEI_DEVICE_ID && req.readDeviceIdCode !== undefined
        ? Buffer.from([req.readDeviceIdCode, req.objectId ?? 0])
        : req.data;
      const out = pdu(2 + data.length);
      out[8] = req.mei;
      out.set(data, 9);
      return out;
    }
    case 'other': {
      const out = pdu(1 + req.data.length);
      out.set(req.data, 8);
      return out;
    }
  }
}

function putSubRequest(out: Buffer, at: number, s: FileSubRequest): void {
  out[at] = s.referenceType;
  out.writeUInt16BE(s.file, at + 1);
  out.writeUInt16BE(s.record, at + 3);
  out.writeUInt16BE(s.length, at + 5);
}

function writeFileSubs(out: Buffer, at: number, subs: readonly (FileSubRequest & { readonly data: readonly number[] })[]): void {
  let i = at;
  for (const s of subs) {
    putSubRequest(out, i, s);
    putWords(out, i + 7, s.data, s.length);
    i += 7 + 2 * s.length;
  }
}

/** Normal response bodies by function code (MB-AP §6); FC 43/13 and vendor codes use encodeRaw. */
export type ResponseBody =
  | { readonly fc: 1 | 2; readonly bits: readonly number[] }
  | { readonly fc: 3 | 4 | 23; readonly registers: readonly number[] }
  | { readonly fc: 5; readonly address: number; readonly value: boolean }
  | { readonly fc: 6; readonly address: number; readonly value: number }
  | { readonly fc: 7; readonly status: number }
  | { readonly fc: 8; readonly subfunction: number; readonly data: Uint8Array }
  | { readonly fc: 11; readonly status: number; readonly eventCount: number }
  | { readonly fc: 12; readonly status: number; readonly eventCount: number; readonly messageCount: number; readonly events: Uint8Array }
  | { readonly fc: 15 | 16; readonly address: number; readonly quantity: number }
  | { readonly fc: 17; readonly data: Uint8Array }
  | { readonly fc: 20; readonly records: readonly (readonly number[])[] }
  | { readonly fc: 21; readonly subRequests: readonly (FileSubRequest & { readonly data: readonly number[] })[] }
  | { readonly fc: 22; readonly address: number; readonly andMask: number; readonly orMask: number }
  | { readonly fc: 24; readonly values: readonly number[] }
  | {
      readonly fc: 43; readonly mei: 14; readonly readDeviceIdCode: number; readonly conformity: number;
      readonly moreFollows: boolean; readonly nextObjectId: number;
      readonly objects: readonly { readonly id: number; readonly value: Uint8Array }[];
    };

export function encodeResponse(to: Address, body: ResponseBody): Buffer {
  const pdu = (len: number): Buffer => {
    const out = allocAdu(to.tid, to.unit, len);
    out[7] = body.fc;
    return out;
  };
  switch (body.fc) {
    case 1:
    case 2: {
      const count = (body.bits.length + 7) >> 3;
      const out = pdu(2 + count);
      out[8] = count;
      packBits(out, 9, body.bits, body.bits.length);
      return out;
    }
    case 3:
    case 4:
    case 23: {
      const out = pdu(2 + 2 * body.registers.length);
      out[8] = 2 * body.registers.length;
      putWords(out, 9, body.registers, body.registers.length);
      return out;
    }
    case 5:
    case 6: {
      const out = pdu(5);
      out.writeUInt16BE(body.address, 8);
      out.writeUInt16BE(body.fc === 5 ? (body.value ? COIL_ON : COIL_OFF) : body.value, 10);
      return out;
    }
    case 7: {
      const out = pdu(2);
      out[8] = body.status;
      return out;
    }
    case 8: {
      const out = pdu(3 + body.data.length);
      out.writeUInt16BE(body.subfunction, 8);
      out.set(body.data, 10);
      return out;
    }
    case 11: {
      const out = pdu(5);
      out.writeUInt16BE(body.status, 8);
      out.writeUInt16BE(body.eventCount, 10);
      return out;
    }
    case 12: {
      const out = pdu(8 + body.events.length);
      out[8] = 6 + body.events.length;
      out.writeUInt16BE(body.status, 9);
      out.writeUInt16BE(body.eventCount, 11);
      out.writeUInt16BE(body.messageCount, 13);
      out.set(body.events, 15);
      return out;
    }
    case 15:
    case 16: {
      const out = pdu(5);
      out.writeUInt16BE(body.address, 8);
      out.writeUInt16BE(body.quantity, 10);
      return out;
    }
    case 17: {
      const out = pdu(2 + body.data.length);
      out[8] = body.data.length;
      out.set(body.data, 9);
      return out;
    }
    case 20: {
      const count = body.records.reduce((sum, r) => sum + 2 + 2 * r.length, 0);
      const out = pdu(2 + count);
      out[8] = count;
      let i = 9;
      for (const r of body.records) {
        out[i] = 1 + 2 * r.length; // file response length: reference type + words
        out[i + 1] = 6;
        putWords(out, i + 2, r, r.length);
        i += 2 + 2 * r.length;
      }
      return out;
    }
    case 21: {
      const count = body.subRequests.reduce((sum, s) => sum + 7 + 2 * s.length, 0);
      const out = pdu(2 + count);
      out[8] = count;
      writeFileSubs(out, 9, body.subRequests);
      return out;
    }
    case 22: {
      const out = pdu(7);
      out.writeUInt16BE(body.address, 8);
      out.writeUInt16BE(body.andMask, 10);
      out.writeUInt16BE(body.orMask, 12);
      return out;
    }
    case 24: {
      const out = pdu(5 + 2 * body.values.length);
      out.writeUInt16BE(2 + 2 * body.values.length, 8);
      out.writeUInt16BE(body.values.length, 10);
      putWords(out, 12, body.values, body.values.length);
      return out;
    }
    case 43: {
      const len = body.objects.reduce((sum, o) => sum + 2 + o.value.length, 0);
      const out = pdu(7 + len);
      out[8] = body.mei;
      out[9] = body.readDeviceIdCode;
      out[10] = body.conformity;
      out[11] = body.moreFollows ? 0xff : 0x00;
      out[12] = body.nextObjectId;
      out[13] = body.objects.length;
      let i = 14;
      for (const o of body.objects) {
        out[i] = o.id;
        out[i + 1] = o.value.length;
        out.set(o.value, i + 2);
        i += 2 + o.value.length;
      }
      return out;
    }
  }
}

/** Re-encodes a decoded frame (round trips): requests from their fields, responses from `data`. */
export function encodeFrame(frame: ModbusFrame): Buffer {
  if (frame.kind === 'request') return encodeRequest(frame);
  return encodeResponseFrame(frame);
}

export function encodeResponseFrame(res: ModbusResponse): Buffer {
  if (res.exception) return encodeException(res, res.exceptionCode);
  return encodeRaw(res.mbap, res.fc, res.data);
}
