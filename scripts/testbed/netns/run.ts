/**
 * `node dist/scripts/testbed/netns/run.js`: build the namespace plant, run the attack replay,
 * tear everything down (also on Ctrl-C). Exit 0 when every scenario passed or is pending,
 * 1 on a failure, 3 when this machine cannot run it (not root, no `ip netns`, no nft).
 */
import { runReplay } from '../attack-replay';
import { netnsAvailable, NetnsPlant } from './plant';
import { startNetnsTestbed, type NetnsTestbed } from './testbed';

async function main(): Promise<number> {
  const can = netnsAvailable();
  if (!can.ok) {
    process.stdout.write(`testbed skipped: ${can.reason}\n`);
    return 3;
  }
  const out = (l: string) => process.stdout.write(`${l}\n`);
  const t0 = Date.now();
  let tb: NetnsTestbed | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    out(`${sig}: tearing down`);
    void (tb?.stop() ?? Promise.resolve()).then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    tb = await startNetnsTestbed({ log: out });
    for (const p of tb.pending) out(`pending protocol: ${p}`);
    out(`testbed up in ${Date.now() - t0} ms`);
    const results = await runReplay(tb.transport, out);
    return results.some((r) => r.status === 'fail') ? 1 : 0;
  } finally {
    const prefix = tb?.plant.prefix;
    await tb?.stop();
    if (prefix) out(`torn down; namespaces left: ${NetnsPlant.remaining(prefix).length}; total ${Date.now() - t0} ms`);
  }
}

main().then((code) => process.exit(code), (err: Error) => {
  process.stderr.write(`testbed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
