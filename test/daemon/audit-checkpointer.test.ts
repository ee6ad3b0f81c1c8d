/**
 * WAL checkpoints in a worker thread (daemon/audit/checkpointer.ts), through every SQLite
 * binding this runtime can use: the store's own connection never checkpoints (its commits only
 * append to the WAL), the worker's connection copies the WAL into the database file, and when
 * the worker dies the store checkpoints for itself again.
 */
import { statSync } from 'node:fs';
import { AuditStore } from '../../daemon/audit/store';
import { usableSqliteBindings } from '../../daemon/audit/sqlite';
import { eventually } from '../helpers/wait';
import { allowEvent, tempDir } from './audit-fixtures';

const QUIET = { flushIntervalMs: 3_600_000, pruneIntervalMs: 3_600_000 } as const;

/** The store's own connection's setting (the SqliteDb the store holds). */
const autocheckpoint = (s: AuditStore): number => {
  const db = (s as unknown as { db: { pragma(t: string): unknown[] } }).db;
  return Object.values(db.pragma('wal_autocheckpoint')[0] as Record<string, number>)[0]!;
};

describe.each(usableSqliteBindings())('%s', (binding) => {
  let tmp: ReturnType<typeof tempDir>;
  let store: AuditStore | null = null;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => {
    store?.close();
    store = null;
    tmp.remove();
  });

  const fill = (s: AuditStore, rows: number): void => {
    for (let i = 0; i < rows; i++) s.enqueue(allowEvent(i));
    s.flush();
  };

  test('the worker starts with the first commit, copies the WAL into the database file; the store only appends', async () => {
    const file = tmp.file('audit.db');
    store = AuditStore.open(file, { ...QUIET, binding, checkpointInWorker: true });
    expect(store.checkpointer).toBeNull(); // nothing written, nothing to checkpoint: no thread yet
    fill(store, 1);
    expect(autocheckpoint(store)).toBe(0);
    const before = statSync(file).size;
    const runs0 = store.checkpointer!.runs;
    fill(store, 4000); // ~1,000 WAL pages: SQLite's own threshold, had the store kept it
    await eventually(() => store!.checkpointer!.runs >= runs0 + 2, 10_000);
    await eventually(() => statSync(file).size > before + 500_000, 10_000);
    expect(store.checkpointer!.fellBack).toBe(false);
  });

  test('without the worker and with automatic checkpoints off, the file would not grow (the test above can fail)', async () => {
    const file = tmp.file('audit.db');
    store = AuditStore.open(file, { ...QUIET, binding });
    (store as unknown as { db: { pragma(t: string): unknown } }).db.pragma('wal_autocheckpoint = 0');
    const before = statSync(file).size;
    fill(store, 4000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(statSync(file).size).toBe(before);
  });

  test('a dead worker hands checkpoints back to the store', async () => {
    store = AuditStore.open(tmp.file('audit.db'), { ...QUIET, binding, checkpointInWorker: true });
    fill(store, 1);
    expect(autocheckpoint(store)).toBe(0);
    await store.checkpointer!.worker.terminate();
    await eventually(() => store!.checkpointer!.fellBack, 5000);
    expect(autocheckpoint(store)).toBe(1000);
    fill(store, 100); // still writes
    expect(store.query({}).length).toBe(101);
  });
});
