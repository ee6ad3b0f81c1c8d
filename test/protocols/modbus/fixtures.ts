/**
 * Annotated Modbus TCP byte fixtures: the examples of the Modbus Application Protocol V1.1b3
 * (MB-AP §6.x) wrapped in an MBAP header (MB-TCP §3.1.3). One comment per field.
 */
import type { ResponseBody } from '../../../protocols/modbus';

export const bytes = (...xs: number[]): Buffer => Buffer.from(xs);

/** MBAP: tid(2) pid(2)=0 length(2) unit(1). */
export const mbap = (tid: number, length: number, unit: number): number[] => [tid >> 8, tid & 0xff, 0, 0, length >> 8, length & 0xff, unit];

export interface RequestFixture {
  readonly name: string;
  readonly bytes: Buffer;
  /** Fields the decoded request must have. */
  readonly expect: Record<string, unknown>;
}

export interface ResponseFixture {
  readonly name: string;
  readonly bytes: Buffer;
  readonly expect: Record<string, unknown>;
  /** Body that encodeResponse must turn into `bytes` (absent for raw-only PDUs). */
  readonly body?: ResponseBody;
}

const ascii = (s: string): number[] => [...Buffer.from(s, 'latin1')];

export const REQUESTS: readonly RequestFixture[] = [
  {
    name: 'FC 1 read coils 20..38 (MB-AP §6.1)',
    bytes: bytes(
      ...mbap(1, 6, 1), // tid 1, length 6 = unit + 5-byte PDU, unit 1
      0x01, //             function code 1
      0x00, 0x13, //       starting address 19
      0x00, 0x13, //       quantity of coils 19
    ),
    expect: { op: 'read', fc: 1, table: 'coils', address: 19, quantity: 19 },
  },
  {
    name: 'FC 2 read discrete inputs 197..218 (MB-AP §6.2)',
    bytes: bytes(
      ...mbap(2, 6, 1),
      0x02, //             function code 2
      0x00, 0xc4, //       starting address 196
      0x00, 0x16, //       quantity of inputs 22
    ),
    expect: { op: 'read', fc: 2, table: 'discrete_inputs', address: 196, quantity: 22 },
  },
  {
    name: 'FC 3 read holding registers 108..110 (MB-AP §6.3)',
    bytes: bytes(
      ...mbap(3, 6, 17), // unit 17
      0x03, //             function code 3
      0x00, 0x6b, //       starting address 107
      0x00, 0x03, //       quantity of registers 3
    ),
    expect: { op: 'read', fc: 3, table: 'holding_registers', address: 107, quantity: 3, mbap: { tid: 3, pid: 0, length: 6, unit: 17 } },
  },
  {
    name: 'FC 4 read input register 9 (MB-AP §6.4)',
    bytes: bytes(
      ...mbap(4, 6, 1),
      0x04, //             function code 4
      0x00, 0x08, //       starting address 8
      0x00, 0x01, //       quantity 1
    ),
    expect: { op: 'read', fc: 4, table: 'input_registers', address: 8, quantity: 1 },
  },
  {
    name: 'FC 5 write single coil 173 ON (MB-AP §6.5)',
    bytes: bytes(
      ...mbap(5, 6, 1),
      0x05, //             function code 5
      0x00, 0xac, //       output address 172
      0xff, 0x00, //       output value 0xFF00 = ON
    ),
    expect: { op: 'write_single_coil', fc: 5, address: 172, value: true },
  },
  {
    name: 'FC 5 write single coil OFF',
    bytes: bytes(...mbap(6, 6, 1), 0x05, 0x00, 0x01, /* value 0x0000 = OFF */ 0x00, 0x00),
    expect: { op: 'write_single_coil', fc: 5, address: 1, value: false },
  },
  {
    name: 'FC 6 write single register 2 = 3 (MB-AP §6.6)',
    bytes: bytes(
      ...mbap(7, 6, 1),
      0x06, //             function code 6
      0x00, 0x01, //       register address 1
      0x00, 0x03, //       register value 3
    ),
    expect: { op: 'write_single_register', fc: 6, address: 1, value: 3 },
  },
  {
    name: 'FC 7 read exception status (MB-AP §6.7)',
    bytes: bytes(...mbap(8, 2, 1), /* function code 7, no data */ 0x07),
    expect: { op: 'no_data', fc: 7 },
  },
  {
    name: 'FC 8 diagnostics, return query data (MB-AP §6.8)',
    bytes: bytes(
      ...mbap(9, 6, 1),
      0x08, //             function code 8
      0x00, 0x00, //       sub-function 0 return query data
      0xa5, 0x37, //       data
    ),
    expect: { op: 'diagnostics', fc: 8, subfunction: 0, data: Buffer.from([0xa5, 0x37]) },
  },
  {
    name: 'FC 8 diagnostics, force listen only mode',
    bytes: bytes(...mbap(10, 6, 1), 0x08, /* sub-function 4 */ 0x00, 0x04, /* data */ 0x00, 0x00),
    expect: { op: 'diagnostics', fc: 8, subfunction: 4 },
  },
  {
    name: 'FC 11 get comm event counter (MB-AP §6.9)',
    bytes: bytes(...mbap(11, 2, 1), /* function code 11 */ 0x0b),
    expect: { op: 'no_data', fc: 11 },
  },
  {
    name: 'FC 12 get comm event log (MB-AP §6.10)',
    bytes: bytes(...mbap(12, 2, 1), /* function code 12 */ 0x0c),
    expect: { op: 'no_data', fc: 12 },
  },
  {
    name: 'FC 15 write multiple coils 20..29 (MB-AP §6.11)',
    bytes: bytes(
      ...mbap(13, 9, 1), //  length 9 = unit + PDU 8
      0x0f, //             function code 15
      0x00, 0x13, //       starting address 19
      0x00, 0x0a, //       quantity of outputs 10
      0x02, //             byte count 2 = ceil(10 / 8)
      0xcd, //             outputs 27..20: 1100 1101 (LSB = coil 20)
      0x01, //             outputs 29..28: 01, padding zero
    ),
    expect: { op: 'write_multiple_coils', fc: 15, address: 19, quantity: 10, values: [1, 0, 1, 1, 0, 0, 1, 1, 1, 0] },
  },
  {
    name: 'FC 16 write multiple registers 2..3 (MB-AP §6.12)',
    bytes: bytes(
      ...mbap(14, 11, 1), // length 11
      0x10, //             function code 16
      0x00, 0x01, //       starting address 1
      0x00, 0x02, //       quantity of registers 2
      0x04, //             byte count 4 = 2 x 2
      0x00, 0x0a, //       register 1 = 10
      0x01, 0x02, //       register 2 = 258
    ),
    expect: { op: 'write_multiple_registers', fc: 16, address: 1, quantity: 2, values: [10, 258] },
  },
  {
    name: 'FC 17 report server id (MB-AP §6.13)',
    bytes: bytes(...mbap(15, 2, 1), /* function code 17 */ 0x11),
    expect: { op: 'no_data', fc: 17 },
  },
  {
    name: 'FC 20 read file record, two sub-requests (MB-AP §6.14)',
    bytes: bytes(
      ...mbap(16, 17, 1), // length 17
      0x14, //             function code 20
      0x0e, //             byte count 14 = 2 x 7
      0x06, //             sub-request 1: reference type 6
      0x00, 0x04, //         file number 4
      0x00, 0x01, //         record number 1
      0x00, 0x02, //         record length 2 words
      0x06, //             sub-request 2: reference type 6
      0x00, 0x03, //         file number 3
      0x00, 0x09, //         record number 9
      0x00, 0x02, //         record length 2 words
    ),
    expect: {
      op: 'read_file_record', fc: 20,
      subRequests: [{ referenceType: 6, file: 4, record: 1, length: 2 }, { referenceType: 6, file: 3, record: 9, length: 2 }],
    },
  },
  {
    name: 'FC 21 write file record (MB-AP §6.15)',
    bytes: bytes(
      ...mbap(17, 16, 1), // length 16
      0x15, //             function code 21
      0x0d, //             request data length 13
      0x06, //             reference type 6
      0x00, 0x04, //       file number 4
      0x00, 0x07, //       record number 7
      0x00, 0x03, //       record length 3 words
      0x06, 0xaf, //       data 0x06AF
      0x04, 0xbe, //       data 0x04BE
      0x10, 0x0d, //       data 0x100D
    ),
    expect: { op: 'write_file_record', fc: 21, subRequests: [{ referenceType: 6, file: 4, record: 7, length: 3, data: [0x06af, 0x04be, 0x100d] }] },
  },
  {
    name: 'FC 22 mask write register 5 (MB-AP §6.16)',
    bytes: bytes(
      ...mbap(18, 8, 1), //  length 8
      0x16, //             function code 22
      0x00, 0x04, //       reference address 4
      0x00, 0xf2, //       AND mask
      0x00, 0x25, //       OR mask
    ),
    expect: { op: 'mask_write_register', fc: 22, address: 4, andMask: 0xf2, orMask: 0x25 },
  },
  {
    name: 'FC 23 read/write multiple registers (MB-AP §6.17)',
    bytes: bytes(
      ...mbap(19, 17, 1), // length 17
      0x17, //             function code 23
      0x00, 0x03, //       read starting address 3
      0x00, 0x06, //       quantity to read 6
      0x00, 0x0e, //       write starting address 14
      0x00, 0x03, //       quantity to write 3
      0x06, //             write byte count 6
      0x00, 0xff, //       write register 14
      0x00, 0xff, //       write register 15
      0x00, 0xff, //       write register 16
    ),
    expect: { op: 'read_write_multiple_registers', fc: 23, readAddress: 3, readQuantity: 6, writeAddress: 14, writeQuantity: 3, values: [255, 255, 255] },
  },
  {
    name: 'FC 24 read FIFO queue (MB-AP §6.18)',
    bytes: bytes(...mbap(20, 4, 1), /* function code 24 */ 0x18, /* FIFO pointer address 1246 */ 0x04, 0xde),
    expect: { op: 'read_fifo_queue', fc: 24, address: 0x04de },
  },
  {
    name: 'FC 43 / MEI 14 read device identification (MB-AP §6.21)',
    bytes: bytes(
      ...mbap(21, 5, 1),
      0x2b, //             function code 43
      0x0e, //             MEI type 14
      0x01, //             read device id code 1 (basic)
      0x00, //             object id 0
    ),
    expect: { op: 'encapsulated', fc: 43, mei: 14, readDeviceIdCode: 1, objectId: 0 },
  },
  {
    name: 'FC 43 / MEI 13 CANopen general reference (MB-AP §6.20), opaque',
    bytes: bytes(...mbap(22, 6, 1), 0x2b, /* MEI 13 */ 0x0d, /* CANopen data */ 0x01, 0x02, 0x03),
    expect: { op: 'encapsulated', fc: 43, mei: 13, data: Buffer.from([1, 2, 3]) },
  },
  {
    name: 'FC 90 UMAS (vendor), opaque',
    bytes: bytes(...mbap(23, 4, 0), /* function code 90 */ 0x5a, /* UMAS session */ 0x00, /* UMAS code: read id */ 0x02),
    expect: { op: 'other', fc: 90, data: Buffer.from([0x00, 0x02]) },
  },
  {
    name: 'FC 65 user-defined, no data',
    bytes: bytes(...mbap(24, 2, 1), /* function code 65 */ 0x41),
    expect: { op: 'other', fc: 65 },
  },
];

