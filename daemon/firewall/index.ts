/** Kernel segmentation: load the rendered ruleset, island mode, hooks for the daemon. */
export { applyFirewall, restoreFirewall, setIsland, islandState, currentTable, dropCounters, FirewallError, type ApplyOutcome, type FirewallOptions } from './apply';
export { createFirewallHooks, type FirewallHooks } from './hooks';
export { createNftRunner, type NftRunner, type NftResult } from './nft';
