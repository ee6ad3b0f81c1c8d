/**
 * Writes the generated artefacts of the policy layer from their single sources:
 * - policy.schema.json (repo root) from rules/schema (editors: `# yaml-language-server: $schema=…`)
 * - the technique table in docs/attack.md from rules/attack.ts (between the GENERATED markers)
 * Run: `npm run build && node dist/scripts/gen-schema.js`. test/rules/generated.test.ts fails
 * when a committed file differs from what this would write.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { attackTableMarkdown } from '../rules/attack';
import { PolicySchema } from '../rules/schema/policy';

export const ATTACK_BEGIN = '<!-- BEGIN GENERATED: rules/attack.ts (scripts/gen-schema.ts) -->';
export const ATTACK_END = '<!-- END GENERATED -->';

export function policySchemaText(): string {
  return `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...PolicySchema }, null, 2)}\n`;
}

/** docs/attack.md with its generated section replaced (the hand-written rest kept). */
export function attackDocText(current: string): string {
  const b = current.indexOf(ATTACK_BEGIN);
  const e = current.indexOf(ATTACK_END);
  if (b === -1 || e < b) throw new Error('docs/attack.md lacks the GENERATED markers');
  return `${current.slice(0, b + ATTACK_BEGIN.length)}\n${attackTableMarkdown()}\n${current.slice(e)}`;
}

export function repoRoot(from = __dirname): string {
  let dir = from;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('package.json not found above ' + from);
    dir = up;
  }
  return dir;
}

if (require.main === module) {
  const root = process.argv[2] ?? repoRoot();
  writeFileSync(path.join(root, 'policy.schema.json'), policySchemaText());
  const doc = path.join(root, 'docs', 'attack.md');
  writeFileSync(doc, attackDocText(readFileSync(doc, 'utf8')));
  process.stdout.write(`wrote policy.schema.json and docs/attack.md in ${root}\n`);
}
