/**
 * Durability under a process crash: a child process commits N events, says so, keeps writing
 * batches, and is killed with SIGKILL (possibly mid-transaction). Everything it reported as
 * committed must be in the file, and the file must pass integrity_check.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { openSqlite } from '../../daemon/audit/sqlite';
import { AuditStore } from '../../daemon/audit/store';
import { tempDir } from './audit-fixtures';

const ROOT = path.resolve(__dirname, '..', '..');

// The child loads the TypeScript sources through a minimal transpile-only require hook, so the
// test runs the code under test without a build.
const CHILD = `
const fs = require('node:fs');
const ts = require(${JSON.stringify(path.join(ROOT, 'node_modules', 'typescript'))});
require.extensions['.ts'] = (m, file) => {
  const out = ts.transpileModule(fs.readFileSync(file, 'utf8'), {
    fileName: file,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  m._compile(out.outputText, file);
};
const { AuditStore } = require(${JSON.stringify(path.join(ROOT, 'daemon', 'audit', 'store.ts'))});
const [dbFile, n] = [process.argv[1], Number(process.argv[2])];
const store = AuditStore.open(dbFile, { flushIntervalMs: 3600000, maxQueue: 100000, batchSize: 100000 });
let i = 0;
const ev = () => ({
  ts: 1738310400000 + i, flow: 'f' + (i % 5), conduit: 'c', proto: 'modbus', src: '10.0.0.1:5000', dst: '10.0.0.2:502',
  clientAsset: null, serverAsset: null, dir: 'request', verdict: i % 2 ? 'allow' : 'deny', action: i % 2 ? 'forwarded' : 'refused',
  rule: null, reason: null, anomaly: null, technique: null, summary: 'event ' + i++, fields: { i, pad: 'x'.repeat(200) },
});
for (let k = 0; k < n; k++) store.enqueue(ev());
store.flush();
process.stdout.write('flushed\\n');
// Keep committing batches until killed, so the kill can land inside a transaction.
const more = () => { for (let k = 0; k < 500; k++) store.enqueue(ev()); store.flush(); setImmediate(more); };
more();
`;

test('SIGKILL after a flush loses nothing committed and leaves a consistent file', async () => {
  const tmp = tempDir();
  try {
    const dbFile = tmp.file('audit.db');
    const N = 3000;
    const child = spawn(process.execPath, ['-e', CHILD, dbFile, String(N)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('flushed')) resolve();
      });
      void exited.then(() => reject(new Error(`child exited before flushing: ${err}`)));
    });
    // Let a few more batches run so the kill is likely to hit one in flight.
    await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    expect((await exited).signal).toBe('SIGKILL');

    // The WAL is still there (no clean close); opening recovers it.
    const raw = openSqlite(dbFile, { readonly: true }); // the binding the store uses here
    expect((raw.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check)).toEqual(['ok']);
    raw.close();

    const store = AuditStore.open(dbFile, { flushIntervalMs: 3_600_000 });
    try {
      expect(store.integrityCheck()).toBe('ok');
      const first = store.query({ until: 1738310400000 + N, limit: N + 10 });
      expect(first).toHaveLength(N);
      expect(first.map((e) => e.summary)).toEqual(Array.from({ length: N }, (_, i) => `event ${i}`));
      // Whatever came after is whole batches of 500: a transaction is all or nothing.
      expect((store.counts().rows - N) % 500).toBe(0);
    } finally {
      store.close();
    }
  } finally {
    tmp.remove();
  }
});
