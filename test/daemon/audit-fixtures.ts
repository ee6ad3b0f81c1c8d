/** Decision events and temp dirs for the audit, SIEM and events-command tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DecisionEvent } from '../../daemon/pipeline/contract';

export const T0 = Date.UTC(2025, 0, 31, 8, 0, 0);

export function allowEvent(i = 0, over: Partial<DecisionEvent> = {}): DecisionEvent {
  return {
    ts: T0 + i,
    flow: `f${i % 7}`,
    conduit: 'hmi-chiller-plc',
    proto: 'modbus',
    src: '127.0.20.11:50000',
    dst: '127.0.10.21:502',
    clientAsset: 'hmi-1',
    serverAsset: 'chiller-plc',
    dir: 'request',
    verdict: 'allow',
    action: 'forwarded',
    rule: 'hmi-reads',
    reason: null,
    anomaly: null,
    technique: null,
    summary: `FC 3 read holding_registers ${i}..${i + 9} unit 1`,
    fields: { fc: 3, unit: 1, address: i, quantity: 10 },
    ...over,
  };
}

export function denyEvent(i = 0, over: Partial<DecisionEvent> = {}): DecisionEvent {
  return allowEvent(i, {
    verdict: 'deny',
    action: 'refused',
    rule: null,
    reason: 'modbus_value_out_of_range',
    technique: 'T0836',
    summary: `FC 6 write holding_registers 100 = [600] unit 1`,
    fields: { fc: 6, unit: 1, address: 100, values: [600] },
    ...over,
  });
}

export function anomalyEvent(i = 0, over: Partial<DecisionEvent> = {}): DecisionEvent {
  return allowEvent(i, {
    verdict: null,
    action: 'closed',
    rule: null,
    anomaly: 'modbus.mbap_length_too_large',
    technique: 'T0814',
    summary: 'MBAP length 65535 > 254',
    fields: {},
    ...over,
  });
}

export function tempDir(prefix = 'otgate-audit-'): { dir: string; file: (name: string) => string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, file: (n) => path.join(dir, n), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
