/**
 * Function code ↔ name table. Names are the policy file's spelling (snake_case) and the audit
 * log's; they are stable once published. Public codes: MB-AP §5.1 (Figure 11); 90 is
 * Schneider's UMAS, listed as a vendor code because plants meet it and policies name it.
 */

export const FUNCTION_CODES = Object.freeze({
  read_coils: 1, // MB-AP §6.1
  read_discrete_inputs: 2, // MB-AP §6.2
  read_holding_registers: 3, // MB-AP §6.3
  read_input_registers: 4, // MB-AP §6.4
  write_single_coil: 5, // MB-AP §6.5
  write_single_register: 6, // MB-AP §6.6
  read_exception_status: 7, // MB-AP §6.7 (serial line only)
  diagnostics: 8, // MB-AP §6.8 (serial line only)
  get_comm_event_counter: 11, // MB-AP §6.9 (serial line only)
  get_comm_event_log: 12, // MB-AP §6.10 (serial line only)
  write_multiple_coils: 15, // MB-AP §6.11
  write_multiple_registers: 16, // MB-AP §6.12
  report_server_id: 17, // MB-AP §6.13 (serial line only)
  read_file_record: 20, // MB-AP §6.14
  write_file_record: 21, // MB-AP §6.15
  mask_write_register: 22, // MB-AP §6.16
  read_write_multiple_registers: 23, // MB-AP §6.17
  read_fifo_queue: 24, // MB-AP §6.18
  encapsulated_interface_transport: 43, // MB-AP §6.19-6.21
  umas: 90, // vendor (Schneider Electric UMAS), not in MB-AP
} as const);

export type FunctionName = keyof typeof FUNCTION_CODES;

/** All names, in function-code order. */
export const FUNCTION_NAMES: readonly FunctionName[] = Object.freeze(Object.keys(FUNCTION_CODES) as FunctionName[]);

const byCode: ReadonlyMap<number, FunctionName> = new Map(
  (Object.entries(FUNCTION_CODES) as [FunctionName, number][]).map(([n, c]) => [c, n]),
);

/** Name of a function code (the 0x80 exception bit is ignored), or null when it has none. */
export function functionName(fc: number): FunctionName | null {
  return byCode.get(fc & 0x7f) ?? null;
}

/** Function code of a name, or null for an unknown name. */
export function functionCode(name: string): number | null {
  return Object.prototype.hasOwnProperty.call(FUNCTION_CODES, name) ? FUNCTION_CODES[name as FunctionName] : null;
}

/** A label for logs: the name, or "fc_<n>" for codes without one. */
export function functionLabel(fc: number): string {
  return functionName(fc) ?? `fc_${fc & 0x7f}`;
}

/** Names of FC 8 Diagnostics sub-functions, MB-AP §6.8.1. */
export const DIAGNOSTIC_SUBFUNCTIONS: Readonly<Record<number, string>> = Object.freeze({
  0x00: 'return_query_data',
  0x01: 'restart_communications_option',
  0x02: 'return_diagnostic_register',
  0x03: 'change_ascii_input_delimiter',
  0x04: 'force_listen_only_mode',
  0x0a: 'clear_counters_and_diagnostic_register',
  0x0b: 'return_bus_message_count',
  0x0c: 'return_bus_communication_error_count',
  0x0d: 'return_bus_exception_error_count',
  0x0e: 'return_server_message_count',
  0x0f: 'return_server_no_response_count',
  0x10: 'return_server_nak_count',
  0x11: 'return_server_busy_count',
  0x12: 'return_bus_character_overrun_count',
  0x14: 'clear_overrun_counter_and_flag',
});

/** MEI types of FC 43, MB-AP §6.19-6.21. */
export const MEI_TYPES: Readonly<Record<number, string>> = Object.freeze({
  0x0d: 'canopen_general_reference',
  0x0e: 'read_device_identification',
});

/** Exception codes, MB-AP §7. */
export const EXCEPTION_NAMES: Readonly<Record<number, string>> = Object.freeze({
  0x01: 'illegal_function',
  0x02: 'illegal_data_address',
  0x03: 'illegal_data_value',
  0x04: 'server_device_failure',
  0x05: 'acknowledge',
  0x06: 'server_device_busy',
  0x08: 'memory_parity_error',
  0x0a: 'gateway_path_unavailable',
  0x0b: 'gateway_target_device_failed_to_respond',
});
