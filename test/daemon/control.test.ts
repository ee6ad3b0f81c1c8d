import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { AuditStore } from '../../daemon/audit/store';
import { registerRelay } from '../../daemon/cli/relay';
import { ControlClientError, controlRequest, defaultSocketPath } from '../../daemon/control/client';
import { registerRelayOps } from '../../daemon/control/relay-ops';
import { ControlServer, resolveGid } from '../../daemon/control/server';
import { RelayManager } from '../../daemon/relay-manager';
import { RelaySimulator } from '../../hw/sim/simulator';
import { SimRelay } from '../../hw/sim/sim-relay';

const settings = { heartbeatMs: 50, feedbackTimeoutMs: 300, feedbackPollMs: 100, requireKeyswitch: false, trip: [] };

describe('management socket', () => {
  let dir: string;
  let sim: RelaySimulator;
  let audit: AuditStore;
  let manager: RelayManager;
  let server: ControlServer;
  const sock = () => path.join(dir, 'run', 'otgate.sock');

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'otgate-control-'));
    chmodSync(dir, 0o755);
    sim = await RelaySimulator.start({ socket: path.join(dir, 'relay.sock'), timeoutMs: 400 });
    audit = AuditStore.open(path.join(dir, 'audit.db'));
    manager = await RelayManager.start({ relay: new SimRelay({ socket: path.join(dir, 'relay.sock') }), settings, latchFile: path.join(dir, 'latch.json'), audit });
    server = new ControlServer({ socket: sock() });
    registerRelayOps(server, () => manager);
    await server.start();
  });
  afterEach(async () => {
    await server.stop();
    await manager.stop();
    audit.close();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const codeOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: ControlClientError) => e.code);

  it('creates the socket with mode 0660 and answers relay.status', async () => {
    expect(statSync(sock()).mode & 0o777).toBe(0o660);
    expect(await controlRequest(sock(), 'relay.status')).toMatchObject({ driver: 'sim', commanded: 'connected', tripped: false });
  });

  it('isolate and restore need a reason; the claimed actor is recorded as claimed', async () => {
    expect(await codeOf(controlRequest(sock(), 'relay.isolate', { actor: 'alice' }))).toBe('reason_required');
    expect(await controlRequest(sock(), 'relay.isolate', { actor: 'alice', reason: 'suspicious writes' })).toMatchObject({ tripped: true, commanded: 'isolated' });
    expect(await codeOf(controlRequest(sock(), 'relay.restore', { actor: 'bob', reason: '' }))).toBe('reason_required');
    expect((await controlRequest(sock(), 'relay.status')) as object).toMatchObject({ tripped: true });
    expect(await controlRequest(sock(), 'relay.restore', { actor: 'bob', reason: 'reviewed with ops lead' })).toMatchObject({ tripped: false, commanded: 'connected' });
    const uid = process.getuid!();
    expect(audit.relayEvents({ kind: 'trip' })[0]).toMatchObject({ cause: 'operator', actor: `alice (uid ${uid}, claimed)`, reason: 'suspicious writes' });
    expect(audit.relayEvents({ kind: 'reset' })[0]).toMatchObject({ actor: `bob (uid ${uid}, claimed)`, reason: 'reviewed with ops lead' });
  });

  it('restore needs the socket permission: a user outside the socket\'s owner and group is refused by the kernel', async () => {
    // Runs the client as uid/gid 65534 (nobody), which is neither the socket's owner nor in its group.
    expect(process.getuid!()).toBe(0); // the suite runs as root in CI and here; root may switch uid
    await controlRequest(sock(), 'relay.isolate', { actor: 'alice', reason: 'drill' });
    const client = path.resolve(__dirname, '..', '..', 'dist', 'daemon', 'control', 'client.js');
    const script = `require(${JSON.stringify(client)}).controlRequest(${JSON.stringify(sock())}, 'relay.restore', { actor: 'mallory', reason: 'let me in' })
      .then(() => console.log('ok'), (e) => console.log(e.code))`;
    const out = await new Promise<string>((resolve) => {
      const p = spawn(process.execPath, ['-e', script], { uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'pipe'] });
      let o = '';
      p.stdout.on('data', (d: Buffer) => (o += d.toString()));
      p.stderr.on('data', (d: Buffer) => (o += d.toString()));
      p.on('exit', () => resolve(o.trim()));
    });
    expect(out).toBe('EACCES');
    expect((await controlRequest(sock(), 'relay.status')) as object).toMatchObject({ tripped: true, commanded: 'isolated' });
  });

  it('rejects malformed and unknown requests and survives them', async () => {
    const net = await import('node:net');
    const reply = await new Promise<string>((resolve) => {
      const s = net.createConnection(sock(), () => s.write('[1,2]\n{"id":3,"op":"relay.explode"}\n'));
      let b = '';
      s.on('data', (d) => {
        b += d.toString();
        if (b.split('\n').length > 2) {
          s.destroy();
          resolve(b);
        }
      });
    });
    expect(reply).toContain('"code":"bad_request"');
    expect(reply).toContain('"code":"unknown_op"');
    expect(await controlRequest(sock(), 'relay.status')).toMatchObject({ tripped: false });
  });

  it('refuses to replace a live socket, replaces a stale one', async () => {
    await expect(new ControlServer({ socket: sock() }).start()).rejects.toThrow(/another otgate daemon/);
    await server.stop();
    const net = await import('node:net');
    // leave a stale socket file behind: bind and exit without unlinking
    const stale = net.createServer();
    await new Promise<void>((r) => stale.listen(sock(), () => r()));
    await new Promise<void>((r) => stale.close(() => r()));
    server = new ControlServer({ socket: sock() });
    registerRelayOps(server, () => manager);
    await server.start();
    expect(await controlRequest(sock(), 'relay.status')).toMatchObject({ driver: 'sim' });
  });

  it('`otgate relay` subcommands talk to the socket', async () => {
    const out: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
      out.push(String(s));
      return true;
    });
    try {
      const program = new Command().exitOverride();
      registerRelay(program);
      await program.parseAsync(['node', 'otgate', 'relay', 'isolate', '--socket', sock(), '--reason', 'cli drill', '--actor', 'carol']);
      await program.parseAsync(['node', 'otgate', 'relay', 'status', '--socket', sock()]);
    } finally {
      spy.mockRestore();
    }
    const text = out.join('');
    expect(text).toContain('relay     ISOLATED (tripped, latched)');
    expect(text).toMatch(/trip .* operator by carol \(uid \d+, claimed\): cli drill/);
    expect(text).toContain('otgate relay restore --reason');
  });

  it('resolves socket paths and groups', () => {
    expect(defaultSocketPath({ OTGATE_RUN_DIR: '/tmp/x' })).toBe('/tmp/x/otgate.sock');
    expect(defaultSocketPath({})).toBe('/run/otgate/otgate.sock');
    expect(resolveGid('root')).toBe(0);
    expect(resolveGid(42)).toBe(42);
    expect(() => resolveGid('no-such-group-otgate')).toThrow(/unknown group/);
  });
});
