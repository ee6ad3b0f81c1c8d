/**
 * The testbed plant and its attack scenarios: ONE definition used by the network-namespace
 * testbed (scripts/testbed/netns/), the Docker compose file (testbed/docker-compose.yml, checked
 * against this by test/testbed/compose.test.ts) and the attack replay.
 *
 * A small slice of Secluded Semiconductors' island fab (docs/testbed.md): level 3 operations
 * (EWS, historian), level 2 supervisory (SCADA, HMIs, and one rogue address no policy names),
 * level 1 control (the process-chiller PLC, the chiller skid's OPC UA server and the MQTT
 * broker), and otgate between them. Addresses follow the fab's 10.x plan; they exist only inside
 * the namespaces / internal Docker networks the testbed creates.
 */
import type { ProtocolName } from '../../daemon/pipeline/contract';

export interface PlantHost {
  readonly name: string;
  readonly address: string;
  /** In the policy as an asset (false: an address the policy does not know, e.g. a rogue box). */
  readonly asset: boolean;
  readonly role: string;
  readonly safetyCritical?: boolean;
  /** Docker service that carries this host (its first host is the service's own address). */
  readonly service: string;
}

export interface PlantDevice {
  readonly kind: 'modbus-plc' | 'opcua-server' | 'mqtt-broker';
  /** Host (in PlantLevel.hosts) the device runs on. */
  readonly host: string;
  readonly port: number;
}

export interface PlantLevel {
  /** Namespace suffix / Docker service group. */
  readonly ns: 'ops' | 'hmi' | 'ctl';
  readonly zone: string;
  readonly level: number;
  readonly network: string;
  /** otgate's address on this level (conduit listeners live here). */
  readonly gateway: string;
  /** Docker's bridge address for this network (ipam gateway; never used for routing). */
  readonly dockerBridge: string;
  /** otgate's interface facing this level (netns testbed; Docker names them itself). */
  readonly gatewayInterface: string;
  readonly hosts: readonly PlantHost[];
}

export interface PlantConduit {
  readonly name: string;
  readonly protocol: ProtocolName;
  readonly from: PlantLevel['ns'];
  readonly to: PlantLevel['ns'];
  readonly device: string;
  readonly port: number;
  /** Rules as policy YAML (indented under `rules:`), the same text both testbeds run. */
  readonly rulesYaml: string;
}

