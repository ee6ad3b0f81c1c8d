/**
 * Per-flow traffic counters: frames allowed and denied per flow, service and minute, counted on
 * the forwarding path without allocating and written as traffic_counts upserts (store.ts).
 */
import type { CompiledPolicy } from '../../rules/compiled';
import type { FlowContext } from '../pipeline/contract';
import { endpointText } from '../pipeline/events';
import type { CountRow } from './rows';
import type { TrafficFlow } from './types';

/** The counter key of a flow: asset names where the policy knows the endpoints. */
export function trafficFlowOf(ctx: FlowContext, policy: CompiledPolicy | null): TrafficFlow {
  return {
    conduit: ctx.conduit,
    proto: ctx.protocol,
    client: policy?.assetByAddress(ctx.client.ip)?.name ?? ctx.client.ip,
    server: policy?.assetByAddress(ctx.server.ip)?.name ?? endpointText(ctx.server),
  };
}

/** Per-flow counter cells: zero allocation per PDU once a service has been seen this minute. */
export class FlowTally {
  minute = -1;
  dirty = false;
  readonly cells = new Map<string, [allow: number, deny: number]>();
  constructor(readonly flow: TrafficFlow) {}

  /** Moves this minute's counts into `rows` (at most `cap` rows in all) and zeroes the cells. */
  spillInto(rows: CountRow[], cap: number): void {
    const f = this.flow;
    for (const [service, cell] of this.cells) {
      for (let i = 0; i < 2; i++) {
        const n = cell[i]!;
        if (n === 0) continue;
        if (rows.length < cap) rows.push([this.minute, f.conduit ?? '', f.proto, f.client, f.server, service, i === 0 ? 'allow' : 'deny', n]);
        cell[i] = 0;
      }
    }
  }
}
