import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { MAIN, ROOT } from '../helpers/gateway';

// daemon/main.ts requires only the named subcommand's module; these check the command line as a
// user sees it stays whole.
const otgate = (...args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 20_000 });

const COMMANDS = ['run', 'check', 'events', 'audit', 'monitor', 'learn', 'diff', 'replay', 'firewall', 'relay', 'demo'];

test('otgate --help lists every subcommand', () => {
  const r = otgate('--help');
  expect(r.status).toBe(0);
  for (const c of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
});

test('a subcommand runs with only its own module registered', () => {
  const r = otgate('check', path.join(ROOT, 'examples', 'demo-loopback.yaml'));
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const h = otgate('firewall', 'render', '--help');
  expect(h.status).toBe(0);
  expect(h.stdout).toContain('Usage: otgate firewall render');
});

test('an unknown subcommand is an error that names it', () => {
  const r = otgate('bogus');
  expect(r.status).toBe(1);
  expect(r.stderr).toContain("unknown command 'bogus'");
});
