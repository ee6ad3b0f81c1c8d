/**
 * Anomalies are named values, never exceptions. Each protocol declares its closed list of
 * codes in `protocols/<p>/anomalies.ts` (code, family, default ATT&CK for ICS technique, text);
 * this is only the shared shape.
 *
 * Families follow Suricata's grouping:
 * - malformed: bytes that do not follow the spec (bad length, bad field value)
 * - state: well-formed but out of protocol order (response without request, second CONNECT)
 * - resource: a configured limit was hit (oversize frame, too many pending requests)
 */
export type AnomalyFamily = 'malformed' | 'state' | 'resource';

export interface AnomalySpec {
  /** Stable code, e.g. 'modbus.mbap_length_too_large'. Never renamed once published. */
  readonly code: string;
  readonly family: AnomalyFamily;
  /** MITRE ATT&CK for ICS technique id (e.g. 'T0814') when one fits, else null. */
  readonly technique: string | null;
  readonly description: string;
}

export interface Anomaly {
  readonly code: string;
  readonly family: AnomalyFamily;
  readonly technique: string | null;
  /** Short human detail for this occurrence (no secrets, no raw payloads). */
  readonly detail: string;
}

export function anomaly(spec: AnomalySpec, detail: string): Anomaly {
  return { code: spec.code, family: spec.family, technique: spec.technique, detail };
}
