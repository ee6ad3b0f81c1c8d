import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RelaySimulator } from '../../hw/sim/simulator';
import { SimRelay } from '../../hw/sim/sim-relay';
import { until } from './until';

const ROOT = path.resolve(__dirname, '..', '..');

describe('relay simulator (in process)', () => {
  let dir: string;
  let sim: RelaySimulator;
  let relay: SimRelay;
  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'otgate-sim-'));
    sim = await RelaySimulator.start({ socket: path.join(dir, 'relay.sock'), stateFile: path.join(dir, 'state.json'), timeoutMs: 150 });
    relay = new SimRelay({ socket: path.join(dir, 'relay.sock') });
  });
  afterEach(async () => {
    await relay.detach();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('powers up isolated and refuses to energize the coil without a fresh heartbeat', async () => {
    expect((await relay.read()).contact).toBe('isolated');
    await expect(relay.close()).rejects.toThrow(/no fresh heartbeat/);
    await relay.heartbeat();
    await relay.close();
    expect(await relay.read()).toEqual({ contact: 'connected', keyswitch: false, watchdogTripped: false });
  });

  it('opens when heartbeats stop, and stays open when they resume (never closes by itself)', async () => {
    await relay.heartbeat();
    await relay.close();
    await until(async () => (await relay.status()).watchdogTripped, 2000, 10);
    const s = await relay.status();
    expect(s.contact).toBe('isolated');
    expect(s.watchdogTrips).toBe(1);
    for (let i = 0; i < 5; i++) {
      await relay.heartbeat();
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await relay.status()).contact).toBe('isolated');
    await relay.close(); // only an explicit command reconnects
    expect((await relay.status())).toMatchObject({ contact: 'connected', watchdogTripped: false });
  });

  it('keeps the state file current and models stuck contacts and the key-switch', async () => {
    await relay.heartbeat();
    await relay.close();
    const state = JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8')) as { contact: string; coil: boolean };
    expect(state).toMatchObject({ contact: 'connected', coil: true });
    await relay.fault('open');
    expect((await relay.read()).contact).toBe('isolated');
    await relay.keyswitch(true);
    expect((await relay.read()).keyswitch).toBe(true);
  });

  it('answers malformed requests with an error and keeps serving', async () => {
    const net = await import('node:net');
    const reply = await new Promise<string>((resolve) => {
      const s = net.createConnection(path.join(dir, 'relay.sock'), () => s.write('{"id":5,"op":"launch"}\nnot json\n'));
      let buf = '';
      s.on('data', (d) => {
        buf += d.toString();
        if (buf.split('\n').length > 2) {
          s.destroy();
          resolve(buf);
        }
      });
    });
    expect(reply).toContain('unknown op launch');
    expect(reply).toContain('not a JSON object');
    expect((await relay.read()).contact).toBe('isolated');
  });
});

describe('kill -9 of the heartbeat source', () => {
  const TIMEOUT_MS = 300;
  const HEARTBEAT_MS = 50;
  let dir: string;
  const procs: ChildProcess[] = [];
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'otgate-kill9-'));
  });
  afterAll(() => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  function start(args: string[], ready: RegExp): Promise<ChildProcess> {
    return new Promise((resolve, reject) => {
      const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      procs.push(p);
      let out = '';
      let err = '';
      const t = setTimeout(() => reject(new Error(`not ready: ${out} ${err}`)), 10_000);
      p.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (ready.test(out)) {
          clearTimeout(t);
          resolve(p);
        }
      });
      p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      p.on('exit', (code) => {
        clearTimeout(t);
        reject(new Error(`exited ${code}: ${err}`));
      });
    });
  }

  it('the simulated relay opens within the watchdog timeout after the daemon is SIGKILLed', async () => {
    const socket = path.join(dir, 'relay.sock');
    expect(existsSync(path.join(ROOT, 'dist', 'hw', 'sim', 'main.js'))).toBe(true);
    await start([path.join(ROOT, 'dist', 'hw', 'sim', 'main.js'), '--socket', socket, '--state', path.join(dir, 'state.json'), '--timeout-ms', String(TIMEOUT_MS)], /ready/);
    const daemon = await start([path.join(__dirname, 'fixtures', 'heartbeat-daemon.js'), socket, path.join(dir, 'latch.json'), String(HEARTBEAT_MS)], /relay connected connected/);
    const probe = new SimRelay({ socket });
    // Connected and healthy over several timeouts: the heartbeat keeps the watchdog fed.
    await new Promise((r) => setTimeout(r, TIMEOUT_MS * 3));
    expect((await probe.status()).contact).toBe('connected');

    const killedAt = Date.now();
    daemon.kill('SIGKILL');
    const s = await until(async () => {
      const st = await probe.status();
      return st.contact === 'isolated' ? st : null;
    }, 5000, 5);
    const openedAfter = s.watchdogTrippedAt! - killedAt;
    // eslint-disable-next-line no-console
    console.log(`kill -9 → relay open: ${openedAfter} ms (watchdog timeout ${TIMEOUT_MS} ms, heartbeat ${HEARTBEAT_MS} ms)`);
    expect(s.watchdogTripped).toBe(true);
    // The last pulse came at most one heartbeat before the kill; allow 300 ms of scheduling slack.
    expect(openedAfter).toBeLessThanOrEqual(TIMEOUT_MS + 300);
    await probe.detach();
  });
});
