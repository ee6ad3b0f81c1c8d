/**
 * The Modbus TCP inspector: framer → decoder → transaction pairing → policy → act.
 *
 * Allowed frames are forwarded as views of the bytes they arrived in: consecutive allowed
 * frames in one chunk go out as one write, untouched. A denied request never reaches the
 * device: in enforce mode it is answered with a Modbus exception (MB-AP §7; code per the
 * conduit's mapping) or the connection is closed (`on_violation: close`). Malformed requests
 * close the client's connection; responses are forwarded (availability first) and audited,
 * except unsolicited ones, which are dropped in enforce mode.
 */
import type { Direction } from '../../protocols/common';
import {
  decodeModbusAdu,
  encodeException,
  fields as modbusFields,
  summarize,
  ModbusTransactions,
  MODBUS_MAX_ADU,
  ModbusAnomalies,
} from '../../protocols/modbus';
import { wellFormedResponseSize } from '../../protocols/modbus/decode';
import { frameAdu } from '../../protocols/modbus/mbap';
import type { ModbusRequest, ModbusResponse } from '../../protocols/modbus/types';
import { allowBasis, evaluateModbus } from '../../rules/matchers/modbus';
import type { ClientRules } from '../../rules/compiled';
import type { Verdict } from '../../rules/verdict';
import type { ActionSink, DecisionEvent, FlowContext, InspectorFactory, PipelineEnv, ProtocolInspector } from './contract';
import { makeEvent, viewOf, type FlowView } from './events';
import { AllowedRepeats } from './modbus-repeats';
import type { Anomaly } from '../../protocols/common';

const DEFAULT_PENDING = 16;
/** Pre-built counter keys ("fc3") so the hot path builds no strings. */
const FC_SERVICE: readonly string[] = Array.from({ length: 128 }, (_, fc) => `fc${fc}`);
const DEFAULT_TIMEOUT_MS = 5000;
/** Sampled requests waiting for their response before their events are recorded anyway. */
const SAMPLED_WAITING_MAX = 32;

export const createModbusInspector: InspectorFactory = (ctx, env, sink) => new ModbusInspector(ctx, env, sink);

class ModbusInspector implements ProtocolInspector {
  /**
   * Nothing read from a chunk outlives feed(): carried bytes are copied, frames keep numbers
   * (values are decoded into arrays; `data` views are only measured by describe.ts, never
   * read), and forwarded views are the sink's to copy.
   */
  readonly borrowsChunks = true;
  private readonly carry: { c2s: Buffer | null; s2c: Buffer | null } = { c2s: null, s2c: null };
  private readonly tx: ModbusTransactions;
  private closed = false;
  /** Allowed/denied counts per function code for this flow's evidence (no row per frame). */
  private readonly tally: ((service: string, verdict: 'allow' | 'deny', ts?: number) => void) | null;
  /** The flow's view of the running policy, rebuilt only when a reload swapped the policy. */
  private view: FlowView;
  private maxAdu: number;
  /** This client's rules on the conduit (a lookup by address in the frozen policy), per view. */
  private rules: ClientRules | null;
  /** Allowed requests this master repeats (polls): no decode or rule walk for a repeat. */
  private readonly repeats = new AllowedRepeats();
  /**
   * Sampled allowed requests waiting for their event, recorded once the device's answer has been
   * forwarded (the end of the next response chunk), or at the next tick when no answer comes, or
   * once SAMPLED_WAITING_MAX wait: the evidence is the same, but building an event (fields,
   * summary, listeners) is paid after the transaction, not inside it. With `sample_every: 100`
   * those are 1 % of requests, i.e. what the p99 measures. Any other event records them first
   * (record()), so the evidence keeps arrival order.
   */
  private readonly sampled: { readonly view: FlowView; readonly verdict: Verdict; readonly req: ModbusRequest }[] = [];

