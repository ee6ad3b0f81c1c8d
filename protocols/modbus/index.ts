/** Modbus TCP: pure decoding, encoding, pairing and description. No I/O. */
export * from './types';
export * from './names';
export * from './anomalies';
export * from './limits';
export { decodeModbusAdu, type ModbusDirection } from './decode';
export { accessesOf } from './accesses';
export {
  encodeException, encodeRequest, encodeResponse, encodeRaw, encodeFrame, encodeResponseFrame,
  type Address, type RequestInput, type ResponseBody,
} from './encode';
export { replyBodyFor, type ValueAt } from './reply-for';
export { ModbusTransactions, type Paired, type Expired } from './transactions';
export { summarize, fields } from './describe';