const deviceObjects = [
  { id: 0, value: Buffer.from('Company identification', 'latin1') },
  { id: 1, value: Buffer.from('Product code XX', 'latin1') },
  { id: 2, value: Buffer.from('V2.11', 'latin1') },
];

export const RESPONSES: readonly ResponseFixture[] = [
  {
    name: 'FC 1 coil status (MB-AP §6.1)',
    bytes: bytes(
      ...mbap(1, 6, 1),
      0x01, //             function code 1
      0x03, //             byte count 3
      0xcd, 0x6b, 0x05, // coil status 27..20, 35..28, 38..36 (padding zero)
    ),
    expect: { fc: 1, exception: false, data: Buffer.from([3, 0xcd, 0x6b, 0x05]) },
    body: { fc: 1, bits: [1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1] },
  },
  {
    name: 'FC 2 input status (MB-AP §6.2)',
    bytes: bytes(...mbap(2, 6, 1), 0x02, /* byte count */ 0x03, /* inputs */ 0xac, 0xdb, 0x35),
    expect: { fc: 2, exception: false },
    body: { fc: 2, bits: [0, 0, 1, 1, 0, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 0, 1, 1] },
  },
  {
    name: 'FC 3 holding registers (MB-AP §6.3)',
    bytes: bytes(
      ...mbap(3, 9, 17),
      0x03, //             function code 3
      0x06, //             byte count 6 = 3 registers
      0x02, 0x2b, //       register 108 = 555
      0x00, 0x00, //       register 109 = 0
      0x00, 0x64, //       register 110 = 100
    ),
    expect: { fc: 3, exception: false, values: [555, 0, 100] },
    body: { fc: 3, registers: [555, 0, 100] },
  },
  {
    name: 'FC 4 input registers (MB-AP §6.4)',
    bytes: bytes(...mbap(4, 5, 1), 0x04, /* byte count */ 0x02, /* register 9 = 10 */ 0x00, 0x0a),
    expect: { fc: 4, values: [10] },
    body: { fc: 4, registers: [10] },
  },
  {
    name: 'FC 5 echo (MB-AP §6.5)',
    bytes: bytes(...mbap(5, 6, 1), 0x05, /* address 172 */ 0x00, 0xac, /* ON */ 0xff, 0x00),
    expect: { fc: 5, address: 172, values: [1] },
    body: { fc: 5, address: 172, value: true },
  },
  {
    name: 'FC 6 echo (MB-AP §6.6)',
    bytes: bytes(...mbap(7, 6, 1), 0x06, /* address 1 */ 0x00, 0x01, /* value 3 */ 0x00, 0x03),
    expect: { fc: 6, address: 1, values: [3] },
    body: { fc: 6, address: 1, value: 3 },
  },
  {
    name: 'FC 7 exception status (MB-AP §6.7)',
    bytes: bytes(...mbap(8, 3, 1), 0x07, /* output data */ 0x6d),
    expect: { fc: 7 },
    body: { fc: 7, status: 0x6d },
  },
  {
    name: 'FC 8 diagnostics echo (MB-AP §6.8)',
    bytes: bytes(...mbap(9, 6, 1), 0x08, /* sub-function 0 */ 0x00, 0x00, /* echoed data */ 0xa5, 0x37),
    expect: { fc: 8, subfunction: 0 },
    body: { fc: 8, subfunction: 0, data: Buffer.from([0xa5, 0x37]) },
  },
  {
    name: 'FC 11 comm event counter (MB-AP §6.9)',
    bytes: bytes(...mbap(11, 6, 1), 0x0b, /* status busy */ 0xff, 0xff, /* event count 264 */ 0x01, 0x08),
    expect: { fc: 11 },
    body: { fc: 11, status: 0xffff, eventCount: 0x108 },
  },
  {
    name: 'FC 12 comm event log (MB-AP §6.10)',
    bytes: bytes(
      ...mbap(12, 11, 1),
      0x0c, //             function code 12
      0x08, //             byte count 8 = 6 + 2 events
      0x00, 0x00, //       status
      0x01, 0x08, //       event count 264
      0x01, 0x21, //       message count 289
      0x20, 0x00, //       events 0 and 1
    ),
    expect: { fc: 12 },
    body: { fc: 12, status: 0, eventCount: 0x108, messageCount: 0x121, events: Buffer.from([0x20, 0x00]) },
  },
  {
    name: 'FC 15 echo address and quantity (MB-AP §6.11)',
    bytes: bytes(...mbap(13, 6, 1), 0x0f, /* address 19 */ 0x00, 0x13, /* quantity 10 */ 0x00, 0x0a),
    expect: { fc: 15, address: 19, quantity: 10 },
    body: { fc: 15, address: 19, quantity: 10 },
  },
  {
    name: 'FC 16 echo address and quantity (MB-AP §6.12)',
    bytes: bytes(...mbap(14, 6, 1), 0x10, /* address 1 */ 0x00, 0x01, /* quantity 2 */ 0x00, 0x02),
    expect: { fc: 16, address: 1, quantity: 2 },
    body: { fc: 16, address: 1, quantity: 2 },
  },
  {
    name: 'FC 17 server id (MB-AP §6.13)',
    bytes: bytes(...mbap(15, 6, 1), 0x11, /* byte count 3 */ 0x03, /* server id */ 0x42, /* run indicator ON */ 0xff, /* device data */ 0x01),
    expect: { fc: 17 },
    body: { fc: 17, data: Buffer.from([0x42, 0xff, 0x01]) },
  },
  {
    name: 'FC 20 file records (MB-AP §6.14)',
    bytes: bytes(
      ...mbap(16, 15, 1),
      0x14, //             function code 20
      0x0c, //             response data length 12
      0x05, //             sub-response 1: file response length 5
      0x06, //               reference type 6
      0x0d, 0xfe, //         record data
      0x00, 0x20, //         record data
      0x05, //             sub-response 2: file response length 5
      0x06, //               reference type 6
      0x33, 0xcd, //         record data
      0x00, 0x40, //         record data
    ),
    expect: { fc: 20 },
    body: { fc: 20, records: [[0x0dfe, 0x0020], [0x33cd, 0x0040]] },
  },
  {
    name: 'FC 21 echo (MB-AP §6.15)',
    bytes: bytes(...mbap(17, 16, 1), 0x15, 0x0d, 0x06, 0x00, 0x04, 0x00, 0x07, 0x00, 0x03, 0x06, 0xaf, 0x04, 0xbe, 0x10, 0x0d),
    expect: { fc: 21 },
    body: { fc: 21, subRequests: [{ referenceType: 6, file: 4, record: 7, length: 3, data: [0x06af, 0x04be, 0x100d] }] },
  },
  {
    name: 'FC 22 echo (MB-AP §6.16)',
    bytes: bytes(...mbap(18, 8, 1), 0x16, /* address */ 0x00, 0x04, /* AND */ 0x00, 0xf2, /* OR */ 0x00, 0x25),
    expect: { fc: 22, address: 4 },
    body: { fc: 22, address: 4, andMask: 0xf2, orMask: 0x25 },
  },
  {
    name: 'FC 23 read registers (MB-AP §6.17)',
    bytes: bytes(
      ...mbap(19, 15, 1),
      0x17, //             function code 23
      0x0c, //             byte count 12 = 6 registers
      0x00, 0xfe, 0x0a, 0xcd, 0x00, 0x01, 0x00, 0x03, 0x00, 0x0d, 0x00, 0xff, // registers 3..8
    ),
    expect: { fc: 23, values: [0xfe, 0x0acd, 1, 3, 0x0d, 0xff] },
    body: { fc: 23, registers: [0xfe, 0x0acd, 1, 3, 0x0d, 0xff] },
  },
  {
    name: 'FC 24 FIFO queue (MB-AP §6.18)',
    bytes: bytes(
      ...mbap(20, 10, 1),
      0x18, //             function code 24
      0x00, 0x06, //       byte count 6 = 2 + 2 x 2
      0x00, 0x02, //       FIFO count 2
      0x01, 0xb8, //       FIFO value 440
      0x12, 0x84, //       FIFO value 4740
    ),
    expect: { fc: 24, values: [440, 4740] },
    body: { fc: 24, values: [440, 4740] },
  },
  {
    name: 'FC 43 / MEI 14 device identification (MB-AP §6.21)',
    bytes: bytes(
      ...mbap(21, 2 + 6 + 3 * 2 + 22 + 15 + 5, 1),
      0x2b, //             function code 43
      0x0e, //             MEI type 14
      0x01, //             read device id code 1
      0x01, //             conformity level 1
      0x00, //             more follows: no
      0x00, //             next object id 0
      0x03, //             number of objects 3
      0x00, 22, ...ascii('Company identification'), // object 0 vendor name
      0x01, 15, ...ascii('Product code XX'), //        object 1 product code
      0x02, 5, ...ascii('V2.11'), //                   object 2 revision
    ),
    expect: { fc: 43, mei: 14 },
    body: { fc: 43, mei: 14, readDeviceIdCode: 1, conformity: 1, moreFollows: false, nextObjectId: 0, objects: deviceObjects },
  },
  {
    name: 'FC 90 UMAS (vendor), opaque',
    bytes: bytes(...mbap(23, 4, 0), 0x5a, /* session */ 0x00, /* UMAS OK */ 0xfe),
    expect: { fc: 90, data: Buffer.from([0x00, 0xfe]) },
  },
  {
    name: 'exception: FC 3 illegal data address (MB-AP §7)',
    bytes: bytes(
      ...mbap(3, 3, 17), //  length 3 = unit + fc + code
      0x83, //             function code 3 | 0x80
      0x02, //             exception code 02 illegal data address
    ),
    expect: { fc: 3, exception: true, exceptionCode: 2 },
  },
  {
    name: 'exception: FC 16 server device busy (MB-AP §7)',
    bytes: bytes(...mbap(14, 3, 1), /* 16 | 0x80 */ 0x90, /* 06 busy */ 0x06),
    expect: { fc: 16, exception: true, exceptionCode: 6 },
  },
  {
    name: 'exception: FC 43 illegal function',
    bytes: bytes(...mbap(21, 3, 1), /* 43 | 0x80 */ 0xab, /* 01 */ 0x01),
    expect: { fc: 43, exception: true, exceptionCode: 1 },
  },
];
