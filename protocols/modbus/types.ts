/**
 * Modbus TCP frame types. References: Modbus Application Protocol Specification V1.1b3
 * ("MB-AP") and Modbus Messaging on TCP/IP Implementation Guide V1.0b ("MB-TCP").
 * Frames are discriminated unions on `fc`; switches over them are exhaustive.
 */

/** MBAP header, MB-TCP §3.1.3: transaction id, protocol id (0), length (unit id + PDU), unit id. */
export interface Mbap {
  readonly tid: number;
  readonly pid: number;
  readonly length: number;
  readonly unit: number;
}

/** The four primary tables, MB-AP §4.3. Names match the policy file's keys. */
export type ModbusTable = 'coils' | 'discrete_inputs' | 'input_registers' | 'holding_registers';

/** One table access a request makes; the policy checks requests through these. */
export interface TableAccess {
  readonly table: ModbusTable;
  readonly access: 'read' | 'write';
  /** 0-based PDU address. */
  readonly address: number;
  readonly quantity: number;
  /** Written values (register words, or 0/1 for coils) when the request carries them. */
  readonly values?: readonly number[];
}

/** FC 20/21 sub-request, MB-AP §6.14/§6.15. */
export interface FileSubRequest {
  readonly referenceType: number;
  readonly file: number;
  readonly record: number;
  readonly length: number;
}

/**
 * Request PDUs, discriminated on `op` (not on `fc`, because unknown function codes must stay
 * representable without breaking narrowing). `fc` is always the wire function code.
 */
export type ModbusRequestBody =
  /** FC 1/2/3/4, MB-AP §6.1-6.4. */
  | { readonly op: 'read'; readonly fc: 1 | 2 | 3 | 4; readonly table: ModbusTable; readonly address: number; readonly quantity: number }
  /** FC 5, MB-AP §6.5: value 0xFF00 = on, 0x0000 = off. */
  | { readonly op: 'write_single_coil'; readonly fc: 5; readonly address: number; readonly value: boolean }
  /** FC 6, MB-AP §6.6. */
  | { readonly op: 'write_single_register'; readonly fc: 6; readonly address: number; readonly value: number }
  /** FC 7/11/12/17 (serial-line diagnostics and identification, no data), MB-AP §6.7, 6.9, 6.10, 6.13. */
  | { readonly op: 'no_data'; readonly fc: 7 | 11 | 12 | 17 }
  /** FC 8 Diagnostics, MB-AP §6.8: sub-function and its data words. */
  | { readonly op: 'diagnostics'; readonly fc: 8; readonly subfunction: number; readonly data: Buffer }
  /** FC 15, MB-AP §6.11: values are 0/1 per coil. */
  | { readonly op: 'write_multiple_coils'; readonly fc: 15; readonly address: number; readonly quantity: number; readonly values: readonly number[] }
  /** FC 16, MB-AP §6.12. */
  | { readonly op: 'write_multiple_registers'; readonly fc: 16; readonly address: number; readonly quantity: number; readonly values: readonly number[] }
  /** FC 20, MB-AP §6.14. */
  | { readonly op: 'read_file_record'; readonly fc: 20; readonly subRequests: readonly FileSubRequest[] }
  /** FC 21, MB-AP §6.15. */
  | { readonly op: 'write_file_record'; readonly fc: 21; readonly subRequests: readonly (FileSubRequest & { readonly data: readonly number[] })[] }
  /** FC 22, MB-AP §6.16. */
  | { readonly op: 'mask_write_register'; readonly fc: 22; readonly address: number; readonly andMask: number; readonly orMask: number }
  /** FC 23, MB-AP §6.17: the read happens after the write. */
  | {
      readonly op: 'read_write_multiple_registers';
      readonly fc: 23;
      readonly readAddress: number;
      readonly readQuantity: number;
      readonly writeAddress: number;
      readonly writeQuantity: number;
      readonly values: readonly number[];
    }
  /** FC 24, MB-AP §6.18. */
  | { readonly op: 'read_fifo_queue'; readonly fc: 24; readonly address: number }
  /** FC 43 Encapsulated Interface Transport, MB-AP §6.19-6.21: MEI 13 (CANopen) or 14 (device id). */
  | { readonly op: 'encapsulated'; readonly fc: 43; readonly mei: number; readonly readDeviceIdCode?: number; readonly objectId?: number; readonly data: Buffer }
  /** Any other function code (user-defined 65-72/100-110, vendor ones such as 90 UMAS): opaque. */
  | { readonly op: 'other'; readonly fc: number; readonly data: Buffer };

export type ModbusRequest = { readonly kind: 'request'; readonly mbap: Mbap } & ModbusRequestBody;

/**
 * Response PDUs. `fc` is the function code without the exception bit (0x80); `exception` says
 * whether the bit was set (MB-AP §7), so a response pairs with its request on `fc` alone.
 */
export type ModbusResponse =
  | { readonly kind: 'response'; readonly mbap: Mbap; readonly fc: number; readonly exception: false;
      /** Decoded payload where the FC is known; data is the raw PDU after the function code. */
      readonly data: Buffer; readonly values?: readonly number[]; readonly address?: number; readonly quantity?: number;
      /** FC 8 sub-function echoed by the device. */
      readonly subfunction?: number;
      /** FC 43 MEI type echoed by the device. */
      readonly mei?: number }
  | { readonly kind: 'response'; readonly mbap: Mbap; readonly fc: number; readonly exception: true; readonly exceptionCode: number };

export type ModbusFrame = ModbusRequest | ModbusResponse;

/** Exception codes, MB-AP §7. */
export const ModbusException = {
  IllegalFunction: 0x01,
  IllegalDataAddress: 0x02,
  IllegalDataValue: 0x03,
  ServerDeviceFailure: 0x04,
  Acknowledge: 0x05,
  ServerDeviceBusy: 0x06,
  GatewayPathUnavailable: 0x0a,
  GatewayTargetFailedToRespond: 0x0b,
} as const;
