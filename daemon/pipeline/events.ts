/** Helpers shared by every inspector to build DecisionEvents and apply the enforcement switch. */
import type { Anomaly } from '../../protocols/common';
import type { Verdict } from '../../rules/verdict';
import type { CompiledConduit, CompiledPolicy } from '../../rules/compiled';
import type { DecisionEvent, FlowContext, ProtocolName } from './contract';

export const endpointText = (e: { ip: string; port: number }): string =>
  e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;

/** Where a flow's conduit and client assets are resolved against the running policy. */
export interface FlowView {
  readonly policy: CompiledPolicy | null;
  readonly conduit: CompiledConduit | null;
  /** True when the gateway must act on denies (proxy + conduit in enforce mode). */
  readonly enforcing: boolean;
}

export function viewOf(ctx: FlowContext, policy: CompiledPolicy | null): FlowView {
  const conduit = policy && ctx.conduit !== null ? policy.conduits.get(ctx.conduit) ?? null : null;
  const enforcing = !ctx.passive && conduit !== null && conduit.mode === 'enforce';
  return { policy, conduit, enforcing };
}

export interface EventParts {
  readonly dir: 'request' | 'response';
  readonly verdict: Verdict | null;
  readonly anomaly: Anomaly | null;
  readonly action: DecisionEvent['action'];
  /**
   * The human line, or a function that builds it: called at once unless the flow says nobody
   * reads summaries (`FlowContext.summaries === false`, the offline audit's JSON and learn
   * paths), in which case the event's summary is ''.
   */
  readonly summary: string | (() => string);
  readonly fields: Readonly<Record<string, unknown>>;
}

/** One DecisionEvent for a PDU or connection-level happening on this flow. */
export function makeEvent(
  ctx: FlowContext,
  proto: ProtocolName,
  ts: number,
  policy: CompiledPolicy | null,
  p: EventParts,
): DecisionEvent {
  const fromClient = p.dir === 'request';
  const c = endpointsOf(ctx, policy);
  const client = c.clientText;
  const server = c.serverText;
  const denied = p.verdict !== null && !p.verdict.allow ? p.verdict : null;
  return {
    ts,
    flow: ctx.flowId,
    conduit: ctx.conduit,
    proto,
    src: fromClient ? client : server,
    dst: fromClient ? server : client,
    clientAsset: c.clientAsset,
    serverAsset: c.serverAsset,
    dir: p.dir,
    verdict: p.verdict === null ? null : p.verdict.allow ? 'allow' : 'deny',
    action: p.action,
    rule: p.verdict?.rule ?? null,
    reason: denied?.reason ?? null,
    anomaly: p.anomaly?.code ?? null,
    technique: denied?.technique ?? p.anomaly?.technique ?? null,
    summary: typeof p.summary === 'string' ? p.summary : ctx.summaries === false ? '' : p.summary(),
    fields: p.fields,
  };
}

/** A flow's endpoint texts and asset names, worked out once per flow (and policy), not per event. */
interface FlowEndpoints {
  readonly client: FlowContext['client'];
  readonly server: FlowContext['server'];
  readonly clientText: string;
  readonly serverText: string;
  readonly policy: CompiledPolicy | null;
  readonly clientAsset: string | null;
  readonly serverAsset: string | null;
}

const endpointCache = new WeakMap<FlowContext, FlowEndpoints>();

function endpointsOf(ctx: FlowContext, policy: CompiledPolicy | null): FlowEndpoints {
  const hit = endpointCache.get(ctx);
  if (hit !== undefined && hit.policy === policy && hit.client === ctx.client && hit.server === ctx.server) return hit;
  const e: FlowEndpoints = {
    client: ctx.client,
    server: ctx.server,
    clientText: endpointText(ctx.client),
    serverText: endpointText(ctx.server),
    policy,
    clientAsset: policy?.assetByAddress(ctx.client.ip)?.name ?? null,
    serverAsset: policy?.assetByAddress(ctx.server.ip)?.name ?? null,
  };
  endpointCache.set(ctx, e);
  return e;
}
