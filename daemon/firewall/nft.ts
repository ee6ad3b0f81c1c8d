/**
 * Running nft(8): behind a small interface so the apply logic can be pointed at a network
 * namespace (`ip netns exec NAME nft …`, the testbed) or replaced in tests. Scripts go through
 * a temp file (`nft -f FILE`): one file is one kernel transaction.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface NftResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface NftRunner {
  /** nft with these arguments. */
  run(args: readonly string[]): Promise<NftResult>;
  /** `nft [-c] -f FILE` with this script. */
  load(script: string, opts?: { check?: boolean }): Promise<NftResult>;
}

export function createNftRunner(opts: { nft?: string; netns?: string; timeoutMs?: number } = {}): NftRunner {
  const nft = opts.nft ?? 'nft';
  const run = (args: readonly string[]): Promise<NftResult> =>
    new Promise((resolve) => {
      const [cmd, argv] = opts.netns === undefined ? [nft, [...args]] : ['ip', ['netns', 'exec', opts.netns, nft, ...args]];
      execFile(cmd, argv, { timeout: opts.timeoutMs ?? 10_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 127;
        resolve({ code, stdout: String(stdout), stderr: err !== null && !stderr ? err.message : String(stderr) });
      });
    });
  return {
    run,
    async load(script, o = {}) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'otgate-nft-'));
      const file = path.join(dir, 'ruleset.nft');
      try {
        writeFileSync(file, script, { mode: 0o600 });
        return await run(o.check ? ['-c', '-f', file] : ['-f', file]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
