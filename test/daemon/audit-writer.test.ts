/**
 * The audit store's writer thread (daemon/audit/writer.ts, writer-worker.ts), through every
 * SQLite binding this runtime can use: rows land in arrival order through the worker's own
 * connection while the store's connection inserts nothing, flush() returns only once they are
 * committed, a rolled-back batch goes back to the queue, the worker's connection checkpoints
 * the WAL, and a dead worker hands writing back to the store without losing or doubling a row.
 * The failure case also runs without the worker (the store's own connection), the same contract.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { AuditStore } from '../../daemon/audit/store';
import { openSqlite, usableSqliteBindings, type SqliteBindingName } from '../../daemon/audit/sqlite';
import { eventually } from '../helpers/wait';
import { allowEvent, denyEvent, tempDir } from './audit-fixtures';

const QUIET = { flushIntervalMs: 3_600_000, pruneIntervalMs: 3_600_000 } as const;

interface Internals {
  db: { transaction: unknown; exec(sql: string): void; pragma(t: string): unknown[] };
  inflight: unknown;
}
const internals = (s: AuditStore): Internals => s as unknown as Internals;
/** Nice value and scheduling policy per thread of this process (Linux /proc: fields 19 and 41 of each task's stat). */
const schedByThread = (): Map<number, { nice: number; policy: number }> => {
  const out = new Map<number, { nice: number; policy: number }>();
  for (const t of readdirSync('/proc/self/task')) {
    const st = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' '); // f[0] is field 3
    out.set(Number(t), { nice: Number(f[16]), policy: Number(f[38]) });
  }
  return out;
};
const SCHED_OTHER = 0;
const SCHED_IDLE = 5;
const autocheckpoint = (s: AuditStore): number => Object.values(internals(s).db.pragma('wal_autocheckpoint')[0] as Record<string, number>)[0]!;

