/**
 * MITRE ATT&CK for ICS techniques for denied actions: one table, first matching row wins,
 * documented in docs/attack.md (generated from this table by scripts/gen-schema.ts; a test
 * checks they agree). Protocol anomalies carry their own technique (protocols/<p>/anomalies.ts);
 * the `anomaly` rows here only document those defaults next to the policy ones.
 */
import type { ModbusRequest } from '../protocols/modbus/types';
import type { DenyReason } from './reasons';

/** ATT&CK for ICS techniques otgate reports (https://attack.mitre.org/techniques/ics/). */
export const Techniques = {
  T0801: 'Monitor Process State',
  T0814: 'Denial of Service',
  T0816: 'Device Restart/Shutdown',
  T0836: 'Modify Parameter',
  T0843: 'Program Download',
  T0846: 'Remote System Discovery',
  T0855: 'Unauthorized Command Message',
  T0856: 'Spoof Reporting Message',
  T0858: 'Change Operating Mode',
  T0859: 'Valid Accounts',
  T0861: 'Point & Tag Identification',
  T0869: 'Standard Application Layer Protocol',
  T0886: 'Remote Services',
  T0888: 'Remote System Information Discovery',
} as const;

export type TechniqueId = keyof typeof Techniques;

/**
 * What a Modbus request tries to do, for ATT&CK purposes.
 * - restart: FC 8 sub-function 1 (Restart Communications) or 4 (Force Listen Only), MB-AP §6.8.
 * - identify: FC 43 MEI 14 (Read Device Identification, MB-AP §6.21), FC 17 (Report Server ID, §6.13).
 * - program: FC 90 (Schneider UMAS), FC 125/126 (Modicon program/ProWORX): logic up/download.
 * - write_register / write_coil / write_file: FC 6, 16, 22, 23 / FC 5, 15 / FC 21.
 * - read: FC 1-4, 20, 24; diagnostics: other FC 8 and FC 7/11/12; other: anything else.
 */
export type ModbusAction =
  | 'restart'
  | 'identify'
  | 'program'
  | 'write_register'
  | 'write_coil'
  | 'write_file'
  | 'read'
  | 'diagnostics'
  | 'other';

const PROGRAM_FCS: ReadonlySet<number> = new Set([90, 125, 126]);

export function modbusAction(req: ModbusRequest): ModbusAction {
  switch (req.op) {
    case 'read':
    case 'read_file_record':
    case 'read_fifo_queue':
      return 'read';
    case 'write_single_coil':
    case 'write_multiple_coils':
      return 'write_coil';
    case 'write_single_register':
    case 'write_multiple_registers':
    case 'mask_write_register':
    case 'read_write_multiple_registers':
      return 'write_register';
    case 'write_file_record':
      return 'write_file';
    case 'diagnostics':
      return req.subfunction === 1 || req.subfunction === 4 ? 'restart' : 'diagnostics';
    case 'no_data':
      return req.fc === 17 ? 'identify' : 'diagnostics';
    case 'encapsulated':
      return req.mei === 14 ? 'identify' : 'other';
    case 'other':
      return PROGRAM_FCS.has(req.fc) ? 'program' : 'other';
  }
}

export interface AttackRow {
  readonly protocol: 'modbus' | 'opcua' | 'mqtt';
  /** A ModbusAction (or protocol action), '*' for any, or 'anomaly:<family>' for anomaly defaults. */
  readonly action: string;
  /** Deny reason, or '*' for any. */
  readonly reason: DenyReason | '*';
  readonly technique: TechniqueId;
  /** Why this technique fits (goes into docs/attack.md). */
  readonly why: string;
}

