/** What `otgate learn` accumulates per asset and per client → server pair (internal model). */
import type { ModbusTable } from '../protocols/modbus/types';
import { iso } from './learn-text';

export class Evidence {
  count = 0;
  first = Infinity;
  last = -Infinity;
  see(ts: number): void {
    this.count++;
    if (ts < this.first) this.first = ts;
    if (ts > this.last) this.last = ts;
  }
  text(): string {
    return `${this.count} seen, first ${iso(this.first)}, last ${iso(this.last)}`;
  }
}

export interface Ranges {
  readonly evidence: Evidence;
  /** "lo-hi" → [lo, hi] */
  readonly items: Map<string, [number, number]>;
  minValue: number;
  maxValue: number;
}

export interface FcStats {
  readonly evidence: Evidence;
  /** table accesses made by this FC: "read:holding_registers" → ranges */
  readonly ranges: Map<string, Ranges>;
}

export interface ModbusPair {
  readonly evidence: Evidence;
  readonly units: Map<number, Evidence>;
  readonly fcs: Map<number, FcStats>;
  readonly subfunctions: Set<number>;
  readonly meiTypes: Set<number>;
}

/** One MQTT client address talking to one broker endpoint. */
export interface MqttPair {
  readonly evidence: Evidence;
  readonly clientIds: Map<string, Evidence>;
  /** topic → evidence of PUBLISHes (and wills) to it */
  readonly publish: Map<string, MqttUse>;
  /** topic filter → evidence of SUBSCRIBEs naming it */
  readonly subscribe: Map<string, MqttUse>;
  /** Distinct topics/filters dropped at the memory cap. */
  overflow: number;
}

export interface MqttUse {
  readonly evidence: Evidence;
  wills: number;
  maxQos: number;
  retained: number;
}

/** One OPC UA client address talking to one server endpoint. */
export interface OpcuaPair {
  readonly evidence: Evidence;
  readonly endpoints: Map<string, Evidence>;
  readonly policies: Set<string>;
  readonly modes: Set<string>;
  readonly identities: Set<string>;
  /** service name (OPC 10000-4, without "Request") → evidence */
  readonly services: Map<string, Evidence>;
  /** "read ns=2;s=X" / "call objectId methodId" → evidence (and numbers written, for writes) */
  readonly nodes: Map<string, Evidence & { min?: number; max?: number }>;
  /** Requests whose body was opaque (signed / encrypted channel). */
  opaque: number;
  overflow: number;
}

export interface OtherPair {
  readonly evidence: Evidence;
  /** e.g. "service ReadRequest" / "topic plant/a" → evidence */
  readonly facts: Map<string, Evidence>;
}

export interface AssetSeen {
  readonly ip: string;
  readonly roles: Set<string>;
}
