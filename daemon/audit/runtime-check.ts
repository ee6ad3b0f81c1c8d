/**
 * Node ≥ 24.19 registers environment cleanup hooks in node::ObjectWrap; better-sqlite3 < 13
 * derives its Statement and Database from ObjectWrap, so a Statement finalised by an idle GC
 * aborts the whole process (`Assertion failed: (env) != nullptr` in RemoveEnvironmentCleanupHook,
 * WiseLibs/better-sqlite3#1515). better-sqlite3 13 fixes it but needs Node ≥ 22, and otgate
 * still supports Node 20. A gateway must not die at a random GC: refuse to open the store on
 * that combination, with the reason, instead.
 */
export function sqliteRuntimeProblem(nodeVersion: string, sqliteVersion: string): string | null {
  const [maj = 0, min = 0] = nodeVersion.replace(/^v/, '').split('.').map(Number);
  const sqliteMajor = Number(sqliteVersion.split('.')[0]);
  const affectedNode = maj > 24 || (maj === 24 && min >= 19);
  if (!affectedNode || sqliteMajor >= 13) return null;
  return `Node ${nodeVersion} with better-sqlite3 ${sqliteVersion} aborts the process when a statement is garbage-collected ` +
    '(WiseLibs/better-sqlite3#1515). Run otgate on Node 20.19+ or 22 LTS (see README, Runtimes).';
}