  constructor(
    private readonly ctx: FlowContext,
    private readonly env: PipelineEnv,
    private readonly sink: ActionSink,
  ) {
    this.tally = ctx.passive ? null : env.flowCounter?.(ctx) ?? null;
    this.view = viewOf(ctx, env.policy());
    this.maxAdu = maxAduOf(this.view);
    this.rules = this.view.conduit?.rulesFor(ctx.client.ip) ?? null;
    const conduit = this.view.conduit;
    this.tx = new ModbusTransactions(
      conduit?.limits.maxPendingRequests ?? DEFAULT_PENDING,
      conduit?.limits.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS,
    );
  }

  feed(dir: Direction, chunk: Buffer): void {
    if (this.closed) return;
    this.inspect(dir, chunk);
    if (this.sampled.length > 0 && (dir === 's2c' || this.sampled.length >= SAMPLED_WAITING_MAX)) this.recordSampled();
  }

  private recordSampled(): void {
    for (const { view, verdict, req } of this.sampled) this.env.record(this.event(view, 'request', verdict, null, 'forwarded', req));
    this.sampled.length = 0;
  }

  /** Every other event: sampled requests decided before it are recorded first (arrival order). */
  private record(ev: DecisionEvent): void {
    if (this.sampled.length > 0) this.recordSampled();
    this.env.record(ev);
  }

  private inspect(dir: Direction, chunk: Buffer): void {
    const prev = this.carry[dir];
    const buf = prev === null ? chunk : Buffer.concat([prev, chunk]);
    this.carry[dir] = null;
    const view = this.currentView();
    const maxAdu = this.maxAdu;
    const kind = dir === 'c2s' ? 'request' : 'response';
    let off = 0;
    let pending = 0; // start of the run of allowed bytes not yet forwarded
    // Responses on an inline flow: pair from the header bytes; the frame is only decoded for an
    // anomaly (passive capture records every response, so it keeps the full decode).
    const fast = kind === 'response' && !this.ctx.passive;
    // One clock read per chunk (not per frame, nor again in the traffic counter): frames of
    // one chunk arrived together.
    const now = this.env.now();

    while (off < buf.length) {
      if (fast) {
        const size = wellFormedResponseSize(buf, off, maxAdu);
        if (size > 0) {
          if (!this.onResponseAt(view, dir, buf, pending, off, size, now)) pending = off + size;
          off += size;
          continue;
        }
      }
      if (kind === 'request' && view.policy !== null) {
        const size = frameAdu(buf, off, maxAdu);
        const again = typeof size === 'number' ? this.repeats.find(buf, off, size, now) : null;
        if (again !== null && typeof size === 'number') {
          if (!this.onRequest(view, again.frame, dir, buf, pending, off, now, again.verdict, size)) {
            if (this.closed) return;
            pending = off + size;
          }
          off += size;
          continue;
        }
      }
      const r = decodeModbusAdu(buf, off, kind, maxAdu);
      if (r.kind === 'need') break;
      if (r.kind === 'malformed') {
        const isFatal = r.fatal || kind === 'request';
        const act = view.enforcing && isFatal ? 'closed' : this.ctx.passive ? 'observed' : 'forwarded';
        this.anomalyEvent(view, kind, r.anomaly, act, `malformed ${kind}: ${r.anomaly.detail}`);
        if (view.enforcing && isFatal) {
          this.flush(dir, buf, pending, off);
          this.shut(`modbus anomaly ${r.anomaly.code}`);
          return;
        }
        if (r.fatal) {
          // Monitor / passive: the stream cannot be framed any more; pass the rest through untouched.
          this.flush(dir, buf, pending, buf.length);
          return;
        }
        off += r.consume;
        continue;
      }
      const end = off + r.consumed;
      const frame = r.frame;
      if (frame.kind === 'request') {
        if (!this.onRequest(view, frame, dir, buf, pending, off, now, null, r.consumed)) {
          if (this.closed) return;
          pending = end;
        }
      } else if (!this.onResponse(view, frame, dir, buf, pending, off, now)) {
        pending = end;
      }
      off = end;
    }
    this.flush(dir, buf, pending, off);
    if (off < buf.length) this.carry[dir] = Buffer.from(buf.subarray(off)); // own the bytes, free the chunk
  }

