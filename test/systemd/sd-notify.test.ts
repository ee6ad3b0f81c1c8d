import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createNotifier } from '../../daemon/sd-notify';

/** A stand-in for PID 1's notify socket: a datagram socket printing each message on a line. */
function receiver(socket: string): Promise<{ proc: ChildProcess; lines: string[] }> {
  const script = [
    'import socket, sys',
    's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
    `s.bind(${JSON.stringify(socket)})`,
    'print("listening", flush=True)',
    'while True:',
    '    print(s.recv(4096).decode(), flush=True)',
  ].join('\n');
  return new Promise((resolve, reject) => {
    const proc = spawn('/usr/bin/python3', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    proc.stdout!.on('data', (d: Buffer) => {
      for (const l of d.toString().split('\n')) if (l !== '') lines.push(l);
      if (lines[0] === 'listening') resolve({ proc, lines });
    });
    proc.on('error', reject);
  });
}

async function until(fn: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error('timeout');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('sd_notify through the helper process', () => {
  let dir: string;
  let rx: { proc: ChildProcess; lines: string[] };
  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'otgate-notify-'));
    rx = await receiver(path.join(dir, 'notify'));
  });
  afterEach(() => {
    rx.proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends READY=1, STATUS and WATCHDOG=1 pings at half of WATCHDOG_USEC from the event loop', async () => {
    const n = createNotifier({ NOTIFY_SOCKET: path.join(dir, 'notify'), WATCHDOG_USEC: '100000', WATCHDOG_PID: String(process.pid) });
    expect(n.enabled).toBe(true);
    expect(n.watchdogIntervalMs).toBe(50);
    n.ready('serving 3 conduits');
    await until(() => rx.lines.filter((l) => l === 'WATCHDOG=1').length >= 3);
    n.stopping();
    await until(() => rx.lines.includes('STOPPING=1'));
    n.close();
    expect(rx.lines).toEqual(expect.arrayContaining(['READY=1', 'STATUS=serving 3 conduits']));
  });

  it('a blocked event loop sends no pings', async () => {
    const n = createNotifier({ NOTIFY_SOCKET: path.join(dir, 'notify'), WATCHDOG_USEC: '40000' });
    n.ready();
    await until(() => rx.lines.includes('WATCHDOG=1'));
    await new Promise((r) => setTimeout(r, 50)); // let in-flight datagrams land
    const before = rx.lines.filter((l) => l === 'WATCHDOG=1').length;
    const end = Date.now() + 300;
    while (Date.now() < end) {
      // hung loop: 300 ms without returning to the event loop (≈ 15 ping periods)
    }
    await new Promise((r) => setTimeout(r, 30));
    const during = rx.lines.filter((l) => l === 'WATCHDOG=1').length - before;
    n.close();
    // 300 ms of pings at 20 ms would be 15. A blocked loop sends none: at most the timer that was
    // due when the loop came back, the next one within the 30 ms wait, and one in flight before.
    expect(during).toBeLessThanOrEqual(3);
  });

  it('is a no-op outside systemd, and ignores a watchdog meant for another pid', () => {
    expect(createNotifier({}).enabled).toBe(false);
    expect(createNotifier({}).watchdogIntervalMs).toBeNull();
    const other = createNotifier({ NOTIFY_SOCKET: path.join(dir, 'notify'), WATCHDOG_USEC: '100000', WATCHDOG_PID: '1' });
    expect(other.watchdogIntervalMs).toBeNull();
    other.close();
  });
});
