/**
 * Demo act — fail-safe isolation. The compromised HMI keeps hammering the safety-critical
 * chiller's setpoint; the policy's trip rule opens the disconnect relay (a simulated relay with
 * its own heartbeat watchdog); an operator reviews and restores it through the management
 * socket, with a reason, exactly as `otgate relay restore --reason …` does.
 */
import ModbusRTU from 'modbus-serial';
import { controlRequest } from '../control/client';
import type { RelaySimulator } from '../../hw/sim/simulator';
import type { RelayStatusReport } from '../relay-manager';
import type { AuditStore } from '../audit/store';
import { CHILLER_SETPOINT } from '../../scripts/testbed/chiller-plc';
import type { ActResult } from './modbus-act';
import { clientLine, heading, say } from './printer';

export interface RelayActTarget {
  readonly gateway: { host: string; port: number };
  readonly rogue: string;
  readonly sim: RelaySimulator;
  readonly controlSocket: string;
  /** The running gateway's store (relay events are written synchronously). */
  readonly audit: AuditStore;
}

const until = async (cond: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  return cond();
};

export async function runRelayAct(t: RelayActTarget, settle: () => Promise<void>): Promise<ActResult> {
  const checks: ActResult['checks'] = [];
  const check = (what: string, ok: boolean) => checks.push({ what, ok });

  heading('Fail-safe relay · repeated forbidden writes to a safety-critical asset');
  say(`  relay     ${t.sim.status().contact.toUpperCase()} (simulated relay + heartbeat watchdog ${t.sim.status().timeoutMs} ms)`);
  check('relay connected while the plant runs normally', t.sim.status().contact === 'connected');
  const rogue = new ModbusRTU();
  await rogue.connectTCP(t.gateway.host, { port: t.gateway.port, localAddress: t.rogue } as never);
  rogue.setID(1);
  rogue.setTimeout(2000);
  for (const v of [650, 700, 800]) {
    const r = await rogue.writeRegister(CHILLER_SETPOINT, v).then(() => 'accepted?!', (e: { modbusCode?: number }) => `refused: exception 0${e.modbusCode}`);
    clientLine('hmi-2', `write setpoint ${(v / 10).toFixed(1)} °C (FC 6, holding 100 = ${v})`, r, r.startsWith('refused'));
    await settle();
  }
  rogue.close(() => undefined);
  const opened = await until(() => t.sim.status().contact === 'isolated');
  check('the trip rule opened the relay', opened);
  await until(() => t.audit.relayEvents({}).some((r) => r.cause?.startsWith('policy:') === true));
  const trip = t.audit.relayEvents({}).find((r) => r.cause?.startsWith('policy:'));
  const ms = (trip?.detail as { triggerToCommandMs?: number } | null)?.triggerToCommandMs;
  say(`  relay     ${t.sim.status().contact.toUpperCase()} — ${trip?.cause ?? 'no audit row?!'}` +
    `${ms !== undefined ? `, frame → relay command ${ms.toFixed(2)} ms` : ''}`);
  check('the trip is audited with its cause and timings', trip !== undefined && trip.commandTs !== null);

  const denied = await controlRequest(t.controlSocket, 'relay.restore', { actor: 'demo-operator' }).then(() => 'restored?!', (e: Error) => `refused: ${e.message}`);
  clientLine('operator', 'otgate relay restore (no reason)', denied, denied.startsWith('refused'));
  check('restore without a reason is refused', denied.startsWith('refused') && t.sim.status().contact === 'isolated');
  const st = (await controlRequest(t.controlSocket, 'relay.restore', {
    actor: 'demo-operator', reason: 'rogue HMI session killed, setpoint verified at 17.5 °C',
  })) as RelayStatusReport;
  const back = await until(() => t.sim.status().contact === 'connected');
  clientLine('operator', 'otgate relay restore --reason "rogue HMI session killed…"', back ? `relay ${st.commanded}` : 'still open?!', back);
  check('an operator restored the relay deliberately, with a reason', back);
  return { checks };
}