  /**
   * Returns true when the frame stays in the forward run, false when it was taken out of it.
   * `known`: the verdict of a repeated request (AllowedRepeats); else the rules decide, and an
   * allow of the `size`-byte ADU at `off` is remembered.
   */
  private onRequest(view: FlowView, req: ModbusRequest, dir: Direction, buf: Buffer, pending: number, off: number, now: number, known: Verdict | null, size: number): boolean {
    const env = this.env;
    let verdict: Verdict | null = known;
    if (verdict === null && view.policy !== null) {
      verdict = evaluateModbus(this.rules, req, now);
      const basis = verdict.allow && this.rules !== null && this.repeats.worthRemembering(req, size) ? allowBasis(this.rules, req, verdict, now) : null;
      if (basis !== null) this.repeats.remember(buf, off, size, req, basis);
    }

    if (verdict !== null) this.tally?.(FC_SERVICE[req.fc] ?? `fc${req.fc}`, verdict.allow ? 'allow' : 'deny', now);
    if (verdict === null || verdict.allow) {
      env.count('modbus', 'allow', 'request');
      // Only requests that reach the device are tracked; a refused one is not (its tid is not pending).
      const flood = this.tx.onRequest(req, now);
      if (flood !== null && flood.code !== ModbusAnomalies.too_many_pending.code) {
        // e.g. a reused transaction id: odd but not hostile enough to refuse; forward and record.
        this.anomalyEvent(view, 'request', flood, this.ctx.passive ? 'observed' : 'forwarded', summarize(req), req);
        return true;
      }
      if (flood !== null) {
        // Over the pending cap: the device is being flooded. Answer "server busy" (MB-AP §7, code 06).
        if (view.enforcing) {
          this.flush(dir, buf, pending, off);
          this.sink.reply(dir, encodeException(req, 0x06));
          this.anomalyEvent(view, 'request', flood, 'refused', summarize(req), req);
          return false;
        }
        this.anomalyEvent(view, 'request', flood, this.ctx.passive ? 'observed' : 'forwarded', summarize(req), req);
        return true;
      }
      if (this.ctx.passive) this.record(this.event(view, 'request', verdict, null, 'observed', req));
      else if (verdict !== null && env.sampleAllowed()) this.sampled.push({ view, verdict, req }); // recorded after the response (feed)
      return true;
    }

    env.count('modbus', 'deny', 'request');
    if (!view.enforcing) {
      this.tx.onRequest(req, now); // forwarded anyway: its response will come
      const ev = this.event(view, 'request', verdict, null, this.ctx.passive ? 'observed' : 'alerted', req);
      this.record(ev);
      env.violation(ev, env.hrnow());
      return true;
    }
    this.flush(dir, buf, pending, off);
    const close = view.conduit?.onViolation === 'close';
    const ev = this.event(view, 'request', verdict, null, close ? 'closed' : 'refused', req);
    if (close) {
      this.shut(`policy: ${verdict.reason}`);
    } else {
      this.sink.reply(dir, encodeException(req, exceptionFor(view, verdict)));
    }
    this.record(ev);
    env.violation(ev, env.hrnow());
    return false;
  }

  private onResponse(view: FlowView, res: ModbusResponse, dir: Direction, buf: Buffer, pending: number, off: number, now: number): boolean {
    const env = this.env;
    const anomaly = this.tx.pair(res.mbap.tid, res.mbap.unit, res.fc, now);
    if (anomaly === null) {
      env.count('modbus', 'allow', 'response');
      if (this.ctx.passive) this.record(this.event(view, 'response', null, null, 'observed', res));
      return true;
    }
    return this.responseAnomaly(view, res, anomaly, dir, buf, pending, off);
  }

  /**
   * A well-formed response ADU of `size` bytes at `off` (wellFormedResponseSize), paired by its
   * header alone: tid (MBAP bytes 0-1), unit (6), function code (7, without the exception bit).
   */
  private onResponseAt(view: FlowView, dir: Direction, buf: Buffer, pending: number, off: number, size: number, now: number): boolean {
    const env = this.env;
    const anomaly = this.tx.pair((buf[off]! << 8) | buf[off + 1]!, buf[off + 6]!, buf[off + 7]! & 0x7f, now);
    if (anomaly === null) {
      env.count('modbus', 'allow', 'response');
      return true;
    }
    const r = decodeModbusAdu(buf, off, 'response', this.maxAdu);
    if (r.kind !== 'frame' || r.frame.kind !== 'response') throw new Error('modbus: a checked response did not decode'); // an otgate bug
    return this.responseAnomaly(view, r.frame, anomaly, dir, buf, pending, off);
  }

