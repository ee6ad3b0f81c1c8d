import type { Anomaly } from './anomaly';

/**
 * The one result shape of every decoder and framer in otgate (Envoy/Suricata style: still
 * waiting, parsed, failed). Decoders never throw on wire input.
 *
 * - `frame`: one complete unit was decoded from the first `consumed` bytes.
 * - `need`: not enough bytes yet; call again once at least `atLeast` bytes are buffered
 *   (`atLeast` is already checked against the configured limits, so buffering is bounded).
 * - `malformed`: the input is bad. `consume` bytes may be skipped to resynchronise
 *   (0 when the stream cannot be trusted any more: `fatal` is then true and the caller closes).
 */
export type DecodeResult<F> =
  | { readonly kind: 'frame'; readonly frame: F; readonly consumed: number }
  | { readonly kind: 'need'; readonly atLeast: number }
  | { readonly kind: 'malformed'; readonly anomaly: Anomaly; readonly consume: number; readonly fatal: boolean };

export const need = (atLeast: number): DecodeResult<never> => ({ kind: 'need', atLeast });

export function malformed(anomaly: Anomaly, consume: number, fatal: boolean): DecodeResult<never> {
  return { kind: 'malformed', anomaly, consume, fatal };
}
