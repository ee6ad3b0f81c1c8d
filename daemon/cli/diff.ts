/** `otgate diff OLD NEW`: what a policy change newly allows and denies. */
import type { Command } from 'commander';
import { diffPolicies, type PolicyChange } from '../../rules/diff';
import { loadPolicyOrExit } from './audit';

const MARK: Record<PolicyChange['effect'], string> = { allows: '+', denies: '-', changes: '~' };

export function changeText(c: PolicyChange): string {
  const who = c.client === null ? c.conduit : `${c.conduit} ${c.client}${c.rule ? ` (${c.rule})` : ''}`;
  return `${MARK[c.effect]} ${who}: ${c.what}`;
}

export function registerDiff(program: Command): void {
  program
    .command('diff')
    .description('semantic diff of two policies: what becomes allowed (+), denied (-) or changes (~)')
    .argument('<old>', 'current policy file')
    .argument('<new>', 'proposed policy file')
    .option('--json', 'one JSON object per change')
    .action((oldFile: string, newFile: string, o: { json?: boolean }) => {
      const changes = diffPolicies(loadPolicyOrExit(oldFile), loadPolicyOrExit(newFile));
      for (const c of changes) process.stdout.write(`${o.json ? JSON.stringify(c) : changeText(c)}\n`);
      const n = (e: PolicyChange['effect']) => changes.filter((c) => c.effect === e).length;
      process.stderr.write(`${changes.length} change(s): ${n('allows')} allow more, ${n('denies')} deny more, ${n('changes')} other\n`);
    });
}
