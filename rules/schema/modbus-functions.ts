/**
 * Function references in a Modbus rule: a code, a name from protocols/modbus/names.ts, or a
 * preset (FUNCTION_PRESETS in ./modbus.ts). Presets win on a shared spelling ("diagnostics" is
 * both, and both mean FC 8).
 */
import { FUNCTION_NAMES as CODE_NAMES, functionCode } from '../../protocols/modbus/names';

const PRESETS: Readonly<Record<string, readonly number[]>> = {
  'read-only': [1, 2, 3, 4],
  'read-write': [1, 2, 3, 4, 5, 6, 15, 16, 22, 23],
  diagnostics: [8],
  'device-identification': [43],
};

/** Function names the policy accepts (names.ts), for the schema's enum. */
export const FUNCTION_NAMES: readonly string[] = CODE_NAMES.filter((n) => !(n in PRESETS));

export const PRESET_CODES = PRESETS;

/** Codes named by a rule's `functions` list (validated: unknown names are schema errors). */
export function resolveFunctions(refs: readonly (number | string)[]): number[] {
  const out: number[] = [];
  for (const r of refs) {
    if (typeof r === 'number') out.push(r);
    else if (Object.prototype.hasOwnProperty.call(PRESETS, r)) out.push(...PRESETS[r]!);
    else {
      const c = functionCode(r);
      if (c !== null) out.push(c);
    }
  }
  return out;
}
