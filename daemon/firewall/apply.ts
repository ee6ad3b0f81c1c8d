/**
 * Loading the rendered ruleset into the kernel: atomically (one `nft -f` transaction that
 * replaces the `inet otgate` table), keeping the previous table to roll back to when the new
 * one fails its check after loading, and preserving island mode across reloads (the kernel's
 * island chain is the state: it survives a daemon restart, so an isolated plant stays isolated
 * until someone deliberately restores it).
 */
import type { CompiledPolicy } from '../../rules/compiled';
import { DEFAULT_TABLE, renderIslandSwitch, renderNftables, RULE_COMMENT, type RenderOptions } from '../../rules/firewall';
import { createNftRunner, type NftRunner } from './nft';

export type FirewallOptions = Omit<RenderOptions, 'island'>;

export type ApplyOutcome =
  | { readonly ok: true; readonly island: boolean; readonly previous: string | null; readonly ruleset: string }
  | { readonly ok: false; readonly stage: 'check' | 'load' | 'verify'; readonly error: string; readonly rolledBack: boolean; readonly previous: string | null };

export class FirewallError extends Error {
  constructor(readonly outcome: Extract<ApplyOutcome, { ok: false }>) {
    super(`firewall ${outcome.stage} failed: ${outcome.error}${outcome.rolledBack ? ' (previous ruleset restored)' : ''}`);
  }
}

/** The table as the kernel has it now (`nft list table`), or null when it does not exist. */
export async function currentTable(nft: NftRunner, table = DEFAULT_TABLE): Promise<string | null> {
  const r = await nft.run(['list', 'table', 'inet', table]);
  return r.code === 0 ? r.stdout : null;
}

/** Island mode as the kernel has it: the island chain holds the drop rule. */
export async function islandState(nft: NftRunner = createNftRunner(), table = DEFAULT_TABLE): Promise<boolean> {
  const r = await nft.run(['list', 'chain', 'inet', table, 'island']);
  return r.code === 0 && r.stdout.includes(RULE_COMMENT.island);
}

/** A listed table as a script that replaces whatever is loaded (for rollback). */
function replaceScript(listed: string, table: string): string {
  return `table inet ${table}\ndelete table inet ${table}\n${listed}`;
}

/**
 * Render, check (`nft -c`), load as one transaction, verify the chains are there; if the
 * verification fails, reload the previous table (or remove ours when there was none).
 * `island` defaults to the kernel's current island state, so a reload never lifts isolation.
 */
export async function applyFirewall(policy: CompiledPolicy, opts: FirewallOptions & { nft?: NftRunner; island?: boolean } = {}): Promise<ApplyOutcome> {
  const nft = opts.nft ?? createNftRunner();
  const table = opts.table ?? DEFAULT_TABLE;
  const previous = await currentTable(nft, table);
  const island = opts.island ?? (previous !== null && (await islandState(nft, table)));
  const ruleset = renderNftables(policy, { ...opts, island });
  const check = await nft.load(ruleset, { check: true });
  if (check.code !== 0) return { ok: false, stage: 'check', error: check.stderr.trim(), rolledBack: false, previous };
  const load = await nft.load(ruleset);
  // A failed `nft -f` aborts its transaction: the previous table is still in force.
  if (load.code !== 0) return { ok: false, stage: 'load', error: load.stderr.trim(), rolledBack: false, previous };
  const verifyError = await verify(nft, table, island);
  if (verifyError === null) return { ok: true, island, previous, ruleset };
  const restored = previous === null ? await nft.run(['delete', 'table', 'inet', table]) : await nft.load(replaceScript(previous, table));
  return { ok: false, stage: 'verify', error: verifyError, rolledBack: restored.code === 0, previous };
}

async function verify(nft: NftRunner, table: string, island: boolean): Promise<string | null> {
  const listed = await currentTable(nft, table);
  if (listed === null) return `table inet ${table} missing after load`;
  for (const chain of ['prerouting', 'input', 'forward', 'output', 'island']) if (!listed.includes(`chain ${chain} {`)) return `chain ${chain} missing after load`;
  if (!listed.includes(RULE_COMMENT.forwardDrop)) return 'default forward drop missing after load';
  if (island !== listed.includes(RULE_COMMENT.island)) return 'island state differs after load';
  return null;
}

/** Reload a ruleset saved from `nft list table` (e.g. ApplyOutcome.previous). */
export async function restoreFirewall(listed: string | null, opts: { nft?: NftRunner; table?: string } = {}): Promise<boolean> {
  const nft = opts.nft ?? createNftRunner();
  const table = opts.table ?? DEFAULT_TABLE;
  const r = listed === null ? await nft.run(['delete', 'table', 'inet', table]) : await nft.load(replaceScript(listed, table));
  return r.code === 0;
}

/**
 * Island mode on or off in the loaded table, one transaction. On: everything across the
 * boundary is dropped (established conduit connections too); loopback and the management
 * zone stay reachable so operators can restore. Throws when the table is not loaded.
 */
export async function setIsland(on: boolean, opts: { nft?: NftRunner; table?: string } = {}): Promise<void> {
  const nft = opts.nft ?? createNftRunner();
  const table = opts.table ?? DEFAULT_TABLE;
  const r = await nft.load(renderIslandSwitch(on, table));
  if (r.code !== 0) throw new Error(`island ${on ? 'on' : 'off'} failed: ${r.stderr.trim()} (is the otgate table loaded? run \`otgate firewall apply\`)`);
}

/** Packet counts of the default-drop and island rules (evidence for the testbed and status). */
export async function dropCounters(opts: { nft?: NftRunner; table?: string } = {}): Promise<{ input: number; forward: number; island: number }> {
  const nft = opts.nft ?? createNftRunner();
  const listed = (await currentTable(nft, opts.table ?? DEFAULT_TABLE)) ?? '';
  const count = (c: string): number => {
    const line = listed.split('\n').find((l) => l.includes(`"${c}"`));
    const m = line ? /counter packets (\d+)/.exec(line) : null;
    return m ? Number(m[1]) : 0;
  };
  return { input: count(RULE_COMMENT.inputDrop), forward: count(RULE_COMMENT.forwardDrop), island: count(RULE_COMMENT.island) };
}
