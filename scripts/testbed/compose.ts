/**
 * testbed/docker-compose.yml from the scenario definition: one internal network per Purdue
 * level (no way out), otgate on all of them at each level's gateway address, the devices and
 * clients on theirs with a route to the plant via otgate. `node dist/scripts/testbed/compose.js`
 * prints it; test/testbed/compose.test.ts keeps the checked-in file equal to it.
 */
import { stringify } from 'yaml';
import { DOCKER_CONTROL_SOCKET } from './attack-replay';
import type { ProtocolName } from '../../daemon/pipeline/contract';
import { PLANT, gatewayInterfaces, policyYaml, type PlantLevel } from './scenarios';

const netName = (l: PlantLevel): string => `level${l.level}-${l.zone}`;
const AGENT = 'node dist/scripts/testbed/agent.js';

export function composeFromScenario(): Record<string, unknown> {
  const networks: Record<string, unknown> = {};
  for (const l of PLANT.levels) networks[netName(l)] = { internal: true, ipam: { config: [{ subnet: l.network, gateway: l.dockerBridge }] } };

  const services: Record<string, unknown> = {};
  const ifaces = Object.keys(gatewayInterfaces());
  services.otgate = {
    build: { context: '..', dockerfile: 'Dockerfile' },
    image: 'otgate:testbed',
    cap_add: ['NET_ADMIN'],
    sysctls: { 'net.ipv4.ip_forward': '1' },
    networks: Object.fromEntries(PLANT.levels.map((l) => [netName(l), { ipv4_address: l.gateway }])),
    volumes: ['./policy.yaml:/etc/otgate/policy.yaml:ro'],
    command: ['sh', '-c', `node dist/daemon/main.js firewall apply --policy /etc/otgate/policy.yaml --management-zone ${PLANT.managementZone} && exec node dist/daemon/main.js run --policy /etc/otgate/policy.yaml --db /var/lib/otgate/audit.db`],
    labels: { 'otgate.zones': ifaces.join(',') },
  };
  const byService = new Map<string, { level: PlantLevel; addresses: string[]; devices: string[] }>();
  for (const l of PLANT.levels)
    for (const h of l.hosts) {
      const s = byService.get(h.service) ?? { level: l, addresses: [], devices: [] };
      s.addresses.push(h.address);
      const d = PLANT.devices.find((x) => x.host === h.name);
      if (d) s.devices.push(d.kind === 'modbus-plc' ? 'plc' : d.kind === 'opcua-server' ? 'opcua' : 'mqtt');
      byService.set(h.service, s);
    }
  for (const [name, s] of [...byService].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const len = s.level.network.split('/')[1];
    const extra = s.addresses.slice(1).map((a) => `ip addr add ${a}/${len} dev eth0 && `).join('');
    const run = s.devices.length > 0 ? `${AGENT} --start ${s.devices.join(',')} --control ${DOCKER_CONTROL_SOCKET}` : 'tail -f /dev/null';
    services[name] = {
      image: 'otgate:testbed',
      depends_on: ['otgate'],
      cap_add: ['NET_ADMIN'],
      networks: { [netName(s.level)]: { ipv4_address: s.addresses[0] } },
      labels: { 'otgate.level': String(s.level.level), 'otgate.zone': s.level.zone },
      command: ['sh', '-c', `${extra}ip route add ${PLANT.supernet} via ${s.level.gateway} src ${s.addresses[0]} && exec ${run}`],
    };
  }
  return { name: 'otgate-testbed', services, networks };
}

export function composeYaml(): string {
  return `# Generated from scripts/testbed/scenarios.ts by \`node dist/scripts/testbed/compose.js\`; do not edit.\n# Start: docker compose -f testbed/docker-compose.yml up -d --build   (docs/testbed.md)\n${stringify(composeFromScenario(), { lineWidth: 0 })}`;
}

/** testbed/policy.yaml: the scenario's policy for the protocols named (those the image can inspect). */
export function dockerPolicyYaml(protocols: readonly ProtocolName[]): string {
  return `# protocols: ${protocols.join(',')}\n${policyYaml(new Set(protocols))}`;
}

if (require.main === module) {
  const [what, protos] = process.argv.slice(2);
  process.stdout.write(what === 'policy' ? dockerPolicyYaml((protos ?? 'modbus,mqtt').split(',') as ProtocolName[]) : composeYaml());
}