/** Order matters: the first row matching (action, reason) gives the technique. */
const ROWS: AttackRow[] = [
  { protocol: 'modbus', action: 'restart', reason: '*', technique: 'T0816', why: 'FC 8 sub-function 1 restarts communications, 4 forces listen-only mode: the device stops serving' },
  { protocol: 'modbus', action: 'program', reason: '*', technique: 'T0843', why: 'FC 90 (UMAS) and FC 125/126 carry controller logic up/download' },
  { protocol: 'modbus', action: 'identify', reason: '*', technique: 'T0888', why: 'FC 43/14 Read Device Identification and FC 17 Report Server ID reveal vendor, model and firmware' },
  { protocol: 'modbus', action: '*', reason: 'modbus_unit_not_allowed', technique: 'T0846', why: 'requests to unit ids outside the allowlist: sweeping for devices behind a gateway' },
  { protocol: 'modbus', action: 'write_register', reason: '*', technique: 'T0836', why: 'holding register writes change parameters and setpoints (out of envelope or outside the allowed ranges)' },
  { protocol: 'modbus', action: 'write_coil', reason: '*', technique: 'T0855', why: 'coil writes are commands (start/stop) from a client not allowed to give them' },
  { protocol: 'modbus', action: 'write_file', reason: '*', technique: 'T0855', why: 'file record writes are commands to the device' },
  { protocol: 'modbus', action: 'read', reason: 'modbus_address_not_allowed', technique: 'T0861', why: 'reads outside the allowed ranges probe for points and tags' },
  { protocol: 'modbus', action: 'read', reason: '*', technique: 'T0801', why: 'reads by a client or function not allowed to read: watching the process' },
  { protocol: 'modbus', action: 'diagnostics', reason: '*', technique: 'T0855', why: 'diagnostic commands not allowed for this client' },
  { protocol: 'modbus', action: 'other', reason: '*', technique: 'T0855', why: 'any other function code not allowed for this client' },
  { protocol: 'modbus', action: 'anomaly:resource', reason: '*', technique: 'T0814', why: 'floods of unanswered requests or oversize frames (anomaly default)' },
  { protocol: 'opcua', action: '*', reason: 'opcua_endpoint_not_allowed', technique: 'T0886', why: 'a channel to an endpoint URL the client may not use: remote access by a service not granted to it' },
  { protocol: 'opcua', action: '*', reason: 'opcua_security_not_allowed', technique: 'T0886', why: 'a channel with a security policy or mode the conduit does not allow (e.g. None across a zone boundary)' },
  { protocol: 'opcua', action: '*', reason: 'opcua_certificate_not_allowed', technique: 'T0886', why: 'a secure channel from an application certificate not on the allowlist' },
  { protocol: 'opcua', action: '*', reason: 'opcua_identity_not_allowed', technique: 'T0859', why: 'a session activated with an identity token type the rule does not accept (e.g. anonymous)' },
  { protocol: 'opcua', action: 'write', reason: 'opcua_value_out_of_range', technique: 'T0836', why: 'a Write whose value leaves its envelope changes a parameter beyond its safe range' },
  { protocol: 'opcua', action: 'discovery', reason: '*', technique: 'T0846', why: 'GetEndpoints / FindServers not allowed for this client: looking for servers' },
  { protocol: 'opcua', action: 'browse', reason: '*', technique: 'T0861', why: 'Browse, BrowseNext, TranslateBrowsePathsToNodeIds or RegisterNodes outside the allowlist enumerate points and tags' },
  { protocol: 'opcua', action: 'read_server', reason: '*', technique: 'T0888', why: 'a Read of the Server object (i=2253 and its components: build info, state) reveals product and version' },
  { protocol: 'opcua', action: 'read', reason: '*', technique: 'T0861', why: 'a Read outside the allowlist probes for points and tags' },
  { protocol: 'opcua', action: 'write', reason: '*', technique: 'T0855', why: 'a Write to a node the client may not write is an unauthorized command' },
  { protocol: 'opcua', action: 'call_server', reason: '*', technique: 'T0858', why: 'a Call of a namespace-0 (server) method such as RequestServerStateChange changes the operating mode' },
  { protocol: 'opcua', action: 'call', reason: '*', technique: 'T0855', why: 'a Call of a method the client may not call' },
  { protocol: 'opcua', action: 'monitor', reason: '*', technique: 'T0801', why: 'CreateSubscription, CreateMonitoredItems or HistoryRead outside the allowlist watch the process' },
  { protocol: 'opcua', action: 'modify', reason: '*', technique: 'T0855', why: 'HistoryUpdate and node management (Add/Delete Nodes/References) change the server' },
  { protocol: 'opcua', action: 'anomaly:resource', reason: '*', technique: 'T0814', why: 'oversize chunks or messages, chunk floods, unanswered request floods (anomaly default)' },
  { protocol: 'mqtt', action: 'connect', reason: 'mqtt_client_not_allowed', technique: 'T0869', why: 'an unknown client speaking the plant\'s standard application protocol to the broker' },
  { protocol: 'mqtt', action: 'publish_command', reason: '*', technique: 'T0855', why: 'a publish to a command topic (conduit mqtt.command_topics) the client may not use' },
  { protocol: 'mqtt', action: 'publish', reason: '*', technique: 'T0856', why: 'a publish to a telemetry/status topic that is not the client\'s own: a spoofed report' },
  { protocol: 'mqtt', action: 'subscribe_wildcard', reason: '*', technique: 'T0861', why: 'a wildcard subscription (#, +) beyond the allowlist enumerates the plant\'s topics (points and tags)' },
  { protocol: 'mqtt', action: 'subscribe', reason: '*', technique: 'T0801', why: 'a subscription outside the allowlist watches the process' },
  { protocol: 'mqtt', action: 'delivery', reason: '*', technique: 'T0801', why: 'the broker delivered process data the client may not receive (broker misconfigured)' },
  { protocol: 'mqtt', action: 'anomaly:resource', reason: '*', technique: 'T0814', why: 'floods of unacknowledged packets or oversize packets (anomaly default)' },
];
export const ATTACK_TABLE: readonly AttackRow[] = Object.freeze(ROWS.map((r) => Object.freeze(r)));

// Precomputed per (action, reason) so a deny costs one Map lookup.
const index = new Map<string, TechniqueId>();

export function techniqueFor(protocol: AttackRow['protocol'], action: string, reason: DenyReason): TechniqueId | null {
  const key = `${protocol}|${action}|${reason}`;
  const hit = index.get(key);
  if (hit !== undefined) return hit;
  for (const r of ATTACK_TABLE) {
    if (r.protocol !== protocol) continue;
    if ((r.action === '*' || r.action === action) && (r.reason === '*' || r.reason === reason)) {
      if (index.size < 1024) index.set(key, r.technique);
      return r.technique;
    }
  }
  return null;
}

export const modbusTechnique = (req: ModbusRequest, reason: DenyReason): TechniqueId | null => techniqueFor('modbus', modbusAction(req), reason);

/** The Markdown table of docs/attack.md (between its generated-table markers). */
export function attackTableMarkdown(): string {
  const lines = ['| Protocol | Action | Deny reason | Technique | Why |', '|---|---|---|---|---|'];
  for (const r of ATTACK_TABLE) {
    lines.push(`| ${r.protocol} | ${r.action === '*' ? 'any' : r.action} | ${r.reason === '*' ? 'any' : `\`${r.reason}\``} | ${r.technique} ${Techniques[r.technique]} | ${r.why} |`);
  }
  return lines.join('\n');
}
