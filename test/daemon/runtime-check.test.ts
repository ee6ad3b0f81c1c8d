/**
 * The store uses node:sqlite exactly where better-sqlite3 < 13 aborts the process at a random GC
 * (WiseLibs/better-sqlite3#1515), better-sqlite3 everywhere else.
 */
import { betterSqlite3Problem, chooseSqliteBinding, nodeHasSqlite } from '../../daemon/audit/runtime-check';

test.each([
  ['v20.19.0', '12.11.1', 'better-sqlite3'],
  ['v22.12.0', '12.11.1', 'better-sqlite3'],
  ['v24.18.0', '12.11.1', 'better-sqlite3'],
  ['v24.19.0', '12.11.1', 'node:sqlite'],
  ['v24.22.3', '12.11.1', 'node:sqlite'],
  ['v26.0.0', '12.11.1', 'node:sqlite'],
  ['v24.22.3', '13.2.0', 'better-sqlite3'],
])('Node %s + better-sqlite3 %s → %s', (node, sqlite, binding) => {
  const choice = chooseSqliteBinding(node, sqlite);
  expect(choice.binding).toBe(binding);
  const problem = betterSqlite3Problem(node, sqlite);
  expect(problem !== null).toBe(binding === 'node:sqlite');
  if (problem !== null) {
    expect(problem).toMatch(/better-sqlite3#1515/);
    expect(choice.reason).toBe(`node:sqlite (built in): ${problem}`);
  } else {
    expect(choice.reason).toBe(`better-sqlite3 ${sqlite} on Node ${node} (default)`);
  }
  // node:sqlite is never chosen where Node lacks it unflagged.
  if (binding === 'node:sqlite') expect(nodeHasSqlite(node)).toBe(true);
});

test.each([
  ['v20.19.0', false],
  ['v20.20.2', false],
  ['v22.12.0', false], // behind --experimental-sqlite
  ['v22.13.0', true],
  ['v23.3.0', false],
  ['v23.4.0', true],
  ['v24.0.0', true],
  ['v26.1.0', true],
])('Node %s has node:sqlite unflagged: %s', (node, has) => {
  expect(nodeHasSqlite(node)).toBe(has);
});
