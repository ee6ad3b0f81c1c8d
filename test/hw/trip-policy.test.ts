import { loadPolicyText } from '../../rules/load';
import { compileRelay } from '../../rules/relay';
import { isWriteAttempt, TripPolicy, type TripFacts } from '../../hw/trip-policy';

const facts = (over: Partial<TripFacts> = {}): TripFacts => ({
  conduit: 'hmi-chiller-plc',
  serverAsset: 'chiller-plc',
  dir: 'request',
  verdict: 'deny',
  action: 'refused',
  reason: 'modbus_value_out_of_range',
  anomaly: null,
  summary: 'FC 6 write holding_registers 100 = 600 unit 1',
  fields: { fc: 6 },
  ...over,
});

const deps = {
  isSafetyCritical: (a: string) => a === 'chiller-plc',
  familyOf: (c: string) => (c === 'modbus.mbap_length_too_large' ? 'malformed' : c === 'modbus.unsolicited_response' ? 'state' : null),
};

function policy(trip: unknown[]): TripPolicy {
  return new TripPolicy(compileRelay({ driver: 'sim', trip: trip as never })!.trip, deps);
}

describe('trip policy', () => {
  it('denied_writes: trips on the Nth denied write to a safety-critical asset inside the window', () => {
    const p = policy([{ name: 'chiller-writes', assets: 'safety_critical', denied_writes: { count: 3, within_s: 10 } }]);
    expect(p.evaluate(facts(), 0)).toBeNull();
    expect(p.evaluate(facts(), 1000)).toBeNull();
    const d = p.evaluate(facts(), 2000);
    expect(d).toMatchObject({ rule: 'chiller-writes', trigger: 'denied_writes', cause: 'policy:chiller-writes:denied_writes' });
    expect(d!.detail).toContain('3 denied writes to chiller-plc');
  });

  it('denied_writes: old denials slide out of the window; reads and other assets do not count', () => {
    const p = policy([{ name: 'w', assets: 'safety_critical', denied_writes: { count: 2, within_s: 1 } }]);
    expect(p.evaluate(facts(), 0)).toBeNull();
    expect(p.evaluate(facts(), 1500)).toBeNull(); // the first fell out
    expect(p.evaluate(facts({ fields: { fc: 3 }, reason: 'modbus_address_not_allowed' }), 1600)).toBeNull(); // a read
    expect(p.evaluate(facts({ serverAsset: 'etch-plc' }), 1700)).toBeNull(); // not safety-critical
    expect(p.evaluate(facts(), 1800)).not.toBeNull();
  });

  it('on_violation: isolate trips on the first violation of a listed conduit, never on allowed frames', () => {
    const p = policy([{ name: 'lockdown', conduits: ['hmi-chiller-plc'], on_violation: 'isolate' }]);
    expect(p.evaluate(facts({ verdict: 'allow', reason: null }), 0)).toBeNull();
    expect(p.evaluate(facts({ conduit: 'other' }), 0)).toBeNull();
    expect(p.evaluate(facts(), 0)).toMatchObject({ trigger: 'on_violation' });
  });

  it('anomalies: by code, by prefix and by family', () => {
    const byFamily = policy([{ name: 'f', anomalies: ['malformed'] }]);
    const anomaly = (code: string) => facts({ verdict: null, reason: null, anomaly: code, action: 'closed' });
    expect(byFamily.evaluate(anomaly('modbus.unsolicited_response'), 0)).toBeNull();
    expect(byFamily.evaluate(anomaly('modbus.mbap_length_too_large'), 0)).toMatchObject({ trigger: 'anomaly' });
    const byPrefix = policy([{ name: 'p', anomalies: ['mqtt.*'] }]);
    expect(byPrefix.evaluate(anomaly('modbus.mbap_length_too_large'), 0)).toBeNull();
    expect(byPrefix.evaluate(anomaly('mqtt.packet_too_large'), 0)).not.toBeNull();
    const byCode = policy([{ name: 'c', anomalies: ['modbus.unsolicited_response'] }]);
    expect(byCode.evaluate(anomaly('modbus.unsolicited_response'), 0)).not.toBeNull();
  });

  it('monitor-mode and passive observations trip only rules that say monitor: true', () => {
    const strict = policy([{ name: 's', on_violation: 'isolate' }]);
    expect(strict.evaluate(facts({ action: 'alerted' }), 0)).toBeNull();
    expect(strict.evaluate(facts({ action: 'observed' }), 0)).toBeNull();
    const ids = policy([{ name: 'i', on_violation: 'isolate', monitor: true }]);
    expect(ids.evaluate(facts({ action: 'observed' }), 0)).not.toBeNull();
  });

  it('memory per window stays bounded by count under a flood', () => {
    const p = policy([{ name: 'w', assets: ['chiller-plc'], denied_writes: { count: 5, within_s: 0.001 } }]);
    for (let i = 0; i < 100_000; i++) p.evaluate(facts(), i * 10);
    expect((p as unknown as { windows: Map<string, number[]> }).windows.get('w\0chiller-plc')!.length).toBeLessThanOrEqual(5);
  });

  it('recognises write attempts across protocols', () => {
    expect(isWriteAttempt(facts({ reason: null, fields: { fc: 16 } }))).toBe(true);
    expect(isWriteAttempt(facts({ reason: null, fields: { fc: 3 } }))).toBe(false);
    expect(isWriteAttempt(facts({ reason: null, fields: { service: 'WriteRequest' } }))).toBe(true);
    expect(isWriteAttempt(facts({ reason: null, fields: { cmd: 'publish' } }))).toBe(true);
    expect(isWriteAttempt(facts({ dir: 'response', fields: { fc: 6 } }))).toBe(false);
  });
});

