/**
 * The closed list of Modbus TCP anomalies (Suricata-style families, see protocols/common).
 * Codes are stable once published; docs/anomalies.md is generated from MODBUS_ANOMALY_SPECS.
 *
 * Decisions:
 * - An exception response (fc | 0x80, MB-AP §7) is a frame, not an anomaly: the device said
 *   no, and the audit records `exceptionCode`.
 * - An unknown but valid function code (1..127 without a decoder here, e.g. 90 UMAS) is a
 *   frame with `op: 'other'`: the policy decides. Only codes the spec rules out (0, or 128..255
 *   in a request) are `invalid_function_code`.
 * - Header faults (protocol id, length) are fatal: the stream cannot be framed any more.
 *   PDU faults inside a well-framed ADU are not: the ADU is skipped and the stream stays in sync.
 */
import type { AnomalySpec } from '../common';

const spec = (code: string, family: AnomalySpec['family'], technique: string | null, description: string): AnomalySpec =>
  Object.freeze({ code, family, technique, description });

export const ModbusAnomalies = Object.freeze({
  // --- MBAP header (MB-TCP §3.1.3); fatal ---
  protocol_id_nonzero: spec('modbus.protocol_id_nonzero', 'malformed', null,
    'MBAP protocol identifier is not 0 (MB-TCP §3.1.3): not Modbus, or a desynchronised stream'),
  mbap_length_too_small: spec('modbus.mbap_length_too_small', 'malformed', null,
    'MBAP length is below 2 (unit id + function code, MB-TCP §3.1.3): no PDU can follow'),
  mbap_length_too_large: spec('modbus.mbap_length_too_large', 'malformed', 'T0814',
    'MBAP length announces an ADU over 260 bytes (MB-AP §4.1): rejected from the header, before buffering'),
  frame_over_limit: spec('modbus.frame_over_limit', 'resource', 'T0814',
    'MBAP length announces an ADU over the configured maximum frame size: rejected from the header'),

  // --- PDU (MB-AP §6); the ADU is skipped ---
  invalid_function_code: spec('modbus.invalid_function_code', 'malformed', null,
    'function code 0, or 128..255 in a request, or exception bit on function code 0 (MB-AP §4.1)'),
  pdu_truncated: spec('modbus.pdu_truncated', 'malformed', null,
    'the PDU ends before the fields its function code defines (MB-AP §6)'),
  pdu_trailing_bytes: spec('modbus.pdu_trailing_bytes', 'malformed', null,
    'the PDU carries bytes after the fields its function code defines (MB-AP §6)'),
  byte_count_mismatch: spec('modbus.byte_count_mismatch', 'malformed', null,
    'a byte count field disagrees with the quantity it describes or with the bytes that follow (MB-AP §6)'),
  quantity_out_of_range: spec('modbus.quantity_out_of_range', 'malformed', null,
    'a quantity is 0 or above the function code limit (e.g. FC 3: 1..125, FC 16: 1..123; MB-AP §6)'),
  address_out_of_range: spec('modbus.address_out_of_range', 'malformed', null,
    'address + quantity runs past 0xFFFF (MB-AP §4.4: addresses are 0..65535)'),
  invalid_value: spec('modbus.invalid_value', 'malformed', null,
    'a field holds a value the spec excludes (FC 5 value other than 0xFF00/0x0000, file reference type other than 6, ...)'),

  // --- Transactions (MB-TCP §4.4.1: the transaction id pairs a response with its request) ---
  unsolicited_response: spec('modbus.unsolicited_response', 'state', 'T0856',
    'a response whose transaction id and unit match no outstanding request'),
  response_function_mismatch: spec('modbus.response_function_mismatch', 'state', 'T0856',
    'a response whose function code differs from its request\'s'),
  duplicate_transaction_id: spec('modbus.duplicate_transaction_id', 'state', null,
    'a request reuses the transaction id and unit of a request still waiting for its response'),
  too_many_pending: spec('modbus.too_many_pending', 'resource', 'T0814',
    'more requests outstanding on one connection than the configured cap (a flood)'),
  request_timeout: spec('modbus.request_timeout', 'state', null,
    'no response arrived within the configured request timeout'),
});

export type ModbusAnomalyName = keyof typeof ModbusAnomalies;

/** Every Modbus anomaly spec keyed by its stable code, for documentation. */
export const MODBUS_ANOMALY_SPECS: Readonly<Record<string, AnomalySpec>> = Object.freeze(
  Object.fromEntries(Object.values(ModbusAnomalies).map((s) => [s.code, s])),
);