  /** A response that pairs badly (unsolicited, or another FC than its request's). */
  private responseAnomaly(view: FlowView, res: ModbusResponse, anomaly: Anomaly, dir: Direction, buf: Buffer, pending: number, off: number): boolean {
    const env = this.env;
    env.count('modbus', 'anomaly', 'response');
    // Only a response that answers nothing is withheld from the client; a mismatched one is
    // passed on (the client's own checks reject it) so a quirky device never stalls a master.
    const drop = view.enforcing && this.tx.paired === null;
    const ev = this.event(view, 'response', null, anomaly, drop ? 'dropped' : this.ctx.passive ? 'observed' : 'forwarded', res);
    this.record(ev);
    env.violation(ev, env.hrnow());
    if (!drop) return true;
    this.flush(dir, buf, pending, off);
    return false;
  }

  /** viewOf() per chunk allocated an object per frame; the policy object only changes on reload (so do the client's rules). */
  private currentView(): FlowView {
    const policy = this.env.policy();
    if (policy !== this.view.policy) {
      this.repeats.clear();
      this.view = viewOf(this.ctx, policy);
      this.maxAdu = maxAduOf(this.view);
      this.rules = this.view.conduit?.rulesFor(this.ctx.client.ip) ?? null;
    }
    return this.view;
  }

  tick(now: number): void {
    if (this.closed) return;
    if (this.sampled.length > 0) this.recordSampled(); // no answer within a tick: record them now
    const view = this.currentView();
    for (const { request, anomaly } of this.tx.expire(now)) {
      this.env.count('modbus', 'anomaly', 'request');
      this.record(this.event(view, 'request', null, anomaly, this.ctx.passive ? 'observed' : 'forwarded', request));
    }
  }

  end(): void {
    if (this.sampled.length > 0) this.recordSampled();
    this.closed = true;
    this.carry.c2s = null;
    this.carry.s2c = null;
  }

  private flush(dir: Direction, buf: Buffer, from: number, to: number): void {
    if (to > from) this.sink.forward(dir, from === 0 && to === buf.length ? buf : buf.subarray(from, to));
  }

  private shut(reason: string): void {
    this.closed = true;
    this.sink.close(reason);
  }

  private anomalyEvent(view: FlowView, dir: 'request' | 'response', anomaly: Anomaly, action: DecisionEvent['action'], summary: string, frame?: ModbusRequest | ModbusResponse): void {
    this.env.count('modbus', 'anomaly', dir);
    const ev = makeEvent(this.ctx, 'modbus', this.env.now(), view.policy, {
      dir, verdict: null, anomaly, action, summary, fields: frame ? modbusFields(frame) : {},
    });
    this.record(ev);
    this.env.violation(ev, this.env.hrnow());
  }

  private event(view: FlowView, dir: 'request' | 'response', verdict: Verdict | null, anomaly: Anomaly | null, action: DecisionEvent['action'], frame: ModbusRequest | ModbusResponse): DecisionEvent {
    return makeEvent(this.ctx, 'modbus', this.env.now(), view.policy, {
      dir, verdict, anomaly, action, summary: () => summarize(frame), fields: modbusFields(frame),
    });
  }
}

const maxAduOf = (view: FlowView): number => Math.min(MODBUS_MAX_ADU, view.conduit?.limits.maxFrameBytes ?? MODBUS_MAX_ADU);

/** Exception code for a deny, from the conduit's mapping (defaults 01/02/03, MB-AP §7). */
function exceptionFor(view: FlowView, v: Extract<Verdict, { allow: false }>): number {
  const map = view.conduit?.modbus.exceptions ?? { function: 1, address: 2, value: 3 };
  switch (v.reason) {
    case 'modbus_address_not_allowed':
      return map.address;
    case 'modbus_value_out_of_range':
      return map.value;
    default:
      return map.function;
  }
}
