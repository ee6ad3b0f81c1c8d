/**
 * The audit store's SQLite seam: the few calls store.ts and migrations.ts make, over two
 * bindings that run the same SQL with the same results.
 *
 *  - better-sqlite3 (default; Node 20.19+ and 22).
 *  - node:sqlite DatabaseSync, only where better-sqlite3 < 13 would abort the process at a GC
 *    (Node ≥ 24.19, see runtime-check.ts). It is required lazily, so Node 20 never loads it, and
 *    better-sqlite3 is required lazily too, so its addon is never loaded where it is unsafe.
 *
 * What the store relies on and both give: positional `?` parameters only (no named ones),
 * undefined bound as NULL, booleans refused, numbers bound as REAL (column affinity makes INTEGER columns integers), integers read as
 * numbers (not bigint), `get()` → undefined for no row, run() → changes/lastInsertRowid,
 * several statements in one exec(), a read-only open that fails on a missing file, a 5 s busy
 * timeout from the start, and transactions that roll back and rethrow when the function throws
 * (nested ones as savepoints).
 */
import type BetterSqlite3 from 'better-sqlite3';
import {
  betterSqlite3Problem, chooseSqliteBinding, nodeHasSqlite, type SqliteBindingChoice, type SqliteBindingName,
} from './runtime-check';

export type { SqliteBindingChoice, SqliteBindingName } from './runtime-check';

/** The values both bindings bind identically (better-sqlite3 rejects booleans and undefined). */
export type SqlValue = null | number | bigint | string | Uint8Array;

export interface SqliteRunResult {
  readonly changes: number;
  readonly lastInsertRowid: number | bigint;
}

export interface SqliteStatement {
  run(...params: SqlValue[]): SqliteRunResult;
  /** The first row as an object, or undefined. */
  get(...params: SqlValue[]): unknown;
  all(...params: SqlValue[]): unknown[];
}

export interface SqliteDb {
  readonly binding: SqliteBindingName;
  /** False once close() ran. */
  readonly open: boolean;
  exec(sql: string): void;
  prepare(sql: string): SqliteStatement;
  /** The rows of `PRAGMA <text>`. */
  pragma(text: string): unknown[];
  /** fn inside BEGIN [IMMEDIATE] … COMMIT (a savepoint when nested); rollback and rethrow on error. */
  transaction<T>(fn: () => T, mode?: 'deferred' | 'immediate'): T;
  /** Idempotent. */
  close(): void;
}

export interface SqliteOpenOptions {
  /** Open an existing file for reading only (fails when the file is missing). */
  readonly readonly?: boolean;
  /** Default: sqliteBinding().binding. */
  readonly binding?: SqliteBindingName;
}

/** better-sqlite3's own default; node:sqlite's is 0, so it is set explicitly there. */
const BUSY_TIMEOUT_MS = 5000;

let bsVersion: string | undefined;
/** The installed better-sqlite3's version (its package.json; the addon is not loaded). */
export function betterSqlite3Version(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  bsVersion ??= (require('better-sqlite3/package.json') as { version: string }).version;
  return bsVersion;
}

/** The binding the store uses by default in this process, and why. */
export function sqliteBinding(): SqliteBindingChoice {
  return chooseSqliteBinding(process.version, betterSqlite3Version());
}

/** The bindings that can run in this process (better-sqlite3 where it is safe, node:sqlite where Node has it). */
export function usableSqliteBindings(): SqliteBindingName[] {
  const out: SqliteBindingName[] = [];
  if (betterSqlite3Problem(process.version, betterSqlite3Version()) === null) out.push('better-sqlite3');
  if (nodeHasSqlite(process.version)) out.push('node:sqlite');
  return out;
}

export function openSqlite(path: string, o: SqliteOpenOptions = {}): SqliteDb {
  const binding = o.binding ?? sqliteBinding().binding;
  return binding === 'node:sqlite' ? openNodeSqlite(path, o.readonly === true) : openBetterSqlite3(path, o.readonly === true);
}

// ---- better-sqlite3 --------------------------------------------------------------------------

