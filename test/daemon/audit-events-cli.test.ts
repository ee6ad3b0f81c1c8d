import { Command } from 'commander';
import { AuditStore } from '../../daemon/audit/store';
import { eventQueryOf, formatTime, parseSince, readEvents, registerEvents, renderEvents } from '../../daemon/cli/events';
import { defaultDbPath, runDir, stateDir } from '../../daemon/paths';
import { allowEvent, anomalyEvent, denyEvent, T0, tempDir } from './audit-fixtures';

let tmp: ReturnType<typeof tempDir>;
let db: string;

beforeEach(() => {
  tmp = tempDir('otgate-events-');
  db = tmp.file('audit.db');
  const s = AuditStore.open(db, { flushIntervalMs: 3_600_000 });
  s.setPolicyHash('p1');
  s.enqueue(allowEvent(0));
  s.enqueue(denyEvent(1000));
  s.enqueue(anomalyEvent(2000, { conduit: 'eng-plc', clientAsset: null }));
  s.enqueue(allowEvent(3000, { dir: 'response', src: '127.0.10.21:502', dst: '127.0.20.11:50000', summary: 'FC 3 response 10 registers' }));
  s.close();
});
afterEach(() => tmp.remove());

describe('rendering', () => {
  test('a table with time, conduit, client → server, verdict/action, summary, reason/anomaly, technique', () => {
    const out = readEvents({ db, utc: true }, T0 + 10_000);
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^TIME\s+CONDUIT\s+CLIENT → SERVER\s+VERDICT\/ACTION\s+SUMMARY\s+REASON\/ANOMALY\s+TECHNIQUE$/);
    expect(lines[2]).toContain('2025-01-31 08:00:01.000Z');
    expect(lines[2]).toMatch(/hmi-chiller-plc\s+hmi-1 \(127\.0\.20\.11:50000\) → chiller-plc \(127\.0\.10\.21:502\)\s+deny\/refused\s+FC 6 write holding_registers 100 = \[600\] unit 1\s+modbus_value_out_of_range\s+T0836$/);
    expect(lines[3]).toMatch(/eng-plc\s+127\.0\.20\.11:50000 → chiller-plc .*-\/closed\s+MBAP length 65535 > 254\s+modbus\.mbap_length_too_large\s+T0814$/);
    // A response is still shown client → server, marked with ←.
    expect(lines[4]).toMatch(/hmi-1 \(127\.0\.20\.11:50000\) → chiller-plc \(127\.0\.10\.21:502\)\s+allow\/forwarded\s+← FC 3 response/);
    // Columns line up: every row starts its CONDUIT column at the same offset.
    const col = lines[0]!.indexOf('CONDUIT');
    for (const l of lines.slice(1)) expect(l.slice(col - 2, col)).toBe('  ');
  });

  test('--json prints one stored event per line', () => {
    const out = readEvents({ db, json: true, verdict: 'deny' });
    const rows = out.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(rows).toEqual([{ ...denyEvent(1000), id: 2, policyHash: 'p1' }]);
  });

  test('filters and limit reach the store', () => {
    const json = (o: Parameters<typeof readEvents>[0]) => readEvents({ ...o, json: true }, T0 + 3500).trimEnd().split('\n').filter(Boolean).map((l) => JSON.parse(l).ts - T0);
    expect(json({ db, conduit: 'eng-plc' })).toEqual([2000]);
    expect(json({ db, anomalies: true })).toEqual([2000]);
    expect(json({ db, since: '2s' })).toEqual([2000, 3000]);
    expect(json({ db, limit: '2' })).toEqual([2000, 3000]);
    expect(json({ db, since: new Date(T0 + 500).toISOString(), until: new Date(T0 + 2500).toISOString() })).toEqual([1000, 2000]);
    expect(readEvents({ db, proto: 'mqtt' })).toBe('no events\n');
  });

  test('empty list, long summaries cut', () => {
    expect(renderEvents([])).toBe('no events\n');
    const s = AuditStore.open(db, { readonly: true });
    const rows = s.query();
    s.close();
    const long = [{ ...rows[0]!, summary: 'x'.repeat(200) }];
    expect(renderEvents(long, { summaryWidth: 20 })).toContain(`${'x'.repeat(19)}…`);
  });

  test('local time by default', () => {
    const d = new Date(T0);
    expect(formatTime(T0)).toBe(`${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')} ${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}:00.000`);
    expect(formatTime(T0, true)).toBe('2025-01-31 08:00:00.000Z');
  });
});

describe('options', () => {
  test('--since: durations and ISO times; nonsense is an error', () => {
    const now = T0;
    expect(parseSince('10m', now)).toBe(now - 600_000);
    expect(parseSince('2h', now)).toBe(now - 7_200_000);
    expect(parseSince('7d', now)).toBe(now - 7 * 86_400_000);
    expect(parseSince('90s', now)).toBe(now - 90_000);
    expect(parseSince('2025-01-31T08:00:00Z', now)).toBe(T0);
    for (const bad of ['10', 'yesterday', '5y', '']) expect(() => parseSince(bad, now)).toThrow(/bad time/);
  });

  test('bad values are refused before the store is opened', () => {
    expect(() => eventQueryOf({ db, verdict: 'maybe' })).toThrow(/--verdict/);
    expect(() => eventQueryOf({ db, proto: 'dnp3' })).toThrow(/--proto/);
    expect(() => eventQueryOf({ db, limit: '0' })).toThrow(/--limit/);
    expect(() => readEvents({ db: tmp.file('none.db') })).toThrow(/no audit store at/);
  });

  test('default paths follow OTGATE_STATE_DIR / OTGATE_RUN_DIR', () => {
    expect(defaultDbPath({})).toBe('/var/lib/otgate/audit.db');
    expect(defaultDbPath({ OTGATE_STATE_DIR: '/tmp/x' })).toBe('/tmp/x/audit.db');
    expect(stateDir({ OTGATE_STATE_DIR: '' })).toBe('/var/lib/otgate');
    expect(runDir({ OTGATE_RUN_DIR: '/tmp/r' })).toBe('/tmp/r');
  });
});

describe('command', () => {
  test('otgate events --db … --verdict deny --json through commander', async () => {
    const program = new Command().exitOverride();
    registerEvents(program);
    const out: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    try {
      await program.parseAsync(['node', 'otgate', 'events', '--db', db, '--verdict', 'deny', '--json']);
    } finally {
      spy.mockRestore();
    }
    expect(out.join('').trimEnd().split('\n').map((l) => JSON.parse(l).reason)).toEqual(['modbus_value_out_of_range']);
  });
});
