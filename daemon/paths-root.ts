/** The installed package's root (where examples/ lives), from either ts sources or dist/. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export function packageRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const pj = path.join(dir, 'package.json');
    if (existsSync(pj) && (JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'otgate') return dir;
    dir = path.dirname(dir);
  }
  throw new Error(`cannot find the otgate package root above ${__dirname}`);
}
