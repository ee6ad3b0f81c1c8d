/**
 * Benchmark policies. `modbusPolicy(...)` is a realistic 100-rule plant policy: the benchmark
 * conduit carries 40 rules for 4 HMIs (10 each: other units, other ranges, windows, writes),
 * the benchmark client's allowing rules sit 5th and 10th in its list; 60 more rules live on
 * 6 other conduits (listening on port 0) so the policy is as big as a small fab's.
 */
export const BENCH = {
  gatewayHost: '127.0.20.1',
  relayHost: '127.0.20.2',
  /** The A/A control: a second Node relay (bench/modbus.ts). */
  relayBHost: '127.0.20.9',
  socatHost: '127.0.20.3',
  client: '127.0.20.11',
  plcHost: '127.0.10.21',
} as const;

export interface ModbusPolicyOptions {
  readonly listenPort: number;
  readonly plcPort: number;
  readonly mode?: 'enforce' | 'monitor';
  readonly allowed?: 'none' | 'sample' | 'all';
  readonly maxConnections?: number;
  /** Value limit of the setpoint envelope (a reload test changes it). */
  readonly maxSetpoint?: number;
}

function hmiRules(hmi: string, n: number, maxSetpoint: number): string[] {
  const r: string[] = [];
  const u = 10 + n;
  // 4 rules that do not match the benchmark requests (other units / windows).
  r.push(`      - { name: ${hmi}-read-unit-${u}, clients: [${hmi}], modbus: { unit_ids: [${u}], functions: [read-only], read: { holding_registers: ["0-499"], input_registers: ["0-99"] } } }`);
  r.push(`      - { name: ${hmi}-write-unit-${u}, clients: [${hmi}], modbus: { unit_ids: [${u}], functions: [write_multiple_registers], write: { holding_registers: [{ range: "100-109", min: 0, max: 500 }] } } }`);
  r.push(`      - { name: ${hmi}-maint-${n}, clients: [${hmi}], window: { start: "2020-01-01T00:00:00Z", end: "2020-01-01T04:00:00Z" }, modbus: { unit_ids: [1], functions: [read-write], write: { holding_registers: ["0-999"] } } }`);
  r.push(`      - { name: ${hmi}-coils-${n}, clients: [${hmi}], modbus: { unit_ids: [2, 3], functions: [read_coils, write_single_coil], read: { coils: ["0-15"] }, write: { coils: ["0-7"] } } }`);
  r.push(`      - { name: ${hmi}-read-chiller, clients: [${hmi}], modbus: { unit_ids: [1], functions: [read-only], read: { holding_registers: ["0-199"], input_registers: ["0-99"], coils: ["0-15"], discrete_inputs: ["0-15"] } } }`);
  r.push(`      - { name: ${hmi}-inputs-${n}, clients: [${hmi}], modbus: { unit_ids: [4], functions: [read_input_registers], read: { input_registers: ["0-999"] } } }`);
  r.push(`      - { name: ${hmi}-diag-${n}, clients: [${hmi}], modbus: { unit_ids: [1], functions: [diagnostics], diagnostics: [0] } }`);
  r.push(`      - { name: ${hmi}-tuning-${n}, clients: [${hmi}], window: { start: "2020-02-01T00:00:00Z", end: "2020-02-01T02:00:00Z" }, modbus: { unit_ids: [1], functions: [write_multiple_registers], write: { holding_registers: ["200-299"] } } }`);
  r.push(`      - { name: ${hmi}-coil-cmd-${n}, clients: [${hmi}], modbus: { unit_ids: [1], functions: [write_single_coil, write_multiple_coils], write: { coils: ["0-7"] } } }`);
  r.push(`      - { name: ${hmi}-write-setpoints, clients: [${hmi}], modbus: { unit_ids: [1], functions: [write_single_register, write_multiple_registers], write: { holding_registers: [{ range: "100-109", min: 50, max: ${maxSetpoint} }] } } }`);
  return r;
}

export function modbusPolicy(o: ModbusPolicyOptions): string {
  const maxSetpoint = o.maxSetpoint ?? 250;
  const L: string[] = [
    'version: 1',
    'site: bench-fab',
    `defaults: { mode: ${o.mode ?? 'enforce'}, audit: { allowed: ${o.allowed ?? 'sample'}, sample_every: 100 } }`,
    'zones:',
    '  - { name: supervisory, level: 2, networks: [127.0.20.0/24] }',
    '  - { name: control, level: 1, networks: [127.0.10.0/24] }',
    'assets:',
  ];
  for (let i = 1; i <= 4; i++) L.push(`  - { name: hmi-${i}, zone: supervisory, address: 127.0.20.${10 + i} }`);
  for (let i = 1; i <= 6; i++) L.push(`  - { name: ews-${i}, zone: supervisory, address: 127.0.20.${30 + i} }`);
  L.push(`  - { name: chiller-plc, zone: control, address: ${BENCH.plcHost}, safety_critical: true }`);
  for (let i = 1; i <= 6; i++) L.push(`  - { name: plc-${i}, zone: control, address: 127.0.10.${30 + i} }`);
  L.push('conduits:');
  const maxConn = o.maxConnections ?? 256;
  L.push(
    '  - name: hmi-chiller',
    '    from_zone: supervisory',
    '    to_zone: control',
    '    protocol: modbus',
    `    listen: ${BENCH.gatewayHost}:${o.listenPort}`,
    `    upstream: { asset: chiller-plc, port: ${o.plcPort} }`,
    `    limits: { max_connections: ${maxConn}, max_connections_per_client: ${maxConn}, max_pending_requests: 16, request_timeout_ms: 5000 }`,
    '    rules:',
  );
  for (let i = 1; i <= 4; i++) L.push(...hmiRules(`hmi-${i}`, i, maxSetpoint));
  for (let k = 1; k <= 6; k++) {
    L.push(
      `  - name: ews-plc-${k}`,
      '    from_zone: supervisory',
      '    to_zone: control',
      '    protocol: modbus',
      `    listen: 127.0.20.${100 + k}:0`,
      `    upstream: { asset: plc-${k}, port: 502 }`,
      '    rules:',
    );
    for (let j = 0; j < 10; j++) {
      L.push(`      - { name: ews-${k}-r${j}, clients: [ews-${k}], modbus: { unit_ids: [${j + 1}], functions: [read-only], read: { holding_registers: ["${j * 100}-${j * 100 + 99}"] } } }`);
    }
  }
  return `${L.join('\n')}\n`;
}

/** Count "- { name:" rule lines (a sanity check that the policy has the rules it claims). */
export const ruleCount = (policy: string): number => (policy.match(/^ {6}- \{ name: /gm) ?? []).length;
