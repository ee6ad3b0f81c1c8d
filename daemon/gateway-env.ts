/**
 * The daemon's PipelineEnv: where inspectors read the running policy and send their decisions
 * (audit store, log, SIEM, live listeners, relay trip policy). Everything here is cheap and
 * non-blocking: audit writes are queued and batched by the store.
 */
import type { DecisionEvent, FlowContext, PipelineEnv, ProtocolName } from './pipeline/contract';
import type { PolicyHolder } from './policy-holder';

export type DecisionListener = (event: DecisionEvent) => void;
export type ViolationListener = (event: DecisionEvent, arrivedAt: bigint) => void;
export type FlowCounter = (service: string, verdict: 'allow' | 'deny', ts?: number) => void;
export type FrameCounter = (proto: ProtocolName, outcome: 'allow' | 'deny' | 'anomaly', dir: 'request' | 'response') => void;

export class GatewayEnv implements PipelineEnv {
  private readonly listeners: DecisionListener[] = [];
  private readonly violationListeners: ViolationListener[] = [];
  private sampleCounter = 0;

  constructor(
    private readonly holder: PolicyHolder,
    private readonly counter: FrameCounter,
    private readonly flows: (ctx: FlowContext) => FlowCounter,
  ) {}

  /** Per-flow counters of allowed/denied traffic by service (audit evidence without a row per frame). */
  flowCounter(ctx: FlowContext): FlowCounter {
    return this.flows(ctx);
  }

  onDecision(l: DecisionListener): void {
    this.listeners.push(l);
  }

  onViolation(l: ViolationListener): void {
    this.violationListeners.push(l);
  }

  policy() {
    return this.holder.policy;
  }

  now(): number {
    return Date.now();
  }

  hrnow(): bigint {
    return process.hrtime.bigint();
  }

  record(event: DecisionEvent): void {
    for (const l of this.listeners) l(event);
  }

  sampleAllowed(): boolean {
    const a = this.holder.policy.audit;
    if (a.allowed === 'all') return true;
    if (a.allowed === 'none') return false;
    this.sampleCounter = (this.sampleCounter + 1) % a.sampleEvery;
    return this.sampleCounter === 0;
  }

  count(proto: ProtocolName, outcome: 'allow' | 'deny' | 'anomaly', dir: 'request' | 'response'): void {
    this.counter(proto, outcome, dir);
  }

  violation(event: DecisionEvent, arrivedAt: bigint): void {
    for (const l of this.violationListeners) l(event, arrivedAt);
  }
}
