#!/usr/bin/env node
/** The otgate command line: one subcommand per file under daemon/cli/. */
import './tick-shape';
import { Command } from 'commander';

type Register = (program: Command) => void;

// Each subcommand's module is required only when it is the one being run: `otgate run` then
// loads neither the pcap monitor, learn, diff, replay, firewall nor the demo (their code and
// bytecode would sit in the daemon's old space for its whole life — BENCHMARKS.md, "Idle RSS").
// Help, a mistyped or a missing subcommand register them all, so usage text stays complete.
const COMMANDS: Readonly<Record<string, () => Register>> = {
  run: () => (require('./cli/run') as typeof import('./cli/run')).registerRun,
  check: () => (require('./cli/check') as typeof import('./cli/check')).registerCheck,
  events: () => (require('./cli/events') as typeof import('./cli/events')).registerEvents,
  audit: () => (require('./cli/audit') as typeof import('./cli/audit')).registerAudit,
  monitor: () => (require('./cli/monitor') as typeof import('./cli/monitor')).registerMonitor,
  learn: () => (require('./cli/learn') as typeof import('./cli/learn')).registerLearn,
  diff: () => (require('./cli/diff') as typeof import('./cli/diff')).registerDiff,
  replay: () => (require('./cli/replay') as typeof import('./cli/replay')).registerReplay,
  firewall: () => (require('./cli/firewall') as typeof import('./cli/firewall')).registerFirewall,
  relay: () => (require('./cli/relay') as typeof import('./cli/relay')).registerRelay,
  demo: () => (require('./cli/demo') as typeof import('./cli/demo')).registerDemo,
};

/** The subcommand named on the command line (the first argument that is not an option). */
function subcommandOf(argv: readonly string[]): string | undefined {
  return argv.slice(2).find((a) => !a.startsWith('-'));
}

const program = new Command();
program
  .name('otgate')
  .description('OT/IoT segmentation gateway: default-deny Modbus TCP, OPC UA and MQTT between Purdue levels')
  .version('0.1.0');

const named = subcommandOf(process.argv);
const only = named !== undefined && Object.hasOwn(COMMANDS, named) ? [named] : Object.keys(COMMANDS);
for (const name of only) COMMANDS[name]!()(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`otgate: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
