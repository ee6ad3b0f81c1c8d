/** `otgate run`: the gateway daemon. */
import type { Command } from 'commander';
import { App, PolicyLoadError } from '../app';
import { createFirewallHooks } from '../firewall';
import { scheduleIdleGc } from '../idle-gc';
import { createLogger } from '../log';
import { defaultSocketPath } from '../control/client';
import { defaultDbPath } from '../paths';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run the gateway: one listener per conduit, every message checked against the policy')
    .requiredOption('-p, --policy <file>', 'policy file (YAML)')
    .option('--db <file>', 'audit store (SQLite)', defaultDbPath())
    .option('--log-level <level>', 'error | warn | info | debug', 'info')
    .option('--siem <url>', 'also send decisions to a SIEM as RFC 5424 syslog: udp://host:port or tcp://host:port')
    .option('--metrics <host:port>', 'serve Prometheus metrics at http://host:port/metrics')
    .option('--socket <path>', 'management socket (relay status/isolate/restore)', defaultSocketPath())
    .option('--firewall', 'load the nftables ruleset generated from the policy at start and on reload (root / CAP_NET_ADMIN)')
    .action(async (o: { policy: string; db: string; logLevel: string; siem?: string; metrics?: string; firewall?: boolean; socket: string }) => {
      const logger = createLogger({ level: o.logLevel as 'info' });
      let app: App;
      try {
        app = await App.start({
          policyFile: o.policy, dbFile: o.db, logger, siem: o.siem, metrics: o.metrics, controlSocket: o.socket,
          firewall: o.firewall ? createFirewallHooks({ log: (m) => logger.info(m) }) : undefined,
        });
      } catch (err) {
        if (err instanceof PolicyLoadError) {
          process.stderr.write(`${err.message}\notgate: policy rejected, not starting\n`);
          process.exit(2);
        }
        throw err;
      }
      let stopping = false;
      const stop = (sig: string) => {
        if (stopping) return;
        stopping = true;
        logger.info(`${sig}: stopping`);
        void app.stop().then(() => process.exit(0));
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
      // Start-up and reloads leave V8's young generation grown; give it back once idle (idle-gc.ts).
      let idleGc = scheduleIdleGc(() => app.proxy.openConnections() === 0);
      process.on('SIGHUP', () => void app.reload().then(() => {
        idleGc.cancel();
        idleGc = scheduleIdleGc(() => app.proxy.openConnections() === 0);
      }));
    });
}