function openBetterSqlite3(path: string, readonly: boolean): SqliteDb {
  const problem = betterSqlite3Problem(process.version, betterSqlite3Version());
  if (problem !== null) throw new Error(`${problem}; open it with node:sqlite instead`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Database = require('better-sqlite3') as typeof BetterSqlite3;
  const db = readonly ? new Database(path, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS }) : new Database(path, { timeout: BUSY_TIMEOUT_MS });
  return {
    binding: 'better-sqlite3',
    get open() {
      return db.open;
    },
    exec: (sql) => void db.exec(sql),
    prepare: (sql) => db.prepare(sql),
    pragma: (text) => db.pragma(text) as unknown[],
    transaction: (fn, mode) => {
      const t = db.transaction(fn);
      return mode === 'immediate' ? t.immediate() : t();
    },
    close: () => void db.close(),
  };
}

// ---- node:sqlite -----------------------------------------------------------------------------

/** The part of node:sqlite used here (@types/node 20 has no types for it). */
interface NodeStatementSync {
  run(...params: SqlValue[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  get(...params: SqlValue[]): unknown;
  all(...params: SqlValue[]): unknown[];
}
interface NodeDatabaseSync {
  /** Node ≥ 22.16 / 24. */
  readonly isTransaction?: boolean;
  exec(sql: string): void;
  prepare(sql: string): NodeStatementSync;
  close(): void;
}
interface NodeSqliteModule {
  DatabaseSync: new (path: string, options?: { readOnly?: boolean }) => NodeDatabaseSync;
}

/**
 * better-sqlite3's rules, so a value binds on Node 24 exactly as on Node 20: undefined is NULL
 * (node:sqlite would throw), a boolean or an object is refused (node:sqlite would bind a boolean).
 */
function checkParams(params: unknown[]): void {
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    const t = typeof p;
    if (p === null || t === 'number' || t === 'string' || t === 'bigint' || ArrayBuffer.isView(p)) continue;
    if (p === undefined) params[i] = null;
    else throw new TypeError('SQLite3 can only bind numbers, strings, bigints, buffers, and null');
  }
}

function nodeStatement(st: NodeStatementSync): SqliteStatement {
  return {
    run(...p) {
      checkParams(p);
      // Without readBigInts, changes is a number.
      return st.run(...p) as SqliteRunResult;
    },
    get(...p) {
      checkParams(p);
      return st.get(...p);
    },
    all(...p) {
      checkParams(p);
      return st.all(...p);
    },
  };
}

function openNodeSqlite(path: string, readonly: boolean): SqliteDb {
  if (!nodeHasSqlite(process.version)) throw new Error(`node:sqlite is not available on Node ${process.version} (needs 22.13+)`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { DatabaseSync } = require('node:sqlite') as NodeSqliteModule;
  // readOnly opens without SQLITE_OPEN_CREATE: a missing file fails, like fileMustExist.
  const db = new DatabaseSync(path, readonly ? { readOnly: true } : {});
  let open = true;
  let depth = 0;
  try {
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  } catch (err) {
    db.close();
    throw err;
  }
  // The same statements better-sqlite3's transaction() runs, prepared once.
  const stmt = (sql: string) => {
    let s: NodeStatementSync | undefined;
    return () => void (s ??= db.prepare(sql)).run();
  };
  const begin = stmt('BEGIN');
  const beginImmediate = stmt('BEGIN IMMEDIATE');
  const commit = stmt('COMMIT');
  const rollback = stmt('ROLLBACK');
  const savepoint = stmt('SAVEPOINT "otgate_tx"');
  const release = stmt('RELEASE "otgate_tx"');
  const rollbackTo = stmt('ROLLBACK TO "otgate_tx"');
  const inTransaction = () => db.isTransaction ?? depth > 0;
  return {
    binding: 'node:sqlite',
    get open() {
      return open;
    },
    exec: (sql) => db.exec(sql),
    prepare: (sql) => nodeStatement(db.prepare(sql)),
    pragma: (text) => db.prepare(`PRAGMA ${text}`).all(),
    transaction<T>(fn: () => T, mode?: 'deferred' | 'immediate'): T {
      const nested = inTransaction();
      if (nested) savepoint();
      else if (mode === 'immediate') beginImmediate();
      else begin();
      depth++;
      try {
        const result = fn();
        if (result instanceof Promise) throw new TypeError('Transaction function cannot return a promise');
        if (nested) release();
        else commit();
        return result;
      } catch (err) {
        // SQLite may already have rolled back by itself (e.g. SQLITE_FULL).
        if (inTransaction()) {
          if (nested) {
            rollbackTo();
            release();
          } else {
            rollback();
          }
        }
        throw err;
      } finally {
        depth--;
      }
    },
    close() {
      if (!open) return;
      open = false;
      db.close();
    },
  };
}
