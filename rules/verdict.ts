/**
 * What the pure policy layer answers for one decoded frame. The daemon (or the passive monitor)
 * decides what to do with it; rules/ never acts.
 */
import type { DenyReason } from './reasons';

export type Verdict =
  | { readonly allow: true; readonly rule: string }
  | {
      readonly allow: false;
      /** The rule that matched the client but refused this frame, or null (no rule at all: default deny). */
      readonly rule: string | null;
      readonly reason: DenyReason;
      /** Short human text, e.g. "holding_registers 100 = 600 outside 50..250". */
      readonly detail: string;
      /** MITRE ATT&CK for ICS technique id that fits the attempted action, or null. */
      readonly technique: string | null;
    };

export const allow = (rule: string): Verdict => ({ allow: true, rule });

export function deny(reason: DenyReason, detail: string, rule: string | null, technique: string | null): Verdict {
  return { allow: false, rule, reason, detail, technique };
}
