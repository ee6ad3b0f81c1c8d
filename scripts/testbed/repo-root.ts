/** The repository root, whether this runs compiled (dist/scripts/testbed/…) or from source (ts-jest). */
import path from 'node:path';

export function repoRoot(): string {
  const parts = __dirname.split(path.sep);
  const dist = parts.lastIndexOf('dist');
  return dist === -1 ? path.resolve(__dirname, '..', '..') : parts.slice(0, dist).join(path.sep) || path.sep;
}

/** Compiled entry points the testbed spawns (always from dist: `npm run build` first). */
export const DIST = (): string => path.join(repoRoot(), 'dist');
