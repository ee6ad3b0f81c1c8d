/**
 * sd_notify(3) for Type=notify + WatchdogSec=: READY=1 once serving, WATCHDOG=1 from the event
 * loop (a hung loop stops the pings and systemd kills and restarts the daemon), STOPPING=1.
 *
 * How: Node has no AF_UNIX datagram sockets, so one long-lived helper process —
 * `/usr/bin/python3` with a 10-line script — reads lines on its stdin and sends each as one
 * datagram to $NOTIFY_SOCKET. Why not the others:
 * - `systemd-notify` per message: the process exits right after sending, and PID 1 then often
 *   cannot attribute the datagram to the unit (it looks the sender up in /proc; sd_notify(3)
 *   documents the race, systemd issue #2737) — dropped watchdog pings restart a healthy daemon;
 * - a native addon: a compiler toolchain on every gateway and per-ABI builds.
 * The helper lives in the unit's cgroup as long as the daemon does, so NotifyAccess=all
 * attributes its datagrams reliably. The pings are still written from the daemon's event loop:
 * a hung loop sends nothing, whatever the helper does. The helper exits when our stdin pipe
 * closes (daemon death).
 */
import { spawn, type ChildProcess } from 'node:child_process';

const HELPER = [
  'import os, socket, sys',
  'a = os.environ["NOTIFY_SOCKET"]',
  'a = "\\0" + a[1:] if a.startswith("@") else a',
  's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
  'for line in iter(sys.stdin.buffer.readline, b""):',
  '    m = line.rstrip(b"\\n")',
  '    if not m: continue',
  '    try: s.sendto(m, a)',
  '    except OSError as e: sys.stderr.write("sd-notify: %s\\n" % e); sys.stderr.flush()',
].join('\n');

export interface Notifier {
  /** False outside systemd (no $NOTIFY_SOCKET): every call is a no-op. */
  readonly enabled: boolean;
  /** Half of $WATCHDOG_USEC in ms when systemd expects pings for this process, else null. */
  readonly watchdogIntervalMs: number | null;
  ready(status?: string): void;
  status(text: string): void;
  watchdog(): void;
  stopping(): void;
  /** Stop the pings and the helper. */
  close(): void;
}

export interface NotifierOptions {
  readonly python?: string;
  readonly onError?: (message: string) => void;
}

type Env = Readonly<Record<string, string | undefined>>;

export function createNotifier(env: Env = process.env, o: NotifierOptions = {}): Notifier {
  const socket = env.NOTIFY_SOCKET;
  const wdUsec = Number(env.WATCHDOG_USEC);
  const wdPid = env.WATCHDOG_PID;
  const watchdogIntervalMs = Number.isFinite(wdUsec) && wdUsec > 0 && (wdPid === undefined || wdPid === '' || Number(wdPid) === process.pid) ? Math.max(1, Math.floor(wdUsec / 2000)) : null;
  if (socket === undefined || socket === '') return noop;

  let helper: ChildProcess | null = null;
  let broken = false;
  let pinger: NodeJS.Timeout | null = null;
  const ensure = (): ChildProcess | null => {
    if (broken) return null;
    if (helper !== null && helper.exitCode === null && helper.signalCode === null) return helper;
    try {
      helper = spawn(o.python ?? '/usr/bin/python3', ['-c', HELPER], { stdio: ['pipe', 'ignore', 'pipe'], env: { NOTIFY_SOCKET: socket, PATH: '/usr/bin:/bin' } });
    } catch (err) {
      broken = true;
      o.onError?.(`sd-notify helper: ${err instanceof Error ? err.message : String(err)}`);
      return null;
    }
    const h = helper;
    h.on('error', (err) => {
      broken = true;
      o.onError?.(`sd-notify helper: ${err.message}`);
    });
    h.stdin!.on('error', () => undefined);
    h.stderr!.on('data', (d: Buffer) => o.onError?.(d.toString('utf8').trim()));
    h.unref();
    (h.stdin as unknown as { unref?: () => void }).unref?.();
    (h.stderr as unknown as { unref?: () => void }).unref?.();
    return h;
  };
  const send = (line: string) => {
    const h = ensure();
    if (h !== null && h.stdin !== null && h.stdin.writable) h.stdin.write(`${line.replace(/\n/g, ' ')}\n`);
  };
  const n: Notifier = {
    enabled: true,
    watchdogIntervalMs,
    ready(status) {
      send('READY=1');
      if (status !== undefined) send(`STATUS=${status}`);
      if (watchdogIntervalMs !== null && pinger === null) {
        // Pinged from a timer on the event loop: a stalled loop stops the pings.
        pinger = setInterval(() => send('WATCHDOG=1'), watchdogIntervalMs);
        pinger.unref();
      }
    },
    status: (text) => send(`STATUS=${text}`),
    watchdog: () => send('WATCHDOG=1'),
    stopping: () => send('STOPPING=1'),
    close() {
      if (pinger !== null) clearInterval(pinger);
      pinger = null;
      helper?.stdin?.end();
      helper = null;
    },
  };
  return n;
}

const noop: Notifier = Object.freeze({
  enabled: false,
  watchdogIntervalMs: null,
  ready: () => undefined,
  status: () => undefined,
  watchdog: () => undefined,
  stopping: () => undefined,
  close: () => undefined,
});