describe('relay section of the policy file', () => {
  const base = `version: 1
site: t
zones:
  - { name: a, level: 2, networks: [10.0.0.0/24] }
  - { name: b, level: 1, networks: [10.0.1.0/24] }
assets:
  - { name: hmi, zone: a, address: 10.0.0.1 }
  - { name: plc, zone: b, address: 10.0.1.1, safety_critical: true }
conduits:
  - { name: c1, from_zone: a, to_zone: b, protocol: modbus, listen: "10.0.0.254:502", upstream: { asset: plc, port: 502 }, rules: [] }
`;

  it('reports unknown names, missing driver settings and a too-short watchdog at their lines', () => {
    const r = loadPolicyText(`${base}relay:
  driver: gpio
  heartbeat_ms: 500
  watchdog_timeout_ms: 600
  trip:
    - { name: t1, conduits: [c9], assets: [plc, pump], on_violation: isolate }
    - { name: t2 }
`, 'p.yaml');
    expect(r.ok).toBe(false);
    const diags = r.ok ? [] : [...r.errors, ...r.warnings];
    const got = diags.map((d) => `${d.code}@${d.line} ${d.message}`);
    expect(got).toEqual(expect.arrayContaining([
      expect.stringMatching(/^policy\.bad_relay@12 driver gpio needs a relay\.gpio block/),
      expect.stringMatching(/^policy\.bad_relay@14 watchdog_timeout_ms \(600\) must be at least twice/),
      expect.stringMatching(/^policy\.bad_relay@16 .*unknown conduit 'c9'/),
      expect.stringMatching(/^policy\.unknown_asset@16 .*unknown asset 'pump'/),
      expect.stringMatching(/^policy\.ineffective@17 trip rule t2/),
    ]));
  });

  it('accepts a valid relay section and rejects unknown keys in it', () => {
    const ok = loadPolicyText(`${base}relay:\n  driver: modbus\n  modbus: { host: 192.0.2.10, coil: 0, feedback_input: 0 }\n  trip: [{ name: t, assets: safety_critical, denied_writes: { count: 3, within_s: 10 } }]\n`, 'p.yaml');
    expect(ok.ok).toBe(true);
    const bad = loadPolicyText(`${base}relay:\n  driver: sim\n  heartbeat: 5\n`, 'p.yaml');
    expect(bad.ok).toBe(false);
  });
});
