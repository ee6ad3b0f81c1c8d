import path from 'node:path';
import { Command } from 'commander';
import { checkPolicyFile } from '../../rules/check';
import { registerCheck } from '../../daemon/cli/check';

const ROOT = path.resolve(__dirname, '..', '..');
const example = path.join(ROOT, 'examples', 'secluded-fab.yaml');
const broken = path.join(ROOT, 'test', 'fixtures', 'policies', 'bad-range.yaml');

describe('checkPolicyFile', () => {
  test('summarises a good policy', () => {
    const r = checkPolicyFile(example);
    expect(r.ok).toBe(true);
    expect(r.summary).toMatchObject({ site: 'secluded-semi-fab', zones: 6, assets: 12, conduits: 7, rules: 10, byProtocol: { modbus: 3, opcua: 2, mqtt: 2 } });
    expect(r.summary!.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  test('reports the diagnostics of a bad one', () => {
    const r = checkPolicyFile(broken);
    expect(r.ok).toBe(false);
    expect(r.summary).toBeNull();
    expect(r.diagnostics.map((d) => `${d.line}:${d.col} ${d.code}`)).toEqual(['23:39 policy.bad_range']);
  });
});

describe('otgate check', () => {
  async function run(file: string): Promise<{ out: string; err: string; code: number | undefined }> {
    const program = new Command().exitOverride();
    registerCheck(program);
    let out = '';
    let err = '';
    const o = jest.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    const e = jest.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
    const before = process.exitCode;
    // Judge this command alone: a jest worker runs other files first, and an exit code one of
    // them left behind would read as this command's.
    process.exitCode = undefined;
    try {
      await program.parseAsync(['node', 'otgate', 'check', file]);
      return { out, err, code: process.exitCode as number | undefined };
    } finally {
      o.mockRestore();
      e.mockRestore();
      process.exitCode = before;
    }
  }

  test('prints a summary and leaves the exit code alone on success', async () => {
    const r = await run(example);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/ok \(site secluded-semi-fab, sha256 [0-9a-f]{12}\): 6 zone\(s\), 12 asset\(s\), 7 conduit\(s\) \(3 modbus, 2 opcua, 2 mqtt\), 10 rule\(s\)/);
    expect(r.code).toBeUndefined();
  });

  test('prints file:line:col diagnostics and exits 1 on errors', async () => {
    const r = await run(broken);
    expect(r.err.split('\n')[0]).toMatch(new RegExp(`^${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:23:39: error policy\\.bad_range: `));
    expect(r.code).toBe(1);
  });
});
