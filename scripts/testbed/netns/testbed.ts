/**
 * The namespace testbed, up: plant namespaces (plant.ts), one agent per level namespace, the
 * devices in the control namespace, the generated ruleset loaded in the gateway namespace by
 * the real `otgate firewall apply`, and the real daemon (`otgate run`) serving the conduits.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { ProtocolName } from '../../../daemon/pipeline/contract';
import { createNftRunner, dropCounters } from '../../../daemon/firewall';
import { inspectorFor } from '../../../daemon/pipeline/registry';
import { loadAndCompile } from '../../../daemon/policy-holder';
import { agentOver, type Agent } from '../agent-client';
import type { PlantTransport } from '../attack-replay';
import { PLANT, gatewayInterfaces, hostByName, policyYaml, type LevelNs } from '../scenarios';
import { NetnsPlant, type NsName } from './plant';
import { DIST } from '../repo-root';

const MAIN = path.join(DIST(), 'daemon', 'main.js');
const AGENT = path.join(DIST(), 'scripts', 'testbed', 'agent.js');

export interface NetnsTestbed {
  readonly plant: NetnsPlant;
  readonly transport: PlantTransport;
  readonly policyFile: string;
  /** Protocols left out of the policy, with why. */
  readonly pending: readonly string[];
  gatewayOutput(): string;
  stop(): Promise<void>;
}

/** Which protocols the build can put in the testbed policy: an inspector, and a policy that loads. */
function activeProtocols(dir: string): { active: Set<ProtocolName>; pending: string[]; policy: string } {
  const pending: string[] = [];
  const active = new Set<ProtocolName>(['modbus']);
  for (const p of ['opcua', 'mqtt'] as const) {
    if (inspectorFor(p) === null) {
      pending.push(`${p}: no inspector registered in daemon/pipeline/registry.ts`);
      continue;
    }
    const trial = new Set([...active, p]);
    const file = path.join(dir, `trial-${p}.yaml`);
    writeFileSync(file, policyYaml(trial));
    const out = loadAndCompile(file);
    if (out.ok) active.add(p);
    else pending.push(`${p}: the testbed's ${p} rules do not load: ${out.errors.map((e) => `${e.code} ${e.message}`).join('; ')}`);
  }
  return { active, pending, policy: policyYaml(active) };
}

export async function startNetnsTestbed(opts: { log?: (line: string) => void } = {}): Promise<NetnsTestbed> {
  const log = opts.log ?? (() => undefined);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'otgate-testbed-'));
  const { active, pending, policy } = activeProtocols(dir);
  const policyFile = path.join(dir, 'policy.yaml');
  writeFileSync(policyFile, policy);
  const plant = await NetnsPlant.build();
  let gwOut = '';
  const stopAll = async () => {
    await plant.teardown();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    log(`plant ${plant.prefix}: namespaces ${['gw', ...PLANT.levels.map((l) => l.ns)].map((n) => plant.ns(n as NsName)).join(', ')}`);
    const env = { ...process.env, XDG_CONFIG_HOME: dir, OTGATE_STATE_DIR: dir, OTGATE_RUN_DIR: dir };
    const agents = new Map<LevelNs, Agent>();
    for (const l of PLANT.levels) {
      const a = agentOver(plant.spawn(l.ns, [process.execPath, AGENT], env), l.ns);
      agents.set(l.ns, a);
    }
    await Promise.all([...agents.values()].map((a) => a.ready));
    // The OPC UA server takes seconds to start: bring the devices up while the gateway comes up.
    const devicesUp = agents.get('ctl')!.call<{ started: string[] }>('startDevices', { devices: 'plc,opcua,mqtt' }, 30_000);
    devicesUp.catch(() => undefined);

    const ifaces = Object.entries(gatewayInterfaces()).flatMap(([z, i]) => ['--iface', `${z}=${i}`]);
    const fw = await plant.exec('gw', [process.execPath, MAIN, 'firewall', 'apply', '--policy', policyFile, ...ifaces, '--management-zone', PLANT.managementZone]);
    if (fw.code !== 0) throw new Error(`otgate firewall apply failed: ${fw.stderr}`);
    log(`gateway: ${fw.stdout.trim()}`);

    const gw: ChildProcess = plant.spawn('gw', [process.execPath, MAIN, 'run', '--policy', policyFile, '--db', path.join(dir, 'audit.db'), '--log-level', 'info'], env);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`otgate did not start:\n${gwOut}`)), 20_000);
      const onData = (d: Buffer) => {
        gwOut = (gwOut + d.toString()).slice(-200_000);
        if (/otgate serving/.test(gwOut)) {
          clearTimeout(timer);
          resolve();
        }
      };
      gw.stdout!.on('data', onData);
      gw.stderr!.on('data', onData);
      gw.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`otgate exited (${code}):\n${gwOut}`));
      });
    });
    log(`gateway: ${/otgate serving[^\n]*/.exec(gwOut)?.[0] ?? ''}`);
    log(`devices: ${(await devicesUp).started.join('; ')}`);

    const transport: PlantTransport = {
      active,
      agentFor: (host) => agents.get(hostByName(host).level.ns)!,
      deviceState: () => agents.get('ctl')!.call('deviceState'),
      otgate: (args) => plant.exec('gw', [process.execPath, MAIN, ...args]),
      drops: () => dropCounters({ nft: createNftRunner({ netns: plant.ns('gw') }) }),
      gatewayAlive: async () => gw.exitCode === null && gw.signalCode === null,
    };
    return { plant, transport, policyFile, pending, gatewayOutput: () => gwOut, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
