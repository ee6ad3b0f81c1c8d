/** The store's behaviour, run through every SQLite binding this runtime can use (see sqlite-binding.test.ts). */
import { AuditStore, isViolation, trafficFlowOf } from '../../daemon/audit/store';
import { openSqlite, usableSqliteBindings, type SqliteBindingName } from '../../daemon/audit/sqlite';
import { migrate, MIGRATIONS, SCHEMA_VERSION } from '../../daemon/audit/migrations';
import { metricValue } from '../../daemon/stats';
import { eventually } from '../helpers/wait';
import { allowEvent, anomalyEvent, denyEvent, T0, tempDir } from './audit-fixtures';

const QUIET = { flushIntervalMs: 3_600_000, pruneIntervalMs: 3_600_000 } as const;

let tmp: ReturnType<typeof tempDir>;
let binding: SqliteBindingName;
const open: AuditStore[] = [];
function store(name = 'audit.db', opts: Parameters<typeof AuditStore.open>[1] = {}): AuditStore {
  const s = AuditStore.open(tmp.file(name), { ...QUIET, binding, ...opts });
  open.push(s);
  return s;
}
function raw(name: string, readonly = false) {
  return openSqlite(tmp.file(name), { readonly, binding });
}
/** Rows as another connection sees them: what is committed, not what is queued. */
function committed(name = 'audit.db'): number {
  const db = raw(name, true);
  try {
    return (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => {
  for (const s of open.splice(0)) s.close();
  tmp.remove();
});

describe.each(usableSqliteBindings())('%s', (b) => {
  beforeAll(() => {
    binding = b;
  });

  describe('round trip', () => {
    test('every column comes back as enqueued, with the policy hash in force', () => {
      const s = store();
      s.setPolicyHash('a'.repeat(64));
      const d = denyEvent(1, { fields: { fc: 6, values: [600], nested: { big: 10n } } });
      const a = allowEvent(2);
      s.enqueue(d);
      s.enqueue(a);
      expect(committed()).toBe(0);
      s.flush();
      expect(committed()).toBe(2);
      const rows = s.query();
      expect(rows).toHaveLength(2);
      expect(rows[0]).toEqual({ ...d, fields: { fc: 6, values: [600], nested: { big: '10' } }, id: rows[0]!.id, policyHash: 'a'.repeat(64) });
      expect(rows[1]).toEqual({ ...a, id: rows[1]!.id, policyHash: 'a'.repeat(64) });
    });

    test('query filters: verdict, conduit, proto, anomaly, since/until, newest N oldest first', () => {
      const s = store();
      for (let i = 0; i < 20; i++) s.enqueue(allowEvent(i * 1000));
      s.enqueue(denyEvent(25_000, { conduit: 'eng-plc' }));
      s.enqueue(anomalyEvent(26_000, { proto: 'mqtt' }));
      expect(s.query({ verdict: 'deny' }).map((r) => r.conduit)).toEqual(['eng-plc']);
      expect(s.query({ conduit: 'eng-plc' })).toHaveLength(1);
      expect(s.query({ proto: 'mqtt' }).map((r) => r.anomaly)).toEqual(['modbus.mbap_length_too_large']);
      expect(s.query({ anomalyOnly: true })).toHaveLength(1);
      expect(s.query({ since: T0 + 5000, until: T0 + 8000 }).map((r) => r.ts - T0)).toEqual([5000, 6000, 7000]);
      expect(s.query({ verdict: 'allow', limit: 3 }).map((r) => r.ts - T0)).toEqual([17000, 18000, 19000]);
      expect(s.query({ limit: 1000 })).toHaveLength(22);
    });

    test('a policy change applies to events queued after it, not before', () => {
      const s = store();
      s.setPolicyHash('old');
      s.enqueue(denyEvent(1));
      s.setPolicyHash('new');
      s.enqueue(denyEvent(2));
      expect(s.query().map((r) => r.policyHash)).toEqual(['old', 'new']);
    });

    test('deny, anomaly and enforcement rows count as violations; forwarded/observed allows do not', () => {
      expect(isViolation(denyEvent())).toBe(true);
      expect(isViolation(anomalyEvent())).toBe(true);
      expect(isViolation(allowEvent(0, { verdict: null, action: 'closed' }))).toBe(true);
      expect(isViolation(allowEvent())).toBe(false);
      expect(isViolation(allowEvent(0, { verdict: null, action: 'observed' }))).toBe(false);
    });

    test('the file is in WAL mode', () => {
      store().close();
      const db = raw('audit.db', true);
      expect(db.pragma('journal_mode')).toEqual([{ journal_mode: 'wal' }]);
      db.close();
    });
  });

  describe('batching', () => {
    test('many enqueues, one explicit flush: one transaction', () => {
      const s = store('audit.db', { batchSize: 100_000, maxQueue: 100_000 });
      for (let i = 0; i < 5000; i++) s.enqueue(i % 10 === 0 ? denyEvent(i) : allowEvent(i));
      expect(s.counts().transactions).toBe(1); // counts() itself flushes: that is the one
      expect(s.counts().written).toBe(5000);
      expect(committed()).toBe(5000);
    });

    test('the size threshold writes on later ticks, batchSize rows per transaction, off the enqueue call', async () => {
      const s = store('audit.db', { batchSize: 250, maxQueue: 10_000 });
      for (let i = 0; i < 1000; i++) s.enqueue(allowEvent(i));
      expect(committed()).toBe(0); // nothing written inside enqueue
      await new Promise((r) => setImmediate(r));
      expect(committed()).toBe(250); // one bounded transaction, then a yield
      await eventually(() => committed() === 1000);
      const c = s.counts();
      expect(c.transactions).toBe(4);
      expect(c.written).toBe(1000);
      expect(s.query({ limit: 2000 }).map((r) => r.ts - T0)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    });

    test('the timer flushes without any caller', async () => {
      const s = store('audit.db', { flushIntervalMs: 10 });
      s.enqueue(denyEvent(1));
      s.enqueue(allowEvent(2));
      await eventually(() => committed() === 2);
      expect(s.counts().transactions).toBe(1);
    });

    test('arrival order survives the two-queue split, also across partial batches', async () => {
      const s = store('audit.db', { batchSize: 7 });
      const evs = Array.from({ length: 50 }, (_, i) => (i % 3 === 0 ? denyEvent(0, { flow: `n${i}` }) : allowEvent(0, { flow: `n${i}` })));
      for (const e of evs) s.enqueue(e);
      await eventually(() => committed() === 50);
      expect(s.counts().transactions).toBe(8);
      expect(s.query({ limit: 100 }).map((r) => r.flow)).toEqual(evs.map((e) => e.flow));
    });
  });

  describe('queue full', () => {
    test('allowed rows go first; a violation is dropped only when the queue is all violations', async () => {
      const warns: string[] = [];
      const log = { warn: (m: string) => warns.push(m), error: (m: string) => warns.push(m) };
      const before = await metricValue('otgate_audit_queue_dropped_total', { kind: 'violation' });
      const s = store('audit.db', { maxQueue: 10, batchSize: 1000, log });
      for (let i = 0; i < 10; i++) s.enqueue(allowEvent(i));
      s.enqueue(allowEvent(10)); // full: the incoming allowed row is dropped
      for (let i = 0; i < 10; i++) s.enqueue(denyEvent(100 + i)); // each evicts a queued allowed row
      s.enqueue(anomalyEvent(200)); // full of violations: dropped
      s.enqueue(denyEvent(201)); // dropped
      s.enqueue(allowEvent(202)); // dropped
      const c = s.counts();
      expect(c.dropped).toEqual({ allowed: 12, violation: 2 });
      expect(c.rows).toBe(10);
      expect(c.denied).toBe(10);
      expect(s.query({ limit: 100 }).map((r) => r.ts - T0)).toEqual(Array.from({ length: 10 }, (_, i) => 100 + i));
      expect(await metricValue('otgate_audit_queue_dropped_total', { kind: 'violation' })).toBe(before + 2);
      expect(warns).toEqual([]); // logged by the writer, not on the data path
      s.close();
      expect(warns.join('\n')).toMatch(/2 deny\/anomaly row\(s\) dropped/);
    });
  });

  describe('background writes', () => {
    test('events and traffic counters go in transactions of at most batchSize rows, all of them in the end', async () => {
      let now = T0;
      const s = store('audit.db', { batchSize: 4, flushIntervalMs: 5, now: () => now });
      for (let f = 0; f < 10; f++) s.trafficCounter({ conduit: 'c', proto: 'modbus', client: `hmi-${f}`, server: 'plc' })('fc3', 'allow', T0);
      for (let i = 0; i < 3; i++) s.enqueue(denyEvent(i));
      now = T0 + 2000; // past the counters' once-a-second spill
      // Watched through another connection: counts() and trafficCounts() flush (one commit for all).
      const counterRows = (): number => {
        const db = raw('audit.db', true);
        try {
          return (db.prepare('SELECT count(*) AS n FROM traffic_counts').get() as { n: number }).n;
        } finally {
          db.close();
        }
      };
      await eventually(() => committed() === 3 && counterRows() === 10, 5000);
      expect(s.counts().transactions).toBe(4); // 3 events + 10 counter rows in commits of ≤ 4 rows
      expect(s.trafficCounts()).toHaveLength(10);
    });
  });

  describe('which ticks write', () => {
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

    test('a few allowed rows wait for the slow tick; a violation goes soon and takes them along', async () => {
      const s = store('audit.db', { flushIntervalMs: 5, allowedWaitMs: 400 });
      const t0 = Date.now();
      s.enqueue(allowEvent(1));
      s.enqueue(allowEvent(2));
      await sleep(60); // a dozen flushIntervalMs
      expect(committed()).toBe(0);
      await eventually(() => committed() === 2, 2000);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(350); // the slow tick wrote them, not a 5 ms one
      s.enqueue(allowEvent(3));
      s.enqueue(denyEvent(4));
      await eventually(() => committed() === 4, 300); // well before the next slow tick
      expect(s.query({ limit: 10 }).map((r) => r.ts - T0)).toEqual([1, 2, 3, 4]);
      expect(s.counts().transactions).toBe(2);
    });

    test('32 allowed rows go soon without waiting for the slow tick', async () => {
      const s = store('audit.db', { flushIntervalMs: 5, allowedWaitMs: 3_600_000 });
      for (let i = 0; i < 31; i++) s.enqueue(allowEvent(i));
      await sleep(60);
      expect(committed()).toBe(0);
      s.enqueue(allowEvent(31));
      await eventually(() => committed() === 32);
    });

    test('with the writer thread, a violation that came while a batch was in flight goes soon after it', async () => {
      const s = store('audit.db', { flushIntervalMs: 5, allowedWaitMs: 3_600_000, writeInWorker: true });
      s.enqueue(denyEvent(1));
      await sleep(15); // its write started the writer thread: the batch is in flight for a while
      s.enqueue(denyEvent(2)); // its timer fires while that batch is in flight, and writes nothing
      await eventually(() => committed() === 2);
    });
  });

  describe('retention', () => {
    test('max age removes old rows in small batches, counters and relay events too', () => {
      const now = T0 + 10 * 86_400_000;
      const s = store('audit.db', { maxAgeDays: 2, maxRows: 0, pruneBatch: 7, now: () => now });
      for (let i = 0; i < 30; i++) s.enqueue(denyEvent(i)); // 10 days old
      for (let i = 0; i < 5; i++) s.enqueue(denyEvent(9 * 86_400_000 + i)); // 1 day old
      const tally = s.trafficCounter({ conduit: 'c', proto: 'modbus', client: 'hmi-1', server: 'plc' });
      tally('fc3', 'allow', T0);
      tally('fc3', 'allow', now);
      s.recordRelayEvent({ ts: T0, kind: 'trip' });
      s.recordRelayEvent({ ts: now, kind: 'reset' });
      s.flush();
      const steps: number[] = [];
      for (let n = s.prune(); n > 0; n = s.prune()) steps.push(n);
      expect(steps.length).toBeGreaterThan(1);
      expect(steps.every((n) => n <= 3 * 7)).toBe(true);
      expect(steps.reduce((a, b) => a + b, 0)).toBe(30 + 1 + 1);
      expect(s.query({ limit: 100 }).map((r) => r.ts - T0)).toEqual(Array.from({ length: 5 }, (_, i) => 9 * 86_400_000 + i));
      expect(s.trafficCounts().map((r) => r.minute)).toEqual([Math.floor(now / 60_000) * 60_000]);
      expect(s.relayEvents().map((r) => r.kind)).toEqual(['reset']);
    });

    test('max rows keeps the newest rows', () => {
      const s = store('audit.db', { maxRows: 50, maxAgeDays: 0, pruneBatch: 20 });
      for (let i = 0; i < 120; i++) s.enqueue(allowEvent(i));
      s.flush();
      while (s.prune() > 0);
      const rows = s.query({ limit: 1000 });
      expect(rows).toHaveLength(50);
      expect(rows[0]!.ts - T0).toBe(70);
    });

    test('the background pruner gets there by itself', async () => {
      const s = store('audit.db', { maxRows: 10, maxAgeDays: 0, pruneBatch: 5, pruneIntervalMs: 10 });
      for (let i = 0; i < 40; i++) s.enqueue(allowEvent(i));
      s.flush();
      await eventually(() => committed() === 10);
    });
  });

  describe('migrations', () => {
    test('applied once, idempotent on reopen, data kept', () => {
      const m = raw('m.db');
      expect(migrate(m)).toEqual(MIGRATIONS.map((v) => v.version));
      expect(migrate(m)).toEqual([]);
      m.close();
      const s1 = store('m.db');
      s1.enqueue(denyEvent(1));
      s1.close();
      const s2 = store('m.db');
      expect(s2.query()).toHaveLength(1);
      s2.close();
      const db = raw('m.db', true);
      const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[];
      expect(versions.map((v) => v.version)).toEqual(MIGRATIONS.map((m) => m.version));
      expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
      const idx = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'").all() as { name: string }[];
      expect(idx.map((i) => i.name)).toEqual(expect.arrayContaining(['events_ts', 'events_verdict_ts', 'events_conduit_ts']));
      db.close();
    });

    test('a file from a newer otgate is refused', () => {
      store('n.db').close();
      const db = raw('n.db');
      db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(SCHEMA_VERSION + 1, 'future', 0);
      db.close();
      expect(() => AuditStore.open(tmp.file('n.db'), { ...QUIET, binding })).toThrow(/newer than this otgate/);
      expect(() => AuditStore.open(tmp.file('n.db'), { readonly: true, binding })).toThrow(/newer/);
    });

    test('read-only open refuses a file that is not an audit store', () => {
      const x = raw('x.db');
      x.exec('CREATE TABLE t (a)');
      x.close();
      expect(() => AuditStore.open(tmp.file('x.db'), { readonly: true, binding })).toThrow(/not an otgate audit store/);
      expect(() => AuditStore.open(tmp.file('missing.db'), { readonly: true, binding })).toThrow();
    });
  });

  describe('traffic counters', () => {
    test('per flow, service, verdict and minute; repeated keys add up', () => {
      const s = store();
      const flow = { conduit: 'hmi-chiller-plc', proto: 'modbus' as const, client: 'hmi-1', server: 'chiller-plc' };
      const a = s.trafficCounter(flow);
      const b = s.trafficCounter(flow); // a second connection of the same pair
      for (let i = 0; i < 1000; i++) a('fc3', 'allow', T0 + i);
      a('fc16', 'deny', T0 + 5);
      b('fc3', 'allow', T0 + 7);
      a('fc3', 'allow', T0 + 60_000); // next minute: the previous one spills
      s.flush();
      b('fc3', 'allow', T0 + 60_001); // after a flush, the same row grows
      const rows = s.trafficCounts();
      expect(rows).toEqual([
        { minute: T0, conduit: 'hmi-chiller-plc', proto: 'modbus', client: 'hmi-1', server: 'chiller-plc', service: 'fc16', verdict: 'deny', frames: 1 },
        { minute: T0, conduit: 'hmi-chiller-plc', proto: 'modbus', client: 'hmi-1', server: 'chiller-plc', service: 'fc3', verdict: 'allow', frames: 1001 },
        { minute: T0 + 60_000, conduit: 'hmi-chiller-plc', proto: 'modbus', client: 'hmi-1', server: 'chiller-plc', service: 'fc3', verdict: 'allow', frames: 2 },
      ]);
      expect(s.trafficCounts({ verdict: 'deny' })).toHaveLength(1);
      expect(s.counts().rows).toBe(0); // counters are not rows
    });

    test('trafficFlowOf keys by asset name when the policy knows the address, else the address', () => {
      const ctx = { flowId: 'f', conduit: null, protocol: 'mqtt' as const, client: { ip: '::1', port: 4000 }, server: { ip: '::1', port: 1883 }, passive: false };
      expect(trafficFlowOf(ctx, null)).toEqual({ conduit: null, proto: 'mqtt', client: '::1', server: '[::1]:1883' });
    });
  });

  describe('relay events', () => {
    test('insert and query, with detail JSON and kind filter', () => {
      const s = store();
      const id = s.recordRelayEvent({
        ts: T0, kind: 'trip', cause: 'violation', actor: 'trip-policy', reason: 'modbus_value_out_of_range',
        triggerTs: T0 - 0.25, commandTs: T0, confirmedTs: T0 + 12.5, state: 'isolated', detail: { flow: 'f1', rule: 'r' },
      });
      s.recordRelayEvent({ ts: T0 + 1000, kind: 'reset', actor: 'operator' });
      expect(id).toBeGreaterThan(0);
      expect(s.relayEvents({ kind: 'trip' })).toEqual([{
        id, ts: T0, kind: 'trip', cause: 'violation', actor: 'trip-policy', reason: 'modbus_value_out_of_range',
        triggerTs: T0 - 0.25, commandTs: T0, confirmedTs: T0 + 12.5, state: 'isolated', detail: { flow: 'f1', rule: 'r' },
      }]);
      expect(s.relayEvents().map((r) => [r.kind, r.cause, r.detail])).toEqual([['trip', 'violation', { flow: 'f1', rule: 'r' }], ['reset', null, null]]);
      expect(s.relayEvents({ since: T0 + 1 })).toHaveLength(1);
    });
  });

  describe('read-only', () => {
    test('reads while a writer has the file open; never writes', () => {
      const w = store();
      w.enqueue(denyEvent(1));
      w.flush();
      const r = store('audit.db', { readonly: true });
      expect(r.query()).toHaveLength(1);
      r.enqueue(denyEvent(2));
      r.flush();
      expect(() => r.recordRelayEvent({ ts: T0, kind: 'trip' })).toThrow(/read-only/);
      w.enqueue(denyEvent(3));
      w.flush();
      expect(r.query().map((e) => e.ts - T0)).toEqual([1, 3]);
    });

    test('close is idempotent and enqueue after close is a no-op', () => {
      const s = store();
      s.enqueue(denyEvent(1));
      s.close();
      s.close();
      expect(() => s.enqueue(denyEvent(2))).not.toThrow();
      expect(committed()).toBe(1);
    });
  });
});
