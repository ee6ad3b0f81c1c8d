/**
 * Capture-level anomaly codes the passive monitor raises (TCP reassembly and capture quality,
 * not protocol decoding). Stable codes, one closed list; they appear in the `anomaly` field of
 * `otgate audit --json` lines (docs/audit-json.md) and in the audit store like protocol anomalies.
 */
import type { AnomalySpec } from '../../protocols/common';

const spec = (code: string, family: AnomalySpec['family'], technique: string | null, description: string): AnomalySpec =>
  Object.freeze({ code, family, technique, description });

export const StreamAnomalies = Object.freeze({
  midstream_start: spec('stream.midstream_start', 'state', null,
    'the capture starts inside an established TCP connection (no SYN seen); bytes before the first trusted frame boundary were skipped'),
  gap: spec('stream.gap', 'state', null,
    'bytes of this direction are missing from the capture (lost segment, capture drop); decoding resumed at the next trusted frame boundary'),
  overlap_mismatch: spec('stream.overlap_mismatch', 'malformed', null,
    'a retransmitted or overlapping segment carried bytes that differ from the first copy; the first copy was kept (first-wins)'),
  out_of_order_limit: spec('stream.out_of_order_limit', 'resource', null,
    'out-of-order bytes held for this direction exceeded the cap; the hole was treated as a gap'),
  flow_evicted: spec('stream.flow_evicted', 'resource', null,
    'the flow table was full; the least recently active flow was dropped'),
});

export type StreamAnomalyKey = keyof typeof StreamAnomalies;
