/**
 * `otgate relay status | isolate --reason … | restore --reason …`: talks to the running daemon
 * over the management socket (the daemon is the only owner of the relay hardware).
 * Exit codes: 0 done, 1 refused or failed, 2 cannot reach the daemon.
 */
import type { Command } from 'commander';
import { claimedActor, ControlClientError, controlRequest, defaultSocketPath } from '../control/client';
import type { RelayStatusReport } from '../relay-manager';

interface Common {
  socket: string;
  json?: boolean;
}

export function registerRelay(program: Command): void {
  const relay = program.command('relay').description('the fail-safe isolation relay: status, isolate, restore (via the running daemon)');

  const common = (c: Command) =>
    c.option('--socket <path>', 'management socket', defaultSocketPath()).option('--json', 'print the raw status as JSON');

  common(relay.command('status').description('commanded state, feedback contact, latch and heartbeat')).action(async (o: Common) => {
    await run(o, 'relay.status', {});
  });

  common(relay.command('isolate').description('open the relay now (latches until restore)'))
    .requiredOption('--reason <text>', 'why (recorded in the audit store)')
    .option('--actor <name>', 'who is asking (default: $SUDO_USER or your login name)')
    .action(async (o: Common & { reason: string; actor?: string }) => {
      await run(o, 'relay.isolate', { reason: o.reason, actor: o.actor ?? claimedActor() });
    });

  common(relay.command('restore').description('close the relay again after a trip (needs a reason; the key-switch when configured)'))
    .requiredOption('--reason <text>', 'why it is safe to reconnect (recorded in the audit store)')
    .option('--actor <name>', 'who is asking (default: $SUDO_USER or your login name)')
    .action(async (o: Common & { reason: string; actor?: string }) => {
      await run(o, 'relay.restore', { reason: o.reason, actor: o.actor ?? claimedActor() });
    });
}

async function run(o: Common, op: string, fields: Record<string, unknown>): Promise<void> {
  try {
    const st = (await controlRequest(o.socket, op, fields)) as RelayStatusReport;
    process.stdout.write(o.json === true ? `${JSON.stringify(st)}\n` : formatStatus(st));
  } catch (err) {
    if (err instanceof ControlClientError) {
      process.stderr.write(`otgate relay: ${err.message} [${err.code}]\n`);
      process.exitCode = ['ENOENT', 'ECONNREFUSED', 'EACCES', 'timeout'].includes(err.code) ? 2 : 1;
      return;
    }
    throw err;
  }
}

export function formatStatus(s: RelayStatusReport): string {
  const state = s.commanded === 'connected' ? 'CONNECTED' : s.commanded === 'isolated' ? 'ISOLATED' : 'UNKNOWN';
  const lines = [
    `relay     ${state}${s.tripped ? ' (tripped, latched)' : ''}`,
    `contact   ${s.contact}${s.mismatch ? '  ** MISMATCH with the command **' : ''}`,
    `driver    ${s.target}`,
    `heartbeat every ${s.heartbeat.periodMs} ms, ${s.heartbeat.beats} sent, ${s.heartbeat.failures} failed${s.watchdogTripped === true ? ', external watchdog TRIPPED' : ''}`,
  ];
  if (s.keyswitch !== null || s.requireKeyswitch) lines.push(`key-switch ${s.keyswitch === null ? 'not readable' : s.keyswitch ? 'restore position' : 'locked'}${s.requireKeyswitch ? ' (required for restore)' : ''}`);
  if (s.trip !== null) {
    lines.push(`trip      ${new Date(s.trip.at).toISOString()} ${s.trip.cause} by ${s.trip.actor ?? 'otgate'}${s.trip.reason ? `: ${s.trip.reason}` : ''}`);
    lines.push('          restore with: otgate relay restore --reason "…"');
  }
  return `${lines.join('\n')}\n`;
}
