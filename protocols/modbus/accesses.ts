/**
 * The table accesses a request makes (MB-AP §4.3 tables); the policy judges requests by these.
 * Function codes that touch no table (7, 8, 11, 12, 17, 43, vendor codes) and file records
 * (FC 20/21, not tables) return none: the policy judges them by function code alone.
 */
import type { ModbusRequest, TableAccess } from './types';

const NONE: readonly TableAccess[] = Object.freeze([]);

export function accessesOf(req: ModbusRequest): readonly TableAccess[] {
  switch (req.op) {
    case 'read':
      return [{ table: req.table, access: 'read', address: req.address, quantity: req.quantity }];
    case 'write_single_coil':
      return [{ table: 'coils', access: 'write', address: req.address, quantity: 1, values: [req.value ? 1 : 0] }];
    case 'write_single_register':
      return [{ table: 'holding_registers', access: 'write', address: req.address, quantity: 1, values: [req.value] }];
    case 'write_multiple_coils':
      return [{ table: 'coils', access: 'write', address: req.address, quantity: req.quantity, values: req.values }];
    case 'write_multiple_registers':
      return [{ table: 'holding_registers', access: 'write', address: req.address, quantity: req.quantity, values: req.values }];
    case 'mask_write_register':
      // MB-AP §6.16: the result depends on the register's current value, so no values to judge.
      return [{ table: 'holding_registers', access: 'write', address: req.address, quantity: 1 }];
    case 'read_write_multiple_registers':
      // MB-AP §6.17: the write is performed before the read.
      return [
        { table: 'holding_registers', access: 'write', address: req.writeAddress, quantity: req.writeQuantity, values: req.values },
        { table: 'holding_registers', access: 'read', address: req.readAddress, quantity: req.readQuantity },
      ];
    case 'read_fifo_queue':
      // MB-AP §6.18: the FIFO is named by its pointer register (its count); the queued values
      // live where the device keeps them, so the access is the pointer register.
      return [{ table: 'holding_registers', access: 'read', address: req.address, quantity: 1 }];
    case 'no_data':
    case 'diagnostics':
    case 'read_file_record':
    case 'write_file_record':
    case 'encapsulated':
    case 'other':
      return NONE;
  }
}
