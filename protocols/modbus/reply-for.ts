/**
 * The normal response a conforming device would send to a request (MB-AP §6), for fake devices,
 * fixtures and benchmarks. Reads take their values from `valueAt` (default 0); writes echo.
 */
import type { ResponseBody } from './encode';
import type { ModbusRequest, ModbusTable } from './types';

export type ValueAt = (table: ModbusTable, address: number) => number;

const zero: ValueAt = () => 0;

const range = (address: number, quantity: number, table: ModbusTable, valueAt: ValueAt): number[] =>
  Array.from({ length: quantity }, (_, i) => valueAt(table, address + i) & 0xffff);

/** The body of the normal response, or null for FC 43 types other than 14 and unknown codes. */
export function replyBodyFor(req: ModbusRequest, valueAt: ValueAt = zero): ResponseBody | null {
  switch (req.op) {
    case 'read':
      return req.fc <= 2
        ? { fc: req.fc as 1 | 2, bits: range(req.address, req.quantity, req.table, valueAt).map((v) => (v ? 1 : 0)) }
        : { fc: req.fc as 3 | 4, registers: range(req.address, req.quantity, req.table, valueAt) };
    case 'write_single_coil':
      return { fc: 5, address: req.address, value: req.value };
    case 'write_single_register':
      return { fc: 6, address: req.address, value: req.value };
    case 'no_data':
      switch (req.fc) {
        case 7:
          return { fc: 7, status: 0 };
        case 11:
          return { fc: 11, status: 0, eventCount: 0 };
        case 12:
          return { fc: 12, status: 0, eventCount: 0, messageCount: 0, events: Buffer.alloc(0) };
        case 17:
          return { fc: 17, data: Buffer.from([0x01, 0xff]) }; // server id 1, run indicator ON
      }
      return null;
    case 'diagnostics':
      return { fc: 8, subfunction: req.subfunction, data: req.data };
    case 'write_multiple_coils':
    case 'write_multiple_registers':
      return { fc: req.fc, address: req.address, quantity: req.quantity };
    case 'read_file_record':
      return { fc: 20, records: req.subRequests.map((s) => new Array<number>(s.length).fill(0)) };
    case 'write_file_record':
      return { fc: 21, subRequests: req.subRequests };
    case 'mask_write_register':
      return { fc: 22, address: req.address, andMask: req.andMask, orMask: req.orMask };
    case 'read_write_multiple_registers':
      return { fc: 23, registers: range(req.readAddress, req.readQuantity, 'holding_registers', valueAt) };
    case 'read_fifo_queue':
      return { fc: 24, values: [] };
    case 'encapsulated':
      if (req.readDeviceIdCode === undefined) return null;
      return {
        fc: 43, mei: 14, readDeviceIdCode: req.readDeviceIdCode, conformity: 0x01, moreFollows: false, nextObjectId: 0,
        objects: [{ id: req.objectId ?? 0, value: Buffer.from('otgate', 'latin1') }],
      };
    case 'other':
      return null;
  }
}
