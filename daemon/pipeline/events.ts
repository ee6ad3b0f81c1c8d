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
   * The human line, or a function that builds it on first read (the offline audit's JSON path
   * never reads it). A lazy summary reads the frame when first asked: a consumer that keeps the
   * event past `record()` while the frame's bytes may be reused (live libpcap capture) reads it
   * at once.
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
  const client = endpointText(ctx.client);
  const server = endpointText(ctx.server);
  const denied = p.verdict !== null && !p.verdict.allow ? p.verdict : null;
  const ev: { -readonly [K in keyof DecisionEvent]: DecisionEvent[K] } = {
    ts,
    flow: ctx.flowId,
    conduit: ctx.conduit,
    proto,
    src: fromClient ? client : server,
    dst: fromClient ? server : client,
    clientAsset: policy?.assetByAddress(ctx.client.ip)?.name ?? null,
    serverAsset: policy?.assetByAddress(ctx.server.ip)?.name ?? null,
    dir: p.dir,
    verdict: p.verdict === null ? null : p.verdict.allow ? 'allow' : 'deny',
    action: p.action,
    rule: p.verdict?.rule ?? null,
    reason: denied?.reason ?? null,
    anomaly: p.anomaly?.code ?? null,
    technique: denied?.technique ?? p.anomaly?.technique ?? null,
    summary: '',
    fields: p.fields,
  };
  const summary = p.summary;
  if (typeof summary === 'string') {
    ev.summary = summary;
    return ev;
  }
  // An enumerable own getter: spreads and JSON.stringify still see the text.
  let text: string | null = null;
  return Object.defineProperty(ev, 'summary', { get: () => (text ??= summary()), enumerable: true });
}
