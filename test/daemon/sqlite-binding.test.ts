/**
 * The SQLite seam under the audit store: which bindings this runtime has, and that each one it
 * has behaves as the store relies on (audit-store.test.ts runs the store itself through each).
 */
import { AuditStore } from '../../daemon/audit/store';
import {
  betterSqlite3Version, openSqlite, sqliteBinding, usableSqliteBindings, type SqliteBindingName, type SqliteDb,
} from '../../daemon/audit/sqlite';
import { tempDir } from './audit-fixtures';

const [MAJOR = 0, MINOR = 0] = process.version.slice(1).split('.').map(Number);
/** Written out per runtime, not derived from runtime-check.ts: what this file must find here. */
const EXPECTED: SqliteBindingName[] =
  MAJOR === 20 ? ['better-sqlite3']
    : MAJOR === 22 && MINOR < 13 ? ['better-sqlite3']
      : MAJOR === 22 || MAJOR === 23 || (MAJOR === 24 && MINOR < 19) ? ['better-sqlite3', 'node:sqlite']
        : ['node:sqlite']; // Node ≥ 24.19 with better-sqlite3 12 (#1515)

let tmp: ReturnType<typeof tempDir>;
const dbs: SqliteDb[] = [];
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  tmp.remove();
});

describe(`SQLite bindings on Node ${process.version} with better-sqlite3 ${betterSqlite3Version()}`, () => {
  test(`usable here: ${EXPECTED.join(', ')}`, () => {
    expect(usableSqliteBindings()).toEqual(EXPECTED);
  });

  test('the default is better-sqlite3 unless it would abort the process here', () => {
    const choice = sqliteBinding();
    expect(choice.binding).toBe(EXPECTED.includes('better-sqlite3') ? 'better-sqlite3' : 'node:sqlite');
    expect(choice.reason).toMatch(choice.binding === 'node:sqlite' ? /^node:sqlite .*better-sqlite3#1515/ : /^better-sqlite3 .* \(default\)$/);
  });

  test('node:sqlite loads exactly where it is listed as usable', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const load = () => require('node:sqlite') as { DatabaseSync: unknown };
    if (EXPECTED.includes('node:sqlite')) {
      expect(typeof load().DatabaseSync).toBe('function');
    } else {
      expect(load).toThrow();
      expect(() => openSqlite(tmp.file('a.db'), { binding: 'node:sqlite' })).toThrow(/node:sqlite is not available/);
    }
  });

  test('better-sqlite3 opens exactly where it is listed as usable', () => {
    if (EXPECTED.includes('better-sqlite3')) {
      const db = openSqlite(tmp.file('a.db'), { binding: 'better-sqlite3' });
      dbs.push(db);
      expect(db.binding).toBe('better-sqlite3');
    } else {
      // Refused before its addon is loaded: a GC'd statement would abort this worker.
      expect(() => openSqlite(tmp.file('a.db'), { binding: 'better-sqlite3' })).toThrow(/better-sqlite3#1515/);
    }
  });

  test('the store names its binding once at open, at info level', () => {
    const infos: [string, Record<string, unknown> | undefined][] = [];
    const log = { info: (m: string, meta?: Record<string, unknown>) => infos.push([m, meta]), warn: () => 0, error: () => 0 };
    AuditStore.open(tmp.file('audit.db'), { log, flushIntervalMs: 3_600_000 }).close();
    const { binding, reason } = sqliteBinding();
    expect(infos).toEqual([[`audit store ${tmp.file('audit.db')}: SQLite via ${reason}`, { binding }]]);
  });
});

describe.each(usableSqliteBindings())('%s, as the store uses it', (binding) => {
  function db(name = 'a.db', readonly = false): SqliteDb {
    const d = openSqlite(tmp.file(name), { readonly, binding });
    dbs.push(d);
    return d;
  }
  const count = (d: SqliteDb) => (d.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n;

  test('run, get, all: ids, changes, integer and real columns, no row', () => {
    const d = db();
    expect(d.binding).toBe(binding);
    d.exec('CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, n INTEGER, r REAL, s TEXT); CREATE INDEX t_n ON t (n)');
    const ins = d.prepare('INSERT INTO t (n, r, s) VALUES (?, ?, ?)');
    expect(ins.run(7, 1.25, 'a')).toEqual({ changes: 1, lastInsertRowid: 1 });
    expect(ins.run(8, null, null)).toEqual({ changes: 1, lastInsertRowid: 2 });
    expect({ ...(d.prepare('SELECT n, r, s, typeof(n) AS tn FROM t WHERE id = ?').get(1) as object) }).toEqual({ n: 7, r: 1.25, s: 'a', tn: 'integer' });
    expect(d.prepare('SELECT 1 FROM t WHERE id = ?').get(99)).toBeUndefined();
    expect(d.prepare('SELECT id FROM t ORDER BY id').all().map((r) => (r as { id: number }).id)).toEqual([1, 2]);
    expect(d.prepare('UPDATE t SET n = n + 1').run().changes).toBe(2);
    expect(d.prepare('SELECT sum(n) AS s FROM t').get()).toEqual({ s: 17 });
  });

  test("better-sqlite3's binding rules: undefined is NULL, booleans are refused", () => {
    const d = db();
    d.exec('CREATE TABLE t (a)');
    const ins = d.prepare('INSERT INTO t (a) VALUES (?)');
    const refused = 'SQLite3 can only bind numbers, strings, bigints, buffers, and null';
    expect(() => ins.run(true as unknown as number)).toThrow(refused);
    expect(() => ins.run({} as unknown as number)).toThrow(); // an object is named parameters to better-sqlite3: none here
    ins.run(undefined as unknown as null);
    ins.run(Buffer.from([1, 2]));
    ins.run(2n ** 60n);
    expect(d.prepare('SELECT typeof(a) AS t FROM t ORDER BY rowid').all().map((r) => (r as { t: string }).t)).toEqual(['null', 'blob', 'integer']);
  });

  test('a transaction commits, or rolls back and rethrows', () => {
    const d = db();
    d.exec('CREATE TABLE t (a INTEGER UNIQUE)');
    const ins = d.prepare('INSERT INTO t (a) VALUES (?)');
    expect(d.transaction(() => (ins.run(1), ins.run(2), 'done'))).toBe('done');
    expect(() => d.transaction(() => {
      ins.run(3);
      ins.run(1); // UNIQUE violation: the whole batch goes
    })).toThrow(/UNIQUE/);
    expect(count(d)).toBe(2);
    // Nested: the inner failure rolls back only the inner part.
    d.transaction(() => {
      ins.run(4);
      expect(() => d.transaction(() => (ins.run(5), ins.run(4)))).toThrow(/UNIQUE/);
    });
    expect(d.prepare('SELECT a FROM t ORDER BY a').all().map((r) => (r as { a: number }).a)).toEqual([1, 2, 4]);
    expect(() => d.transaction(() => Promise.resolve(ins.run(6)))).toThrow(/cannot return a promise/);
    expect(count(d)).toBe(3);
    d.exec('INSERT INTO t (a) VALUES (7)'); // autocommit again: no transaction left open
    expect(count(db('a.db', true))).toBe(4);
  });

  test("'immediate' takes the write lock at BEGIN; the busy timeout is 5 s from the start", () => {
    const w = db();
    expect(w.pragma('busy_timeout')).toEqual([{ timeout: 5000 }]);
    w.pragma('journal_mode = WAL');
    w.exec('CREATE TABLE t (a)');
    const other = db();
    other.pragma('busy_timeout = 0');
    w.transaction(() => {
      expect(() => other.transaction(() => 0, 'immediate')).toThrow(/locked|busy/i);
      expect(other.transaction(() => count(other))).toBe(0); // a deferred reader still reads
    }, 'immediate');
    expect(other.transaction(() => other.prepare('INSERT INTO t VALUES (1)').run().changes, 'immediate')).toBe(1);
  });

  test('read-only: a missing file fails, writes fail, reads see committed WAL rows', () => {
    expect(() => openSqlite(tmp.file('missing.db'), { readonly: true, binding })).toThrow();
    const w = db();
    w.pragma('journal_mode = WAL');
    w.exec('CREATE TABLE t (a); INSERT INTO t VALUES (1)');
    const r = db('a.db', true);
    expect(count(r)).toBe(1);
    expect(() => r.exec('INSERT INTO t VALUES (2)')).toThrow(/readonly/);
    w.exec('INSERT INTO t VALUES (3)');
    expect(count(r)).toBe(2);
  });

  test('close is idempotent and reported by open', () => {
    const d = db();
    expect(d.open).toBe(true);
    d.close();
    d.close();
    expect(d.open).toBe(false);
  });
});
