/**
 * Holds the running policy. A reload reads, validates and compiles the new file completely
 * before swapping it in whole; a bad file leaves the running policy in place and returns its
 * diagnostics (file:line:col).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { compilePolicy } from '../rules/compile';
import type { CompiledPolicy } from '../rules/compiled';
import { loadPolicyText, type PolicyDiagnostic } from '../rules/load';

export type LoadOutcome =
  | { readonly ok: true; readonly policy: CompiledPolicy; readonly warnings: readonly PolicyDiagnostic[] }
  | { readonly ok: false; readonly errors: readonly PolicyDiagnostic[] };

export function loadAndCompile(file: string): LoadOutcome {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return { ok: false, errors: [{ file, line: 0, col: 0, path: '', code: 'policy.unreadable', severity: 'error', message: msg }] };
  }
  const loaded = loadPolicyText(bytes.toString('utf8'), file);
  if (!loaded.ok) return { ok: false, errors: loaded.errors };
  const hash = createHash('sha256').update(bytes).digest('hex');
  return { ok: true, policy: compilePolicy(loaded.policy, { file, hash }), warnings: loaded.warnings };
}

export class PolicyHolder {
  private current: CompiledPolicy;

  constructor(initial: CompiledPolicy, readonly file: string) {
    this.current = initial;
  }

  get policy(): CompiledPolicy {
    return this.current;
  }

  /** Validate + compile first; swap only on success. */
  reload(): LoadOutcome {
    const out = loadAndCompile(this.file);
    if (out.ok) this.current = out.policy;
    return out;
  }
}