export const PLANT = {
  site: 'secluded-semi-testbed',
  /** Everything the plant uses sits inside this; level namespaces route only it, via otgate. */
  supernet: '10.0.0.0/8',
  levels: [
    {
      ns: 'ops', zone: 'operations', level: 3, network: '10.30.0.0/24', gateway: '10.30.0.1', dockerBridge: '10.30.0.254', gatewayInterface: 'gw-ops',
      hosts: [
        { name: 'ews-1', address: '10.30.0.20', asset: true, role: 'engineering-workstation', service: 'attacker' },
        { name: 'historian', address: '10.30.0.30', asset: true, role: 'historian', service: 'historian' },
      ],
    },
    {
      ns: 'hmi', zone: 'supervisory', level: 2, network: '10.20.0.0/24', gateway: '10.20.0.1', dockerBridge: '10.20.0.254', gatewayInterface: 'gw-hmi',
      hosts: [
        // hmi-1 first: the level's default source address (OPC UA / MQTT clients cannot bind one).
        { name: 'hmi-1', address: '10.20.0.11', asset: true, role: 'hmi', service: 'hmi' },
        { name: 'hmi-2', address: '10.20.0.12', asset: true, role: 'hmi', service: 'hmi' },
        { name: 'scada-1', address: '10.20.0.10', asset: true, role: 'scada', service: 'hmi' },
        { name: 'rogue', address: '10.20.0.66', asset: false, role: 'rogue-device', service: 'hmi' },
      ],
    },
    {
      ns: 'ctl', zone: 'control', level: 1, network: '10.10.0.0/24', gateway: '10.10.0.1', dockerBridge: '10.10.0.254', gatewayInterface: 'gw-ctl',
      hosts: [
        { name: 'chiller-plc', address: '10.10.0.21', asset: true, role: 'plc', safetyCritical: true, service: 'chiller-plc' },
        { name: 'chiller-opcua', address: '10.10.0.22', asset: true, role: 'opcua-server', safetyCritical: true, service: 'chiller-opcua' },
        { name: 'mqtt-broker', address: '10.10.0.50', asset: true, role: 'mqtt-broker', service: 'mqtt-broker' },
      ],
    },
  ] as readonly PlantLevel[],
  devices: [
    { kind: 'modbus-plc', host: 'chiller-plc', port: 502 },
    { kind: 'opcua-server', host: 'chiller-opcua', port: 4840 },
    { kind: 'mqtt-broker', host: 'mqtt-broker', port: 1883 },
  ] as readonly PlantDevice[],
  /** Management (SSH, metrics) reaches otgate only from here. */
  managementZone: 'operations',
  managementPorts: [22, 9464] as readonly number[],
  conduits: [
    {
      name: 'hmi-chiller-plc', protocol: 'modbus', from: 'hmi', to: 'ctl', device: 'chiller-plc', port: 502,
      rulesYaml: `
      - name: hmi-read-chiller
        clients: [hmi-1, hmi-2]
        modbus:
          unit_ids: [1]
          functions: [read-only]
          read: { coils: ["0-15"], input_registers: ["0-99"], holding_registers: ["0-199"] }
      - name: hmi-write-chiller-setpoints
        clients: [hmi-1, hmi-2]
        modbus:
          unit_ids: [1]
          functions: [write_single_register, write_multiple_registers, write_single_coil]
          write:
            holding_registers:
              - { range: "100-109", min: 50, max: 250 }
            coils: ["0-7"]`,
    },
    {
      name: 'historian-chiller-plc', protocol: 'modbus', from: 'ops', to: 'ctl', device: 'chiller-plc', port: 502,
      rulesYaml: `
      - name: historian-read-chiller
        clients: [historian]
        modbus:
          unit_ids: [1]
          functions: [read_input_registers, read_holding_registers]
          read: { input_registers: ["0-99"], holding_registers: ["0-199"] }`,
    },
    {
      name: 'scada-chiller-opcua', protocol: 'opcua', from: 'hmi', to: 'ctl', device: 'chiller-opcua', port: 4840,
      // Rule body per docs/policy (OPC UA engineer's schema); only rendered when the OPC UA
      // inspector and schema exist in the build (see policyYaml).
      rulesYaml: `
      - name: scada-chiller-opcua
        clients: [scada-1]
        opcua:
          services: [browse, read, write]
          write: ["ns=2;s=Chiller.Setpoint", "ns=2;s=Chiller.Mode"]`,
    },
    {
      name: 'scada-mqtt-broker', protocol: 'mqtt', from: 'hmi', to: 'ctl', device: 'mqtt-broker', port: 1883,
      rulesYaml: `
      - name: scada-telemetry
        clients: [scada-1]
        mqtt:
          subscribe: ["fab/+/+/telemetry"]`,
    },
  ] as readonly PlantConduit[],
} as const;

export type LevelNs = PlantLevel['ns'];

export function levelOf(ns: LevelNs): PlantLevel {
  const l = PLANT.levels.find((x) => x.ns === ns);
  if (!l) throw new Error(`no level ${ns}`);
  return l;
}

export function hostByName(name: string): PlantHost & { readonly level: PlantLevel } {
  for (const level of PLANT.levels) {
    const h = level.hosts.find((x) => x.name === name);
    if (h) return { ...h, level };
  }
  throw new Error(`no host ${name} in the plant`);
}

/** Gateway interface per zone name (for `otgate firewall apply --iface zone=ifname`). */
export function gatewayInterfaces(): Record<string, string> {
  return Object.fromEntries(PLANT.levels.map((l) => [l.zone, l.gatewayInterface]));
}

/**
 * The testbed's policy file. `protocols` says which protocols the build can inspect: a conduit
 * whose protocol has no inspector (and no schema) yet is left out, and its scenarios report
 * "pending" instead of passing for the wrong reason.
 */
export function policyYaml(protocols: ReadonlySet<ProtocolName>): string {
  const zones = PLANT.levels.map((l) => `  - { name: ${l.zone}, level: ${l.level}, networks: [${l.network}] }`);
  const assets = PLANT.levels.flatMap((l) =>
    l.hosts.filter((h) => h.asset).map((h) => `  - { name: ${h.name}, zone: ${l.zone}, address: ${h.address}, role: ${h.role}${h.safetyCritical ? ', safety_critical: true' : ''} }`),
  );
  const conduits = PLANT.conduits.filter((c) => protocols.has(c.protocol)).map((c) => {
    const from = levelOf(c.from);
    return [
      `  - name: ${c.name}`,
      `    from_zone: ${from.zone}`,
      `    to_zone: ${levelOf(c.to).zone}`,
      `    protocol: ${c.protocol}`,
      `    listen: ${from.gateway}:${c.port}`,
      `    upstream: { asset: ${c.device}, port: ${c.port} }`,
      '    limits: { max_pending_requests: 16, request_timeout_ms: 2000 }',
      `    rules:${c.rulesYaml}`,
    ].join('\n');
  });
  return [
    '# Generated from scripts/testbed/scenarios.ts (the testbed plant); do not edit by hand.',
    'version: 1',
    `site: ${PLANT.site}`,
    'defaults: { mode: enforce, audit: { allowed: all } }',
    'zones:',
    ...zones,
    'assets:',
    ...assets,
    'conduits:',
    ...conduits,
    '',
  ].join('\n');
}

