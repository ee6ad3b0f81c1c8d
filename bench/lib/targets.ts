/**
 * The side-by-side set every forwarding benchmark runs against: the server directly, a plain
 * Node pipe relay, socat, and otgate — all up at once so rounds interleave on the same load.
 */
import { existsSync } from 'node:fs';
import { startChild, startPeer, type Child } from './proc';
import { freePort } from './gateway';
import { Histogram, median, round, summarize, type LatencySummary } from './stats';
import { loadNow } from './machine';
import type { ProxyVariant } from './proxy-variants';

/** otgate-alt: a second daemon with other Node flags (BENCH_OTGATE_ALT_ARGS), side by side. */
/** node-relay-b: a second copy of the Node relay, the A/A control (how far two identical forwarders differ in one run). */
export type TargetName = 'direct' | 'node-relay' | 'node-relay-b' | 'socat' | 'otgate' | 'otgate-alt' | `proxy-${ProxyVariant}`;

export interface Target {
  readonly name: TargetName;
  readonly host: string;
  readonly port: number;
  /** The forwarding process, for CPU-per-transaction accounting (none for direct / socat's forks). */
  readonly pid?: number;
}

export const SOCAT = '/usr/bin/socat';

/**
 * Plain relays in front of `up`: the Node pipe relay, a second copy of it when `hosts.nodeB` is
 * given (the A/A control), and (when installed) socat. `cpus`: pin every relay there
 * (bench/lib/pin.ts; socat's per-connection forks inherit it).
 */
export async function startRelays(up: { host: string; port: number }, hosts: { node: string; nodeB?: string; socat: string }, cpus?: string): Promise<{ targets: Target[]; stop: () => Promise<void> }> {
  const children: Child[] = [];
  const targets: Target[] = [];
  const nodeRelays: [TargetName, string | undefined][] = [['node-relay', hosts.node], ['node-relay-b', hosts.nodeB]];
  for (const [name, host] of nodeRelays) {
    if (host === undefined) continue;
    const relay = await startPeer<{ port: number }>('node-relay', [host, '0', up.host, String(up.port)], { cpus });
    children.push(relay);
    targets.push({ name, host, port: relay.ready.port, pid: relay.pid });
  }
  if (existsSync(SOCAT)) {
    const port = await freePort(hosts.socat);
    const socat = await startChild(SOCAT, ['-d', '-d', `TCP-LISTEN:${port},bind=${hosts.socat},reuseaddr,fork,nodelay,backlog=2048`, `TCP:${up.host}:${up.port},nodelay`], { readyRe: /listening on/, cpus });
    children.push(socat);
    targets.push({ name: 'socat', host: hosts.socat, port });
  }
  return { targets, stop: async () => void (await Promise.all(children.map((c) => c.stop()))) };
}

export interface RoundResult {
  readonly target: TargetName;
  readonly txps: number;
  readonly hist: [number, number][];
  readonly errors: number;
  readonly load: number;
  /** CPU µs the forwarding process spent per transaction (NaN when not measured). */
  readonly cpuUsPerTx: number;
  /** Paced polls that went out late (Modbus paced cases; absent elsewhere). */
  readonly late?: number;
}

export interface TargetFigures {
  readonly target: TargetName;
  readonly latencyUs: LatencySummary;
  /** Median over rounds. */
  readonly txps: number;
  readonly rounds: number;
  readonly errors: number;
  /** Median over rounds of the forwarder's CPU µs per transaction (robust to other load). */
  readonly cpuUsPerTx: number;
  /** Late paced polls over all rounds (Modbus paced cases; 0 elsewhere). */
  readonly late: number;
  /** Latency added over the direct connection (µs): p50 / p99 / p99.9 differences. */
  readonly addedUs: { p50: number; p99: number; p999: number } | null;
}

/**
 * Run `rounds` rounds; in each, every target once, in an order rotated per round (so no target
 * always runs first after a quiet spell). Histograms merge across rounds; tx/s is the median.
 * `perRound` keeps every round's own result (in round order) for the spread of per-round ratios.
 */
export async function interleave(
  targets: readonly Target[],
  rounds: number,
  runOne: (t: Target) => Promise<Omit<RoundResult, 'target' | 'load'>>,
): Promise<{ figures: TargetFigures[]; loads: number[]; perRound: ReadonlyMap<TargetName, readonly RoundResult[]> }> {
  const per = new Map<TargetName, RoundResult[]>();
  const loads: number[] = [];
  for (let r = 0; r < rounds; r++) {
    loads.push(loadNow());
    for (let i = 0; i < targets.length; i++) {
      const t = targets[(i + r) % targets.length]!;
      const res = await runOne(t);
      const list = per.get(t.name) ?? [];
      list.push({ ...res, target: t.name, load: loadNow() });
      per.set(t.name, list);
    }
  }
  return { figures: figuresOf(targets, per), loads, perRound: per };
}

/** Each target's figures from its rounds: histograms merged, medians of tx/s and CPU/tx, latency added over direct. */
export function figuresOf(targets: readonly Target[], per: ReadonlyMap<TargetName, readonly RoundResult[]>): TargetFigures[] {
  const figs = targets.map((t) => {
    const list = per.get(t.name) ?? [];
    const h = new Histogram();
    for (const x of list) h.merge(x.hist);
    const s = summarize(h);
    return {
      target: t.name,
      latencyUs: { n: s.n, p50: round(s.p50), p99: round(s.p99), p999: round(s.p999) },
      txps: Math.round(median(list.map((x) => x.txps))),
      rounds: list.length,
      errors: list.reduce((a, x) => a + x.errors, 0),
      late: list.reduce((a, x) => a + (x.late ?? 0), 0),
      cpuUsPerTx: round(median(list.map((x) => x.cpuUsPerTx)), 2),
      addedUs: null,
    } as TargetFigures;
  });
  const direct = figs.find((f) => f.target === 'direct');
  return figs.map((f) =>
    direct && f.target !== 'direct'
      ? {
          ...f,
          addedUs: {
            p50: round(f.latencyUs.p50 - direct.latencyUs.p50),
            p99: round(f.latencyUs.p99 - direct.latencyUs.p99),
            p999: round(f.latencyUs.p999 - direct.latencyUs.p999),
          },
        }
      : f,
  );
}
