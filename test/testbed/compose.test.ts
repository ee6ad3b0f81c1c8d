/**
 * The Docker testbed stays in step with the namespace one: the checked-in compose file equals
 * what the scenario definition generates, and its structure says what the plant is — one
 * internal network per Purdue level, otgate the only service on more than one, every host at
 * its scenario address. (No Docker engine runs here: structure only.)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadAndCompile } from '../../daemon/policy-holder';
import { composeFromScenario } from '../../scripts/testbed/compose';
import { PLANT, SCENARIOS, hostByName } from '../../scripts/testbed/scenarios';

const ROOT = path.resolve(__dirname, '..', '..');
interface Service { networks: Record<string, { ipv4_address: string }>; command: string[]; image: string; labels?: Record<string, string> }
const compose = parse(readFileSync(path.join(ROOT, 'testbed', 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service>; networks: Record<string, { internal: boolean; ipam: { config: { subnet: string; gateway: string }[] } }> };

test('the checked-in compose file is the one the scenario generates', () => {
  expect(compose).toEqual(composeFromScenario());
});

test('one internal network per Purdue level, with the scenario subnet', () => {
  expect(Object.keys(compose.networks).sort()).toEqual(PLANT.levels.map((l) => `level${l.level}-${l.zone}`).sort());
  for (const l of PLANT.levels) {
    const n = compose.networks[`level${l.level}-${l.zone}`]!;
    expect(n.internal).toBe(true); // no route to the host's networks
    expect(n.ipam.config).toEqual([{ subnet: l.network, gateway: l.dockerBridge }]);
  }
});

test('otgate sits on every level at the gateway address; every other service on exactly one', () => {
  expect(compose.services.otgate!.networks).toEqual(Object.fromEntries(PLANT.levels.map((l) => [`level${l.level}-${l.zone}`, { ipv4_address: l.gateway }])));
  for (const [name, s] of Object.entries(compose.services)) if (name !== 'otgate') expect(Object.keys(s.networks)).toHaveLength(1);
  expect(compose.services.otgate!.command.join(' ')).toMatch(/firewall apply .*&& exec node dist\/daemon\/main.js run/);
});

test('the plant: PLC, OPC UA server, broker, HMI, historian, attacker, each at its scenario address and level', () => {
  expect(Object.keys(compose.services).sort()).toEqual(['attacker', 'chiller-opcua', 'chiller-plc', 'historian', 'hmi', 'mqtt-broker', 'otgate']);
  for (const l of PLANT.levels)
    for (const h of l.hosts) {
      const s = compose.services[h.service]!;
      const [net, addr] = Object.entries(s.networks)[0]!;
      expect(net).toBe(`level${l.level}-${l.zone}`);
      const cmd = s.command.join(' ');
      expect(addr.ipv4_address === h.address || cmd.includes(`ip addr add ${h.address}/`)).toBe(true);
      expect(cmd).toContain(`ip route add ${PLANT.supernet} via ${l.gateway}`);
    }
  for (const d of PLANT.devices) expect(compose.services[hostByName(d.host).service]!.command.join(' ')).toMatch(/agent\.js --start (plc|opcua|mqtt)/);
  expect(hostByName(SCENARIOS.find((s) => s.id === 'bypass-direct')!.from).service).toBe('attacker');
});

test('the Docker testbed policy loads and matches the scenario conduits', () => {
  const out = loadAndCompile(path.join(ROOT, 'testbed', 'policy.yaml'));
  if (!out.ok) throw new Error(out.errors.map((e) => e.message).join('\n'));
  for (const c of out.policy.conduits.values()) {
    const want = PLANT.conduits.find((x) => x.name === c.name)!;
    expect(c.upstream).toMatchObject({ asset: want.device, host: hostByName(want.device).address, port: want.port });
    expect(c.listen.host).toBe(PLANT.levels.find((l) => l.ns === want.from)!.gateway);
  }
});

test('the Dockerfile builds otgate on node\'s slim image', () => {
  const df = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  expect(df).toMatch(/^FROM node:20-slim$/m);
  expect(df).toMatch(/npm ci/);
  expect(df).toMatch(/npm run build/);
  expect(df).toMatch(/nftables/);
});
