#!/usr/bin/env node
/** The otgate command line: one subcommand per file under daemon/cli/. */
import { Command } from 'commander';
import { registerAudit } from './cli/audit';
import { registerCheck } from './cli/check';
import { registerDemo } from './cli/demo';
import { registerDiff } from './cli/diff';
import { registerEvents } from './cli/events';
import { registerLearn } from './cli/learn';
import { registerMonitor } from './cli/monitor';
import { registerRelay } from './cli/relay';
import { registerReplay } from './cli/replay';
import { registerFirewall } from './cli/firewall';
import { registerRun } from './cli/run';

const program = new Command();
program
  .name('otgate')
  .description('OT/IoT segmentation gateway: default-deny Modbus TCP, OPC UA and MQTT between Purdue levels')
  .version('0.1.0');

for (const register of [
  registerRun, registerCheck, registerEvents, registerAudit, registerMonitor, registerLearn,
  registerDiff, registerReplay, registerFirewall, registerRelay, registerDemo,
]) register(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`otgate: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
