/**
 * Composition root of the gateway daemon: policy → proxy listeners → pipeline env → audit
 * store, logs, metrics. `otgate run` and `otgate demo` both start exactly this.
 */
import type net from 'node:net';
import type { Logger } from 'winston';
import { AuditStore, trafficFlowOf } from './audit/store';
import { parseSiemTarget, SiemForwarder } from './audit/siem';
import { startMetricsServer } from './metrics-server';
import type { FirewallHooks } from './firewall';
import path from 'node:path';
import { ControlServer } from './control/server';
import { registerRelayOps } from './control/relay-ops';
import { RelayManager } from './relay-manager';
import { createNotifier, type Notifier } from './sd-notify';
import { stateDir } from './paths';
import { GatewayEnv } from './gateway-env';
import { logDecision } from './log';
import { loadAndCompile, PolicyHolder, type LoadOutcome } from './policy-holder';
import { ProxyServer } from './proxy/proxy-server';
import { countFrame, countReload } from './stats';

export interface AppOptions {
  readonly policyFile: string;
  readonly dbFile: string;
  readonly logger: Logger;
  /** SIEM target, e.g. "udp://127.0.0.1:514" or "tcp://siem.plant:6514". */
  readonly siem?: string;
  /** Prometheus text endpoint, "host:port" (e.g. "127.0.0.1:9464"). */
  readonly metrics?: string;
  /** Opt-in: load the policy's nftables ruleset at start and on every accepted reload. */
  readonly firewall?: FirewallHooks;
  /** Management socket path (relay status/isolate/restore); null: none. */
  readonly controlSocket?: string | null;
  /** Where the relay latch lives (survives restarts). */
  readonly stateDir?: string;
}

export class PolicyLoadError extends Error {
  constructor(readonly outcome: Extract<LoadOutcome, { ok: false }>) {
    super(outcome.errors.map((e) => `${e.file}:${e.line}:${e.col}: ${e.severity} ${e.code}: ${e.message}`).join('\n'));
  }
}

export class App {
  private constructor(
    readonly holder: PolicyHolder,
    readonly env: GatewayEnv,
    readonly proxy: ProxyServer,
    readonly audit: AuditStore,
    private readonly log: Logger,
    private readonly extras: {
      siem: SiemForwarder | null;
      metrics: net.Server | null;
      firewall: FirewallHooks | null;
      relay: RelayManager | null;
      control: ControlServer | null;
      notify: Notifier;
    },
  ) {}

  static async start(o: AppOptions): Promise<App> {
    const t0 = process.hrtime.bigint();
    const loaded = loadAndCompile(o.policyFile);
    if (!loaded.ok) throw new PolicyLoadError(loaded);
    for (const w of loaded.warnings) o.logger.warn(`${w.file}:${w.line}:${w.col}: warning ${w.code}: ${w.message}`);
    const holder = new PolicyHolder(loaded.policy, o.policyFile);
    // Writes in the writer thread: a commit on this thread held every connection for ~40 µs +
    // ~9 µs a row (BENCHMARKS.md, fourth and sixth rounds).
    const audit = AuditStore.open(o.dbFile, { log: o.logger, writeInWorker: true });
    audit.setPolicyHash(loaded.policy.hash);
    const env = new GatewayEnv(holder, countFrame, (ctx) => audit.trafficCounter(trafficFlowOf(ctx, holder.policy)));
    env.onDecision((e) => audit.enqueue(e));
    env.onDecision((e) => logDecision(o.logger, e));
    const siem = o.siem ? new SiemForwarder(parseSiemTarget(o.siem)) : null;
    if (siem) env.onDecision((e) => siem.send(e));
    const metrics = o.metrics ? await startMetricsServer(o.metrics, o.logger) : null;
    const proxy = new ProxyServer(env, {
      onListening: (c, a) => o.logger.info(`conduit ${c} listening on ${a.address}:${a.port}`, { conduit: c, port: a.port }),
      onListenError: (c, err) => o.logger.error(`conduit ${c} cannot listen: ${err.message}`, { conduit: c }),
      onInternalError: (err, c) => o.logger.error(`internal error on conduit ${c}: ${err instanceof Error ? err.stack : String(err)}`),
    });
    // The relay is taken over before traffic flows: a latched trip keeps OT isolated.
    const relay = loaded.policy.relay
      ? await RelayManager.fromPolicy(loaded.policy.relay, {
          latchFile: path.join(o.stateDir ?? stateDir(), 'relay-latch.json'),
          audit,
          policy: () => holder.policy,
          log: o.logger,
          onIsolation: o.firewall
            ? (isolated) => void o.firewall!.onIsolation(isolated).catch((err: unknown) => o.logger.error(`island mode not ${isolated ? 'set' : 'cleared'}: ${String(err)}`))
            : undefined,
        })
      : null;
    if (relay) env.onViolation((e, at) => relay.violation(e, at));
    const control = o.controlSocket ? new ControlServer({ socket: o.controlSocket, log: o.logger }) : null;
    if (control) {
      registerRelayOps(control, () => relay);
      await control.start();
    }
    await proxy.apply(loaded.policy);
    await o.firewall?.onPolicy(loaded.policy);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const notify = createNotifier(process.env, { onError: (m) => o.logger.warn(m) });
    notify.ready(`serving ${loaded.policy.conduits.size} conduit(s)`);
    o.logger.info(`otgate serving ${loaded.policy.conduits.size} conduit(s) of ${loaded.policy.site} (policy ${loaded.policy.hash.slice(0, 12)}) in ${ms.toFixed(0)} ms`);
    return new App(holder, env, proxy, audit, o.logger, { siem, metrics, firewall: o.firewall ?? null, relay, control, notify });
  }

  /** SIGHUP: validate + compile first; swap whole or keep the running policy. */
  async reload(): Promise<LoadOutcome> {
    const t0 = process.hrtime.bigint();
    const out = this.holder.reload();
    if (!out.ok) {
      countReload('rejected');
      for (const e of out.errors) this.log.error(`reload rejected: ${e.file}:${e.line}:${e.col}: ${e.code}: ${e.message}`);
      this.log.warn('policy reload rejected; the running policy stays in force');
      return out;
    }
    this.audit.setPolicyHash(out.policy.hash);
    await this.proxy.apply(out.policy);
    if (this.extras.firewall) {
      try {
        await this.extras.firewall.onPolicy(out.policy);
      } catch (err) {
        // The proxy already enforces the new policy; the previous ruleset was rolled back.
        this.log.error(`firewall not updated on reload: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    countReload('applied');
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    this.log.info(`policy reloaded (${out.policy.hash.slice(0, 12)}) in ${ms.toFixed(1)} ms; ${this.proxy.openConnections()} open connection(s) carry on`);
    return out;
  }

  get relay(): RelayManager | null {
    return this.extras.relay;
  }

  address(conduit: string): net.AddressInfo | null {
    return this.proxy.address(conduit);
  }

  async stop(): Promise<void> {
    this.extras.notify.stopping();
    await this.proxy.close();
    await this.extras.control?.stop();
    await this.extras.relay?.stop(); // writes its last audit row: before the store closes
    this.extras.notify.close();
    this.extras.metrics?.close();
    await this.extras.siem?.close();
    this.audit.close(); // flushes what is queued
  }
}
