/** `otgate firewall render|apply|island|status`: kernel segmentation from the same policy file. */
import type { Command } from 'commander';
import { renderNftables, DEFAULT_MANAGEMENT_PORTS } from '../../rules/firewall';
import type { CompiledPolicy } from '../../rules/compiled';
import { applyFirewall, dropCounters, islandState, setIsland, type FirewallOptions } from '../firewall';
import { loadAndCompile } from '../policy-holder';

interface RenderFlags {
  policy: string;
  iface: string[];
  managementZone?: string;
  managementPort: number[];
  table: string;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];
const collectPort = (v: string, prev: number[]): number[] => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`invalid port ${v}`);
  return [...prev, n];
};

function renderFlags(cmd: Command): Command {
  return cmd
    .requiredOption('-p, --policy <file>', 'policy file (YAML)')
    .option('--iface <zone=ifname>', 'gateway interface facing a zone (repeatable): rules also match the interface', collect, [])
    .option('--management-zone <zone>', 'zone allowed to reach SSH and the metrics port')
    .option('--management-port <port>', `management TCP port (repeatable; default ${DEFAULT_MANAGEMENT_PORTS.join(', ')})`, collectPort, [])
    .option('--table <name>', 'nftables table (family inet)', 'otgate');
}

function policyOrExit(file: string): CompiledPolicy {
  const out = loadAndCompile(file);
  if (!out.ok) {
    for (const e of out.errors) process.stderr.write(`${e.file}:${e.line}:${e.col}: ${e.severity} ${e.code}: ${e.message}\n`);
    process.stderr.write('otgate: policy rejected\n');
    process.exit(2);
  }
  return out.policy;
}

function options(f: RenderFlags): FirewallOptions {
  const gatewayInterfaces: Record<string, string> = {};
  for (const pair of f.iface) {
    const [zone, ifname] = pair.split('=');
    if (!zone || !ifname || !/^[A-Za-z0-9_.@-]{1,15}$/.test(ifname)) throw new Error(`--iface wants zone=ifname, got ${pair}`);
    gatewayInterfaces[zone] = ifname;
  }
  return {
    gatewayInterfaces,
    table: f.table,
    ...(f.managementZone ? { managementZone: f.managementZone } : {}),
    ...(f.managementPort.length > 0 ? { managementPorts: f.managementPort } : {}),
  };
}

export function registerFirewall(program: Command): void {
  const fw = program.command('firewall').description('kernel segmentation (nftables) generated from the policy');

  renderFlags(fw.command('render').description('print the nftables ruleset for the policy (changes nothing)')).action((f: RenderFlags) => {
    process.stdout.write(renderNftables(policyOrExit(f.policy), options(f)));
  });

  renderFlags(fw.command('apply').description('load the ruleset atomically (nft -f, one transaction); island mode is kept')).action(async (f: RenderFlags) => {
    const out = await applyFirewall(policyOrExit(f.policy), options(f));
    if (!out.ok) {
      process.stderr.write(`otgate: firewall ${out.stage} failed: ${out.error}\n${out.rolledBack ? 'previous ruleset restored\n' : 'the previous ruleset stays in force\n'}`);
      process.exit(1);
    }
    process.stdout.write(`table inet ${f.table} loaded${out.island ? ' (island mode on)' : ''}\n`);
  });

  fw.command('island')
    .description('island mode: drop everything across the boundary (on), or lift it (off)')
    .argument('<state>', 'on | off')
    .option('--table <name>', 'nftables table (family inet)', 'otgate')
    .action(async (state: string, f: { table: string }) => {
      if (state !== 'on' && state !== 'off') throw new Error('island wants on or off');
      await setIsland(state === 'on', { table: f.table });
      process.stdout.write(`island mode ${state}\n`);
    });

  fw.command('status')
    .description('island state and default-drop counters')
    .option('--table <name>', 'nftables table (family inet)', 'otgate')
    .option('--json', 'JSON output')
    .action(async (f: { table: string; json?: boolean }) => {
      const s = { island: await islandState(undefined, f.table), drops: await dropCounters({ table: f.table }) };
      process.stdout.write(f.json ? `${JSON.stringify(s)}\n` : `island ${s.island ? 'on' : 'off'}; dropped: input ${s.drops.input}, forward ${s.drops.forward}, island ${s.drops.island}\n`);
    });
}
