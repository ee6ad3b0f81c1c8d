/** `otgate check <policy>`: validate and compile a policy; diagnostics as file:line:col lines. */
import type { Command } from 'commander';
import { checkPolicyFile } from '../../rules/check';
import { formatDiagnostic } from '../../rules/diagnostics';

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('validate and compile a policy file (nothing is started); exit 1 on errors')
    .argument('<policy>', 'policy file (YAML)')
    .action((file: string) => {
      const r = checkPolicyFile(file);
      for (const d of r.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
      if (!r.ok || r.summary === null) {
        const n = r.diagnostics.filter((d) => d.severity === 'error').length;
        process.stderr.write(`${file}: ${n} error(s); policy rejected\n`);
        process.exitCode = 1;
        return;
      }
      const s = r.summary;
      const protos = Object.entries(s.byProtocol).map(([p, n]) => `${n} ${p}`).join(', ');
      process.stdout.write(
        `${file}: ok (site ${s.site}, sha256 ${s.hash.slice(0, 12)}): ${s.zones} zone(s), ${s.assets} asset(s), ` +
          `${s.conduits} conduit(s)${protos ? ` (${protos})` : ''}, ${s.rules} rule(s)` +
          `${r.diagnostics.length > 0 ? `, ${r.diagnostics.length} warning(s)` : ''}\n`,
      );
    });
}
