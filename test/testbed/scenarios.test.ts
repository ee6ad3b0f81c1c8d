/** The one scenario definition is coherent: every scenario has a check, addresses sit in their level, no clash. */
import { CHECKED_SCENARIOS } from '../../scripts/testbed/attack-replay';
import { PLANT, SCENARIOS, hostByName, policyYaml } from '../../scripts/testbed/scenarios';

const inNet = (addr: string, cidr: string): boolean => {
  const [base, len] = cidr.split('/');
  const n = (a: string) => a.split('.').reduce((x, o) => x * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(len));
  return Math.floor(n(addr) / size) === Math.floor(n(base!) / size);
};

test('every scenario has a check in the replay and vice versa', () => {
  expect([...CHECKED_SCENARIOS].sort()).toEqual(SCENARIOS.map((s) => s.id).sort());
  for (const s of SCENARIOS) expect(() => hostByName(s.from)).not.toThrow();
});

test('addresses are unique, inside their level, inside the plant supernet (10/8)', () => {
  const all = PLANT.levels.flatMap((l) => [l.gateway, l.dockerBridge, ...l.hosts.map((h) => h.address)]);
  expect(new Set(all).size).toBe(all.length);
  for (const l of PLANT.levels) {
    expect(inNet(l.gateway, l.network) && inNet(l.dockerBridge, l.network)).toBe(true);
    for (const h of l.hosts) expect(inNet(h.address, l.network)).toBe(true);
    expect(inNet(l.network.split('/')[0]!, PLANT.supernet)).toBe(true);
  }
});

test('conduits name devices of the plant; only protocols asked for are in the policy', () => {
  for (const c of PLANT.conduits) expect(PLANT.devices.some((d) => d.host === c.device)).toBe(true);
  const modbusOnly = policyYaml(new Set(['modbus']));
  expect(modbusOnly).toContain('name: hmi-chiller-plc');
  expect(modbusOnly).not.toContain('protocol: mqtt');
  expect(modbusOnly).not.toContain('protocol: opcua');
  expect(PLANT.levels.find((l) => l.zone === PLANT.managementZone)).toBeDefined();
});
