/**
 * `otgate demo`: the gateway on an embedded testbed, all on loopback. Starts the simulated
 * plant devices, the real gateway (the same App as `otgate run`) with
 * examples/demo-loopback.yaml, then legitimate and rogue clients; prints every decision live,
 * checks each outcome at the device, prints a summary from the audit store. Exits non-zero if
 * any check fails.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { Writable } from 'node:stream';
import path from 'node:path';
import type { Command } from 'commander';
import { parseDocument } from 'yaml';
import { App } from '../app';
import type { ActResult } from '../demo/modbus-act';
import { bold, decisionLine, green, heading, red, say } from '../demo/printer';
import { createLogger } from '../log';
import { packageRoot } from '../paths-root';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the gateway demo on an embedded loopback testbed (simulated PLC, HMI, rogue client)')
    .option('--policy <file>', 'demo policy', path.join(packageRoot(), 'examples', 'demo-loopback.yaml'))
    .option('--keep', 'keep the temporary audit database and print its path')
    .action(async (o: { policy: string; keep?: boolean }) => {
      process.exitCode = (await runDemo(o.policy, o.keep === true)) ? 0 : 1;
    });
}

export async function runDemo(policyFile: string, keep: boolean): Promise<boolean> {
  // The acts (and their peers: MQTT.js, aedes, node-opcua) load only when the demo runs.
  const [{ runModbusAct }, { runOpcuaAct, startDemoChiller }, { startMqttAct }, { runRelayAct }, { startChillerPlc }, { RelaySimulator }] = await Promise.all([
    import('../demo/modbus-act'), import('../demo/opcua-act'), import('../demo/mqtt-act'), import('../demo/relay-act'),
    import('../../scripts/testbed/chiller-plc'), import('../../hw/sim/simulator'),
  ]);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'otgate-demo-'));
  const dbFile = path.join(dir, 'audit.db');
  say(bold('otgate demo — Secluded Semiconductors island fab, on loopback'));
  say(`  policy ${policyFile}`);
  const plc = await startChillerPlc({ host: '127.0.10.21', port: 25021 });
  say(`  chiller PLC (simulated, modbus-serial)   ${plc.host}:${plc.port}`);
  const chillerUa = await startDemoChiller('127.0.10.22', 25041);
  say(`  chiller skid OPC UA server (node-opcua)  ${chillerUa.host}:${chillerUa.port}`);
  // The relay simulator gets its own temporary socket: the policy is used as written otherwise.
  const simSocket = path.join(dir, 'relay-sim.sock');
  const sim = await RelaySimulator.start({ socket: simSocket, timeoutMs: 2000 });
  const doc = parseDocument(readFileSync(policyFile, 'utf8'));
  if (doc.hasIn(['relay', 'sim'])) doc.setIn(['relay', 'sim', 'socket'], simSocket);
  const runPolicy = path.join(dir, path.basename(policyFile));
  writeFileSync(runPolicy, doc.toString());
  say(`  disconnect relay (simulated + watchdog)   ${simSocket}`);
  const controlSocket = path.join(dir, 'otgate.sock');
  const app = await App.start({ policyFile: runPolicy, dbFile, logger: createLogger({ level: 'error', stream: new Writable({ write: (_c, _e, cb) => cb() }) }), controlSocket, stateDir: dir });
  app.env.onDecision(decisionLine);
  const gw = app.address('hmi-chiller-plc');
  if (!gw) throw new Error('conduit hmi-chiller-plc is not listening');
  say(`  gateway conduit hmi-chiller-plc          ${gw.address}:${gw.port} → chiller-plc, mode enforce`);

  // Let the gateway's decision for each client step print before the next step.
  const settle = () => new Promise<void>((r) => setTimeout(r, 30));
  const mqtt = await startMqttAct(app);
  const results: ActResult[] = [];
  try {
    results.push(await runModbusAct({ gateway: { host: gw.address, port: gw.port }, plc, hmi: '127.0.20.11', rogue: '127.0.20.12' }, settle));
    const ua = app.address('scada-chiller-opcua');
    if (!ua) throw new Error('conduit scada-chiller-opcua is not listening');
    results.push(await runOpcuaAct({ gateway: { host: ua.address, port: ua.port }, chiller: chillerUa, scada: '127.0.20.10' }, settle));
    results.push(await mqtt.run(settle));
    if (app.relay) {
      results.push(await runRelayAct({
        gateway: { host: gw.address, port: gw.port }, rogue: '127.0.20.12', sim, controlSocket,
        audit: app.audit,
      }, settle));
    }
  } finally {
    await mqtt.close();
    await app.stop();
    await plc.close();
    await chillerUa.close();
    await sim.stop();
  }

  heading('Summary');
  const { AuditStore } = await import('../audit/store');
  const store = AuditStore.open(dbFile);
  const rows = store.query({ limit: 100000 });
  store.close();
  const by = (pred: (r: (typeof rows)[number]) => boolean) => rows.filter(pred).length;
  say(`  audit store ${keep ? dbFile : '(temporary)'}: ${rows.length} decision rows — ` +
    `${by((r) => r.verdict === 'allow')} allowed, ${by((r) => r.verdict === 'deny')} denied, ${by((r) => r.anomaly !== null)} anomalies`);
  const checks = results.flatMap((r) => r.checks);
  for (const c of checks) say(`  ${c.ok ? green('✓') : red('✗')} ${c.what}`);
  const ok = checks.every((c) => c.ok);
  say(ok ? green(bold(`\n  all ${checks.length} checks passed`)) : red(bold(`\n  ${checks.filter((c) => !c.ok).length} check(s) FAILED`)));
  if (!keep) rmSync(dir, { recursive: true, force: true });
  return ok;
}
