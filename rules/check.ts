/** `otgate check`: load, validate and compile a policy file without serving it. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { compilePolicy } from './compile';
import type { PolicyDiagnostic } from './diagnostics';
import { loadPolicyText } from './load';

export interface PolicySummary {
  readonly site: string;
  readonly hash: string;
  readonly zones: number;
  readonly assets: number;
  readonly conduits: number;
  readonly rules: number;
  /** Conduits per protocol, e.g. { modbus: 3 }. */
  readonly byProtocol: Readonly<Record<string, number>>;
}

export interface CheckResult {
  readonly ok: boolean;
  /** Errors and warnings, by position. */
  readonly diagnostics: readonly PolicyDiagnostic[];
  /** null when the file has errors. */
  readonly summary: PolicySummary | null;
}

export function checkPolicyFile(path: string): CheckResult {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, diagnostics: [{ file: path, line: 0, col: 0, path: '', code: 'policy.unreadable', severity: 'error', message }], summary: null };
  }
  const loaded = loadPolicyText(bytes.toString('utf8'), path);
  if (!loaded.ok) {
    const diagnostics = [...loaded.errors, ...loaded.warnings].sort((a, b) => a.line - b.line || a.col - b.col);
    return { ok: false, diagnostics, summary: null };
  }
  const hash = createHash('sha256').update(bytes).digest('hex');
  const compiled = compilePolicy(loaded.policy, { file: path, hash });
  const byProtocol: Record<string, number> = {};
  let rules = 0;
  for (const c of compiled.conduits.values()) {
    byProtocol[c.protocol] = (byProtocol[c.protocol] ?? 0) + 1;
    rules += c.ruleCount;
  }
  return {
    ok: true,
    diagnostics: loaded.warnings,
    summary: { site: compiled.site, hash, zones: compiled.zones.size, assets: compiled.assets.size, conduits: compiled.conduits.size, rules, byProtocol },
  };
}
