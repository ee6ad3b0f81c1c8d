/**
 * Size and quantity limits from the specs. MB-AP = Modbus Application Protocol V1.1b3,
 * MB-TCP = Modbus Messaging on TCP/IP Implementation Guide V1.0b.
 */

/** MBAP header: tid(2) pid(2) length(2) unit(1), MB-TCP §3.1.3. */
export const MBAP_SIZE = 7;
/** Largest PDU, MB-AP §4.1 (RS-485 ADU 256 - address 1 - CRC 2). */
export const MODBUS_MAX_PDU = 253;
/** Largest TCP ADU = MBAP 7 + PDU 253, MB-AP §4.1. */
export const MODBUS_MAX_ADU = MBAP_SIZE + MODBUS_MAX_PDU;

/** FC 1/2 quantity of coils / inputs, MB-AP §6.1, §6.2. */
export const MAX_READ_BITS = 2000; // 0x07D0
/** FC 3/4 quantity of registers, MB-AP §6.3, §6.4. */
export const MAX_READ_REGISTERS = 125; // 0x007D
/** FC 15 quantity of outputs, MB-AP §6.11. */
export const MAX_WRITE_COILS = 1968; // 0x07B0
/** FC 16 quantity of registers, MB-AP §6.12. */
export const MAX_WRITE_REGISTERS = 123; // 0x007B
/** FC 23 quantity to read / to write, MB-AP §6.17. */
export const MAX_RW_READ = 125; // 0x007D
export const MAX_RW_WRITE = 121; // 0x0079
/** FC 24 FIFO count, MB-AP §6.18. */
export const MAX_FIFO_COUNT = 31;
/** FC 20 byte count 0x07..0xF5, FC 21 request data length 0x09..0xFB, MB-AP §6.14, §6.15. */
export const READ_FILE_BYTE_COUNT = { min: 0x07, max: 0xf5 } as const;
export const WRITE_FILE_BYTE_COUNT = { min: 0x09, max: 0xfb } as const;
/** File reference type (always 6) and largest record number, MB-AP §6.14. */
export const FILE_REFERENCE_TYPE = 6;
export const MAX_FILE_RECORD = 0x270f;
/** FC 5 output values, MB-AP §6.5. */
export const COIL_ON = 0xff00;
export const COIL_OFF = 0x0000;
/** FC 43 MEI types, MB-AP §6.19-6.21. */
export const MEI_CANOPEN = 0x0d;
export const MEI_DEVICE_ID = 0x0e;
