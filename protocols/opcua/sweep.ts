/**
 * Discovery-sweep detection for one OPC UA connection, pure (time is passed in).
 *
 * One refused Browse is an operator's typo; dozens in a minute, or a client asking for the
 * endpoints again and again, is someone mapping the server (ATT&CK for ICS T0846 / T0861 /
 * T0888). The caller classifies each request (discovery: GetEndpoints / FindServers, OPC 10000-4
 * §5.4; browse: Browse / BrowseNext / TranslateBrowsePathsToNodeIds / RegisterNodes / Read,
 * §5.8 and §5.10.2; server_info: Read of the Server object) and says whether policy denied it.
 *
 * Each kind counts in a fixed window that opens at its first counted request; crossing a limit
 * yields one anomaly for that window (never one per frame). Memory is bounded: at most
 * `maxDeniedNodes + 1` NodeIds are held per kind.
 */
import { anomaly, type Anomaly } from '../common';
import { OpcuaAnomalies } from './anomalies';

export type SweepKind = 'discovery' | 'browse' | 'server_info';

export interface SweepLimits {
  /** Window length (ms). */
  readonly windowMs: number;
  /** GetEndpoints / FindServers requests (allowed or denied) per window; more is a sweep. 0 = off. */
  readonly maxDiscovery: number;
  /** Denied browse / read (or Server-object read) requests per window; more is a sweep. 0 = off. */
  readonly maxDenied: number;
  /** Distinct NodeIds named by denied browse / read requests per window; more is a sweep. 0 = off. */
  readonly maxDeniedNodes: number;
}

export const DEFAULT_SWEEP_LIMITS: SweepLimits = Object.freeze({ windowMs: 60_000, maxDiscovery: 5, maxDenied: 10, maxDeniedNodes: 32 });

interface Window {
  start: number;
  requests: number;
  readonly nodes: Set<string>;
  fired: boolean;
}

const SPEC = { discovery: OpcuaAnomalies.discovery_sweep, browse: OpcuaAnomalies.browse_sweep, server_info: OpcuaAnomalies.server_info_sweep } as const;
const WHAT = { discovery: 'GetEndpoints/FindServers requests', browse: 'denied Browse/Read requests', server_info: 'denied Reads of Server object nodes' } as const;

export class SweepDetector {
  private readonly windows = new Map<SweepKind, Window>();

  constructor(private readonly limits: SweepLimits = DEFAULT_SWEEP_LIMITS) {}

  /**
   * Account for one request. Returns the sweep anomaly when this request crosses a limit, once
   * per kind and window; null otherwise. Discovery counts every request, the others only denied ones.
   */
  note(kind: SweepKind, denied: boolean, nodeIds: readonly string[], now: number): Anomaly | null {
    if (kind !== 'discovery' && !denied) return null;
    const lim = this.limits;
    let w = this.windows.get(kind);
    if (w === undefined || now - w.start >= lim.windowMs || now < w.start) {
      w = { start: now, requests: 0, nodes: new Set(), fired: false };
      this.windows.set(kind, w);
    }
    if (w.fired) return null;
    w.requests++;
    if (kind === 'discovery') {
      if (lim.maxDiscovery === 0 || w.requests <= lim.maxDiscovery) return null;
      return this.fire(kind, w, `${w.requests} ${WHAT[kind]} within ${seconds(lim.windowMs)} (limit ${lim.maxDiscovery})`);
    }
    if (lim.maxDeniedNodes > 0) {
      for (const n of nodeIds) {
        if (w.nodes.size > lim.maxDeniedNodes) break;
        w.nodes.add(n);
      }
    }
    const byRequests = lim.maxDenied > 0 && w.requests > lim.maxDenied;
    const byNodes = lim.maxDeniedNodes > 0 && w.nodes.size > lim.maxDeniedNodes;
    if (!byRequests && !byNodes) return null;
    const nodes = w.nodes.size > lim.maxDeniedNodes ? `over ${lim.maxDeniedNodes}` : String(w.nodes.size);
    return this.fire(kind, w, `${w.requests} ${WHAT[kind]} naming ${nodes} distinct NodeIds within ${seconds(lim.windowMs)} (limits ${lim.maxDenied} requests, ${lim.maxDeniedNodes} NodeIds)`);
  }

  private fire(kind: SweepKind, w: Window, detail: string): Anomaly {
    w.fired = true;
    w.nodes.clear();
    return anomaly(SPEC[kind], detail);
  }
}

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10} s`;
