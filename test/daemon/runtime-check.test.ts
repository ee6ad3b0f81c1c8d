/** The store refuses the one runtime combination known to abort the process at a random GC. */
import { sqliteRuntimeProblem } from '../../daemon/audit/runtime-check';

test.each([
  ['v20.19.0', '12.11.1', false],
  ['v22.12.0', '12.11.1', false],
  ['v24.18.0', '12.11.1', false],
  ['v24.19.0', '12.11.1', true],
  ['v24.21.0', '12.11.1', true],
  ['v26.0.0', '12.11.1', true],
  ['v24.21.0', '13.2.0', false],
])('Node %s + better-sqlite3 %s → refused: %s', (node, sqlite, refused) => {
  const p = sqliteRuntimeProblem(node, sqlite);
  expect(p !== null).toBe(refused);
  if (p) expect(p).toMatch(/better-sqlite3#1515/);
});
