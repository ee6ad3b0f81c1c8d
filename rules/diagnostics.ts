/**
 * Policy diagnostics: stable codes declared in one place (documented in docs/policy.md), and the
 * one text format every tool prints: `file:line:col: error CODE: message` (1-based line/col).
 */
export const PolicyCodes = {
  'policy.unreadable': { severity: 'error', text: 'the file could not be read' },
  'policy.yaml_syntax': { severity: 'error', text: 'YAML syntax error (includes duplicate keys, unknown tags, a second document, aliases expanding too far)' },
  'policy.yaml_warning': { severity: 'warning', text: 'a %YAML version other than 1.2 (the file is read as 1.2)' },
  'policy.unknown_key': { severity: 'error', text: 'a key the format does not have (typo?)' },
  'policy.missing_key': { severity: 'error', text: 'a required key is missing' },
  'policy.wrong_type': { severity: 'error', text: 'a value of the wrong type (list vs. map, number vs. text)' },
  'policy.schema': { severity: 'error', text: 'a value the format does not allow (enum, bounds, pattern)' },
  'policy.unknown_function': { severity: 'error', text: 'a Modbus function name or preset that does not exist' },
  'policy.unknown_zone': { severity: 'error', text: 'a zone name that no zone defines' },
  'policy.unknown_asset': { severity: 'error', text: 'an asset name that no asset defines (upstream or rule client)' },
  'policy.duplicate_name': { severity: 'error', text: 'two zones, assets or conduits (or two rules in one conduit) share a name' },
  'policy.duplicate_address': { severity: 'error', text: 'two assets share an address (clients are identified by address)' },
  'policy.bad_range': { severity: 'error', text: 'a range that is reversed ("200-100") or out of bounds' },
  'policy.bad_cidr': { severity: 'error', text: 'a zone network that is not a valid CIDR (or has host bits set)' },
  'policy.bad_address': { severity: 'error', text: 'an asset address that is not an IPv4/IPv6 literal' },
  'policy.bad_listen': { severity: 'error', text: 'a listen address that is not "ip:port" / "[ipv6]:port"' },
  'policy.bad_window': { severity: 'error', text: 'a window whose times do not parse or whose end is not after its start' },
  'policy.bad_envelope': { severity: 'error', text: 'a value envelope with min > max or bounds outside uint16/int16' },
  'policy.bad_limit': { severity: 'error', text: 'a limit the protocol cannot honour (e.g. Modbus max_frame_bytes > 260)' },
  'policy.overlapping_ranges': { severity: 'error', text: 'a value envelope overlaps another write range of the same table in one rule' },
  'policy.listen_conflict': { severity: 'error', text: 'two conduits listen on the same address and port (or a wildcard covers another)' },
  'policy.conduit_zone_mismatch': { severity: 'error', text: 'the upstream asset is not in to_zone, or a rule client is not in from_zone' },
  'policy.protocol_mismatch': { severity: 'error', text: 'a rule body or conduit options for another protocol than the conduit\'s (or none for its own)' },
  'policy.asset_outside_zone': { severity: 'warning', text: 'an asset address outside every network of its zone' },
  'policy.ineffective': { severity: 'warning', text: 'a setting that cannot take effect (e.g. FC 8 allowed but no sub-function listed)' },
  'policy.bad_relay': { severity: 'error', text: 'a relay section that cannot work (driver settings missing, unknown conduit in a trip rule, watchdog shorter than two heartbeats, key-switch required but not wired)' },
} as const;

export type PolicyCode = keyof typeof PolicyCodes;

export interface PolicyDiagnostic {
  readonly file: string;
  /** 1-based; 0 when the problem has no position (unreadable file). */
  readonly line: number;
  readonly col: number;
  /** Where in the document, e.g. "conduits[0].rules[1].modbus.functions[2]" ("" for the root). */
  readonly path: string;
  readonly code: PolicyCode;
  readonly severity: 'error' | 'warning';
  readonly message: string;
}

export function formatDiagnostic(d: PolicyDiagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}:${d.col}` : d.file;
  return `${where}: ${d.severity} ${d.code}: ${d.message}`;
}

export type PathSegment = string | number;

export function pathText(segments: readonly PathSegment[]): string {
  let out = '';
  for (const s of segments) out += typeof s === 'number' ? `[${s}]` : out === '' ? s : `.${s}`;
  return out;
}
