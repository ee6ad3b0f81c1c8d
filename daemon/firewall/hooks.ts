/**
 * What the daemon wires in (opt-in): apply the kernel ruleset at start and after each accepted
 * policy reload, and follow the relay — software isolation accompanies the physical one.
 */
import type { CompiledPolicy } from '../../rules/compiled';
import { applyFirewall, FirewallError, setIsland, type FirewallOptions } from './apply';
import { createNftRunner, type NftRunner } from './nft';

export interface FirewallHooks {
  /** Call after App.start's policy load and after each accepted reload; throws FirewallError. */
  onPolicy(policy: CompiledPolicy): Promise<void>;
  /** The relay manager calls this on isolate (true) and on a deliberate restore (false). */
  onIsolation(isolated: boolean): Promise<void>;
}

export function createFirewallHooks(opts: FirewallOptions & { nft?: NftRunner; log?: (msg: string) => void } = {}): FirewallHooks {
  const nft = opts.nft ?? createNftRunner();
  const log = opts.log ?? (() => undefined);
  return {
    async onPolicy(policy) {
      const out = await applyFirewall(policy, { ...opts, nft });
      if (!out.ok) throw new FirewallError(out);
      log(`firewall: table inet ${opts.table ?? 'otgate'} loaded for policy ${policy.hash.slice(0, 12)}${out.island ? ' (island mode stays on)' : ''}`);
    },
    async onIsolation(isolated) {
      await setIsland(isolated, { nft, ...(opts.table ? { table: opts.table } : {}) });
      log(`firewall: island mode ${isolated ? 'on' : 'off'}`);
    },
  };
}
