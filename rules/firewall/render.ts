/**
 * CompiledPolicy → nftables ruleset text (pure: no exec, no fs). The kernel makes the proxies
 * the only way across a zone boundary:
 *
 *  - prerouting (nat): a client in a conduit's from-zone that talks to the protected device's
 *    address and port is DNATed to the conduit's proxy listener. Only the destination changes,
 *    so the proxy still sees the client's real source address (per-device allowlists hold).
 *  - input: the proxy listeners accept new connections only from their from-zone (and from its
 *    gateway interface when one is named); management ports only from the management zone;
 *    everything else is counted, logged ("otgate-drop input") and dropped.
 *  - forward: nothing is ever forwarded between zones — every conduit terminates at the proxy,
 *    which opens its own upstream connection — so the chain drops all, counted and logged.
 *  - output: the gateway's own traffic (proxy upstreams) is allowed, except in island mode.
 *  - island: a regular chain every base chain jumps to (after loopback and management). Empty
 *    when off; one counted drop rule when on, so toggling it is one flush + add transaction.
 *
 * Output is deterministic (zones, conduits and networks in sorted order) so rulesets diff well.
 * nftables wiki: "Atomic rule replacement", "Performing Network Address Translation (NAT)",
 * nft(8) "CHAINS" (hook priorities: dstnat = -100, filter = 0).
 */
import type { CompiledConduit, CompiledPolicy, CompiledZone } from '../compiled';
import { parseIp } from '../address';

export const DEFAULT_TABLE = 'otgate';
/** SSH and the Prometheus metrics port. */
export const DEFAULT_MANAGEMENT_PORTS: readonly number[] = [22, 9464];
/** Log prefixes: stable names, grep-able in the kernel log (one place). */
export const LOG_PREFIX = {
  input: 'otgate-drop input ',
  forward: 'otgate-drop forward ',
  invalid: 'otgate-drop invalid ',
  island: 'otgate-island ',
} as const;
/** Comments of the rules the testbed and `otgate firewall status` read counters from. */
export const RULE_COMMENT = {
  inputDrop: 'default drop: input',
  forwardDrop: 'default drop: forward between zones',
  island: 'island mode: everything across the boundary dropped',
} as const;

export interface RenderOptions {
  /** Zone name → gateway interface facing it: conduit and management rules also match `iifname`. */
  readonly gatewayInterfaces?: Readonly<Record<string, string>>;
  /** Zone whose networks may reach the management ports (SSH, metrics); none when absent. */
  readonly managementZone?: string;
  readonly managementPorts?: readonly number[];
  readonly table?: string;
  /** Render with island mode on (the island chain holds its drop rule). */
  readonly island?: boolean;
}

type Family = 'ip' | 'ip6';

const familyOf = (addr: string): Family => (addr.includes(':') ? 'ip6' : 'ip');
const byName = <T extends { readonly name: string }>(a: T, b: T): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
const NAME_RE = /^[A-Za-z0-9_.:-]+$/;

/** nft string literal; policy names are validated already, this keeps a stray quote harmless. */
const quote = (s: string): string => `"${s.replace(/["\\\n\r]/g, '_')}"`;
const comment = (s: string): string => `comment ${quote(s)}`;
const set = (items: readonly (string | number)[]): string => (items.length === 1 ? String(items[0]) : `{ ${items.join(', ')} }`);

function networksByFamily(zone: CompiledZone): Record<Family, string[]> {
  const out: Record<Family, string[]> = { ip: [], ip6: [] };
  for (const n of [...zone.networks].sort()) out[familyOf(n)].push(n);
  return out;
}

function unspecified(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}

/** The island chain's rule (also used by daemon/firewall when toggling island mode alone). */
export function islandRule(): string {
  return `counter log prefix ${quote(LOG_PREFIX.island)} drop ${comment(RULE_COMMENT.island)}`;
}

/** Script that switches island mode in an already loaded table, as one transaction. */
export function renderIslandSwitch(on: boolean, table = DEFAULT_TABLE): string {
  const lines = [`flush chain inet ${table} island`];
  if (on) lines.push(`add rule inet ${table} island ${islandRule()}`);
  return `${lines.join('\n')}\n`;
}

/**
 * The full ruleset as an `nft -f` script that replaces the table atomically: the leading
 * `table` + `delete table` pair makes the delete valid whether or not the table exists, and the
 * whole file is one transaction (nothing half-applied).
 */