/** Attack and allowed-traffic scenarios, in the order the replay runs them. */
export interface Scenario {
  readonly id: string;
  readonly kind: 'allowed' | 'attack';
  /** Host the traffic comes from. */
  readonly from: string;
  readonly title: string;
  /** What must be true at the device (and in the kernel) for a pass. */
  readonly expect: string;
  /** Protocol whose inspector the scenario needs; pending when the build lacks it. */
  readonly needs?: ProtocolName;
}

export const SCENARIOS: readonly Scenario[] = [
  { id: 'allowed-hmi-read', kind: 'allowed', from: 'hmi-1', title: 'HMI reads the chiller setpoint at the PLC address (steered to the proxy by DNAT)', expect: 'value 18.0 °C read; the PLC saw the request from otgate' },
  { id: 'allowed-hmi-write', kind: 'allowed', from: 'hmi-1', title: 'HMI writes setpoint 20.0 °C (inside the 5.0–25.0 envelope)', expect: 'the PLC register holds 200' },
  { id: 'allowed-historian-read', kind: 'allowed', from: 'historian', title: 'historian reads process values through its own conduit listener', expect: 'input registers 0..3 read' },
  { id: 'allowed-scada-subscribe', kind: 'allowed', from: 'scada-1', needs: 'mqtt', title: 'SCADA subscribes to fab/+/+/telemetry at the broker address', expect: 'granted; the broker saw the subscription' },
  { id: 'bypass-direct', kind: 'attack', from: 'ews-1', title: 'EWS goes straight for the OPC UA server and the broker (no conduit from operations) and the PLC', expect: 'no TCP connection to OPC UA / MQTT (forward drop counter rises); the PLC port is steered into the proxy and refused; nothing from operations reaches a device' },
  { id: 'wrong-zone-listener', kind: 'attack', from: 'ews-1', title: 'EWS connects to the supervisory conduit\'s listener', expect: 'no TCP connection; input drop counter rises' },
  { id: 'unlisted-client', kind: 'attack', from: 'rogue', title: 'an address in the HMI zone that no policy names reads the PLC', expect: 'refused; the PLC saw no request' },
  { id: 'forbidden-write', kind: 'attack', from: 'hmi-1', title: 'compromised HMI writes setpoint 60.0 °C', expect: 'Modbus exception; register unchanged; no write at the PLC' },
  { id: 'fc8-restart', kind: 'attack', from: 'hmi-1', title: 'FC 8 sub-function 1 (restart communications, T0816)', expect: 'refused; the PLC saw no FC 8' },
  { id: 'unit-id-sweep', kind: 'attack', from: 'hmi-1', title: 'unit ids 1..247 swept, then FC 43/14 device identification (T0846/T0888)', expect: 'only unit 1 answered; the PLC saw only unit 1 and no FC 43' },
  { id: 'opcua-write-setpoint', kind: 'attack', from: 'hmi-1', needs: 'opcua', title: 'OPC UA write to Chiller.Setpoint by a client the policy does not allow', expect: 'Bad status; the server\'s value unchanged' },
  { id: 'mqtt-wildcard', kind: 'attack', from: 'scada-1', needs: 'mqtt', title: 'MQTT subscription to "#" (SCADA may only subscribe within fab/+/+/telemetry), and a CONNECT from an HMI the conduit does not name', expect: 'refused; the broker never saw the subscription' },
  { id: 'flood', kind: 'attack', from: 'hmi-1', title: '2,000 forbidden writes pipelined within 5 s', expect: 'no write at the PLC; register unchanged; another HMI still reads' },
  { id: 'island', kind: 'attack', from: 'hmi-1', title: 'island mode on: everything across the boundary cut, then restored', expect: 'allowed reads fail while on; the PLC saw nothing; reads work after off' },
];
