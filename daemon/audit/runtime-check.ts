/**
 * Which SQLite binding the audit store uses on this runtime, and why.
 *
 * Node ≥ 24.19 registers environment cleanup hooks in node::ObjectWrap; better-sqlite3 < 13
 * derives its Statement and Database from ObjectWrap, so a Statement finalised by an idle GC
 * aborts the whole process (`Assertion failed: (env) != nullptr` in RemoveEnvironmentCleanupHook,
 * WiseLibs/better-sqlite3#1515). better-sqlite3 13 fixes it but needs Node ≥ 22, and otgate
 * still supports Node 20 (where 13 segfaults). Exactly on that combination the store uses Node's
 * built-in `node:sqlite` (DatabaseSync, unflagged since Node 22.13 / 23.4) instead; everywhere
 * else better-sqlite3 stays the default.
 */
export type SqliteBindingName = 'better-sqlite3' | 'node:sqlite';

export interface SqliteBindingChoice {
  readonly binding: SqliteBindingName;
  /** One line for the log: the binding, the versions and the reason. */
  readonly reason: string;
}

function nodeMajorMinor(nodeVersion: string): [number, number] {
  const [maj = 0, min = 0] = nodeVersion.replace(/^v/, '').split('.').map(Number);
  return [maj, min];
}

/** Why better-sqlite3 `sqliteVersion` must not run on Node `nodeVersion`, or null when it may. */
export function betterSqlite3Problem(nodeVersion: string, sqliteVersion: string): string | null {
  const [maj, min] = nodeMajorMinor(nodeVersion);
  const sqliteMajor = Number(sqliteVersion.split('.')[0]);
  const affectedNode = maj > 24 || (maj === 24 && min >= 19);
  if (!affectedNode || sqliteMajor >= 13) return null;
  return `Node ${nodeVersion} with better-sqlite3 ${sqliteVersion} aborts the process when a statement is garbage-collected ` +
    '(WiseLibs/better-sqlite3#1515)';
}

/** The binding the store opens with by default on Node `nodeVersion` with better-sqlite3 `sqliteVersion` installed. */
export function chooseSqliteBinding(nodeVersion: string, sqliteVersion: string): SqliteBindingChoice {
  const problem = betterSqlite3Problem(nodeVersion, sqliteVersion);
  if (problem !== null) return { binding: 'node:sqlite', reason: `node:sqlite (built in): ${problem}` };
  return { binding: 'better-sqlite3', reason: `better-sqlite3 ${sqliteVersion} on Node ${nodeVersion} (default)` };
}

/** Whether Node `nodeVersion` has `node:sqlite` without a flag (22.13+, 23.4+, 24+). */
export function nodeHasSqlite(nodeVersion: string): boolean {
  const [maj, min] = nodeMajorMinor(nodeVersion);
  return maj >= 24 || (maj === 23 && min >= 4) || (maj === 22 && min >= 13);
}