export function renderNftables(policy: CompiledPolicy, opts: RenderOptions = {}): string {
  const table = opts.table ?? DEFAULT_TABLE;
  if (!NAME_RE.test(table)) throw new Error(`invalid nftables table name: ${table}`);
  const ifaces = opts.gatewayInterfaces ?? {};
  const mgmtPorts = [...new Set(opts.managementPorts ?? DEFAULT_MANAGEMENT_PORTS)].sort((a, b) => a - b);
  const zones = [...policy.zones.values()].sort(byName);
  const conduits = [...policy.conduits.values()].sort(byName);
  const iif = (zone: string): string => {
    const name = ifaces[zone];
    return name === undefined ? '' : `iifname ${quote(name)} `;
  };
  const oif = (zone: string): string => {
    const name = ifaces[zone];
    return name === undefined ? '' : `oifname ${quote(name)} `;
  };

  const pre: string[] = [];
  const inputConduits: string[] = [];
  for (const c of conduits) {
    const from = policy.zones.get(c.fromZone);
    if (from === undefined) continue; // the loader guarantees zones resolve; stay total anyway
    const nets = networksByFamily(from);
    const what = `conduit ${c.name}: ${c.fromZone} -> ${c.upstream.asset}:${c.upstream.port} (${c.protocol})`;
    if (c.listen.port === 0) {
      pre.push(`# ${what}: listener port is picked at run time (0), no steering rule`);
      continue;
    }
    pre.push(...dnatRules(c, nets, iif(c.fromZone), what));
    for (const fam of ['ip', 'ip6'] as const) {
      if (nets[fam].length === 0) continue;
      const dst = unspecified(c.listen.host) ? '' : familyOf(c.listen.host) === fam ? `${fam} daddr ${c.listen.host} ` : null;
      if (dst === null) continue;
      inputConduits.push(`${iif(c.fromZone)}${fam} saddr ${set(nets[fam])} ${dst}tcp dport ${c.listen.port} ct state new counter accept ${comment(`${what} listener`)}`);
    }
  }

  const mgmtIn: string[] = [];
  const mgmtOut: string[] = [];
  const mzone = opts.managementZone === undefined ? undefined : policy.zones.get(opts.managementZone);
  if (opts.managementZone !== undefined && mzone === undefined) throw new Error(`management zone ${opts.managementZone} is not a zone of the policy`);
  if (mzone !== undefined && mgmtPorts.length > 0) {
    const nets = networksByFamily(mzone);
    for (const fam of ['ip', 'ip6'] as const) {
      if (nets[fam].length === 0) continue;
      mgmtIn.push(`${iif(mzone.name)}${fam} saddr ${set(nets[fam])} tcp dport ${set(mgmtPorts)} counter accept ${comment(`management from zone ${mzone.name}`)}`);
      mgmtOut.push(`${oif(mzone.name)}${fam} daddr ${set(nets[fam])} tcp sport ${set(mgmtPorts)} accept ${comment(`management replies to zone ${mzone.name}`)}`);
    }
  }

  const zoneNotes = zones.map((z) => `#   ${z.name} (level ${z.level}): ${[...z.networks].sort().join(', ')}${ifaces[z.name] ? ` via ${ifaces[z.name]}` : ''}`);
  const out: string[] = [];
  const emit = (indent: number, line: string) => out.push(`${'\t'.repeat(indent)}${line}`);

  out.push(`# otgate kernel segmentation for site ${policy.site}, policy ${policy.hash.slice(0, 12)}`);
  out.push('# Generated by `otgate firewall render`; edit the policy, not this file.');
  out.push('# Zones:', ...zoneNotes);
  out.push(`table inet ${table}`, `delete table inet ${table}`, '');
  emit(0, `table inet ${table} {`);

  emit(1, 'chain island {');
  if (opts.island === true) emit(2, islandRule());
  else emit(2, '# empty: island mode off (`otgate firewall island on` adds the drop rule)');
  emit(1, '}');
  out.push('');

  emit(1, 'chain prerouting {');
  emit(2, 'type nat hook prerouting priority dstnat; policy accept;');
  for (const r of pre) emit(2, r);
  emit(1, '}');
  out.push('');

  emit(1, 'chain input {');
  emit(2, 'type filter hook input priority filter; policy drop;');
  emit(2, 'iif "lo" accept');
  for (const r of mgmtIn) emit(2, r);
  emit(2, 'jump island');
  emit(2, 'ct state established,related accept');
  emit(2, `ct state invalid counter log prefix ${quote(LOG_PREFIX.invalid)} drop`);
  // Neighbour discovery keeps IPv6 zones reachable at all (RFC 4861); echo for diagnostics, rate-limited.
  emit(2, 'icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-advert } accept');
  emit(2, 'icmp type echo-request limit rate 5/second accept');
  for (const r of inputConduits) emit(2, r);
  emit(2, `counter log prefix ${quote(LOG_PREFIX.input)} drop ${comment(RULE_COMMENT.inputDrop)}`);
  emit(1, '}');
  out.push('');

  emit(1, 'chain forward {');
  emit(2, 'type filter hook forward priority filter; policy drop;');
  emit(2, '# No flow is ever forwarded: each conduit ends at the proxy, which opens its own upstream.');
  emit(2, 'jump island');
  emit(2, `counter log prefix ${quote(LOG_PREFIX.forward)} drop ${comment(RULE_COMMENT.forwardDrop)}`);
  emit(1, '}');
  out.push('');

  emit(1, 'chain output {');
  emit(2, 'type filter hook output priority filter; policy accept;');
  emit(2, 'oif "lo" accept');
  for (const r of mgmtOut) emit(2, r);
  emit(2, 'jump island');
  emit(1, '}');
  emit(0, '}');
  return `${out.join('\n')}\n`;
}

function dnatRules(c: CompiledConduit, nets: Record<Family, string[]>, iif: string, what: string): string[] {
  const fam = familyOf(c.upstream.host);
  if (nets[fam].length === 0) return [`# ${what}: no ${fam} network in zone ${c.fromZone}, no steering rule`];
  const match = `${iif}${fam} saddr ${set(nets[fam])} ${fam} daddr ${c.upstream.host} tcp dport ${c.upstream.port}`;
  if (unspecified(c.listen.host)) return [`${match} counter redirect to :${c.listen.port} ${comment(what)}`];
  if (parseIp(c.listen.host) === null) return [`# ${what}: listen host ${c.listen.host} is not an IP literal, no steering rule`];
  if (familyOf(c.listen.host) !== fam) return [`# ${what}: listener ${c.listen.host} and device ${c.upstream.host} differ in family, no steering rule`];
  const to = fam === 'ip6' ? `[${c.listen.host}]:${c.listen.port}` : `${c.listen.host}:${c.listen.port}`;
  return [`${match} counter dnat ${fam} to ${to} ${comment(what)}`];
}
