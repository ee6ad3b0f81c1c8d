/** Kernel segmentation rendered from the policy (pure). */
export { renderNftables, renderIslandSwitch, islandRule, DEFAULT_TABLE, DEFAULT_MANAGEMENT_PORTS, LOG_PREFIX, RULE_COMMENT, type RenderOptions } from './render';