describe.each(usableSqliteBindings())('%s', (binding: SqliteBindingName) => {
  let tmp: ReturnType<typeof tempDir>;
  let store: AuditStore | null = null;
  let file: string;
  const errors: string[] = [];
  const log = { warn: (m: string) => void errors.push(`warn ${m}`), error: (m: string) => void errors.push(`error ${m}`) };
  const open = (opts: Parameters<typeof AuditStore.open>[1] = {}): AuditStore => (store = AuditStore.open(file, { ...QUIET, binding, log, writeInWorker: true, ...opts }));
  /** Summaries as another connection sees them: what is committed, in id order. */
  const committed = (): string[] => {
    const db = openSqlite(file, { readonly: true, binding });
    try {
      return (db.prepare('SELECT summary FROM events ORDER BY id').all() as { summary: string }[]).map((r) => r.summary);
    } finally {
      db.close();
    }
  };
  const ev = (i: number) => (i % 3 === 0 ? denyEvent(i, { summary: `row ${i}` }) : allowEvent(i, { summary: `row ${i}` }));
  const rows = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => `row ${from + k}`);

  beforeEach(() => {
    tmp = tempDir();
    file = tmp.file('audit.db');
    errors.length = 0;
  });
  afterEach(() => {
    store?.close();
    store = null;
    tmp.remove();
  });

  test('flush() returns once the worker committed; arrival order holds; the store connection inserts nothing', () => {
    const s = open();
    internals(s).db.transaction = () => {
      throw new Error('the store connection wrote');
    };
    expect(s.writer).toBeNull(); // nothing written yet: no thread
    for (let i = 0; i < 1000; i++) s.enqueue(ev(i));
    s.flush();
    expect(committed()).toEqual(rows(0, 1000));
    expect(s.writer!.commits).toBe(1);
    expect(s.counts()).toMatchObject({ rows: 1000, denied: 334, queued: 0, written: 1000, flushErrors: 0 });
    expect(autocheckpoint(s)).toBe(0);
    expect(errors).toEqual([]);
  });

  test('the writer thread runs at SCHED_IDLE and nice 19; the forwarding thread keeps its own', async () => {
    const before = schedByThread();
    const infos: string[] = [];
    const s = open({ log: { ...log, info: (m: string) => void infos.push(m) } });
    s.enqueue(ev(0));
    s.flush(); // the writer starts with the first write
    await eventually(() => s.writer!.priority === 'idle', 10_000);
    s.enqueue(ev(1));
    s.flush(); // a commit after chrt ran: the store says where the writer runs
    const after = schedByThread();
    const fresh = [...after].filter(([tid]) => !before.has(tid)).map(([, v]) => v);
    // the writer: one new thread at nice 19 and SCHED_IDLE (V8's and libuv's threads start with the process)
    expect(fresh.filter((v) => v.nice === 19 && v.policy === SCHED_IDLE).length).toBe(1);
    expect(after.get(process.pid)).toEqual({ nice: before.get(process.pid)!.nice, policy: SCHED_OTHER });
    expect(infos).toContain('audit store: writer thread runs at SCHED_IDLE');
    expect(errors).toEqual([]);
  });

  test('in the background: batches of batchSize, one after another, without a flush() call', async () => {
    const s = open({ flushIntervalMs: 20, batchSize: 50 });
    for (let i = 0; i < 520; i++) s.enqueue(ev(i));
    await eventually(() => committed().length === 520, 10_000);
    expect(committed()).toEqual(rows(0, 520));
    expect(s.writer!.commits).toBeGreaterThanOrEqual(11); // 520 rows, ≤ 50 per batch
    expect(s.counts().transactions).toBe(s.writer!.commits);
  });

  test("the worker's connection checkpoints the WAL into the database file", async () => {
    const s = open();
    s.enqueue(ev(0));
    s.flush();
    const before = statSync(file).size;
    for (let i = 1; i < 16_001; i++) s.enqueue(ev(i)); // > 1,000 WAL pages: SQLite's threshold
    s.flush();
    await eventually(() => statSync(file).size > before + 500_000, 10_000);
    expect(autocheckpoint(s)).toBe(0); // the store's own connection still never checkpoints
  });

  test('a dead worker hands writing back to the store: a batch in flight is neither lost nor written twice', async () => {
    const s = open({ batchSize: 3000 });
    s.enqueue(ev(0));
    s.flush();
    for (let i = 1; i < 3001; i++) s.enqueue(ev(i)); // the size threshold posts it on the next turn
    await new Promise((r) => setImmediate(r));
    const w = s.writer!;
    expect(internals(s).inflight).not.toBeNull(); // (counts() would flush, i.e. wait for it)
    await w.worker.terminate(); // committed or not: the worker's record decides
    await eventually(() => s.writer === null, 5000);
    expect(autocheckpoint(s)).toBe(1000);
    for (let i = 3001; i < 3101; i++) s.enqueue(ev(i));
    s.flush();
    expect(committed()).toEqual(rows(0, 3101));
    expect(errors.some((e) => e.startsWith('warn audit store: writer thread stopped'))).toBe(true);
  });

  describe.each([true, false])('writeInWorker %s', (inWorker) => {
    test('a rolled-back write keeps its rows queued, in order, and they land once the cause is gone', () => {
      const s = open({ writeInWorker: inWorker });
      s.enqueue(ev(0));
      s.flush();
      internals(s).db.exec("CREATE TRIGGER no_rows BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk says no'); END");
      for (let i = 1; i < 11; i++) s.enqueue(ev(i));
      s.flush();
      expect(s.counts()).toMatchObject({ rows: 1, queued: 10, written: 1 });
      s.enqueue(ev(11));
      s.flush(); // fails again: logged once
      expect(s.counts().flushErrors).toBeGreaterThanOrEqual(2);
      expect(errors.filter((e) => e.includes('disk says no'))).toHaveLength(1);
      internals(s).db.exec('DROP TRIGGER no_rows');
      s.flush();
      expect(committed()).toEqual(rows(0, 12));
      expect(s.counts()).toMatchObject({ queued: 0, written: 12 });
    });
  });
});
