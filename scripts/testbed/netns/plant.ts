/**
 * The plant in network namespaces: one namespace per Purdue level (ops, hmi, ctl) and one for
 * the gateway, joined only by veth pairs to the gateway. No namespace has a link to the
 * machine's own namespace, and the level namespaces route only the plant's supernet, via
 * otgate — the 10.x addresses exist nowhere else. Names carry a per-run prefix (pid), and
 * teardown kills what was spawned (by pid) and deletes the namespaces, also on signals.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { PLANT, type LevelNs } from '../scenarios';

export type NsName = LevelNs | 'gw';

export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Root and a working `ip netns`: the testbed's preconditions, with the reason when missing. */
export function netnsAvailable(): { ok: true } | { ok: false; reason: string } {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return { ok: false, reason: `needs root (uid ${process.getuid?.() ?? '?'}) to create network namespaces` };
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'pipe', timeout: 5000 });
  } catch (err) {
    return { ok: false, reason: `\`ip netns\` is not usable: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` };
  }
  try {
    execFileSync('nft', ['--version'], { stdio: 'pipe', timeout: 5000 });
  } catch {
    return { ok: false, reason: 'nft (nftables) is not installed' };
  }
  return { ok: true };
}

function run(cmd: string, args: readonly string[], timeoutMs = 15_000): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(cmd, [...args], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) || (err?.message ?? '') });
    });
  });
}

async function must(cmd: string, args: readonly string[]): Promise<void> {
  const r = await run(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr.trim()}`);
}

export class NetnsPlant {
  private readonly children = new Set<ChildProcess>();
  private readonly created: string[] = [];
  private tornDown = false;
  private readonly onExit = () => this.teardownSync();

  private constructor(readonly prefix: string) {
    process.once('exit', this.onExit);
  }

  /** Namespace name of a level (or the gateway) in this run. */
  ns(n: NsName): string {
    return `${this.prefix}-${n}`;
  }

  static async build(prefix = `otgate${process.pid}`): Promise<NetnsPlant> {
    const p = new NetnsPlant(prefix);
    try {
      await p.create();
    } catch (err) {
      await p.teardown();
      throw err;
    }
    return p;
  }

  private async create(): Promise<void> {
    const gw = this.ns('gw');
    for (const n of ['gw', ...PLANT.levels.map((l) => l.ns)] as NsName[]) {
      await must('ip', ['netns', 'add', this.ns(n)]);
      this.created.push(this.ns(n));
      await must('ip', ['-n', this.ns(n), 'link', 'set', 'lo', 'up']);
    }
    for (const l of PLANT.levels) {
      const ns = this.ns(l.ns);
      const len = l.network.split('/')[1];
      // The veth is born inside the two namespaces: it never exists in the machine's own.
      await must('ip', ['link', 'add', l.gatewayInterface, 'netns', gw, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      await must('ip', ['-n', gw, 'addr', 'add', `${l.gateway}/${len}`, 'dev', l.gatewayInterface]);
      await must('ip', ['-n', gw, 'link', 'set', l.gatewayInterface, 'up']);
      for (const h of l.hosts) await must('ip', ['-n', ns, 'addr', 'add', `${h.address}/${len}`, 'dev', 'eth0']);
      await must('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
      // Only the plant's supernet, only via otgate; the first host is the default source.
      await must('ip', ['-n', ns, 'route', 'add', PLANT.supernet, 'via', l.gateway, 'src', l.hosts[0]!.address]);
    }
    // Forwarding on, so a bypass attempt is stopped by the ruleset, not by a missing route.
    await must('ip', ['netns', 'exec', gw, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
  }

  exec(n: NsName, argv: readonly string[], timeoutMs = 15_000): Promise<ExecResult> {
    return run('ip', ['netns', 'exec', this.ns(n), ...argv], timeoutMs);
  }

  /** A long-running process in a namespace (`ip netns exec` execs it: the pid is the process's). */
  spawn(n: NsName, argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.ns(n), ...argv], { stdio: ['pipe', 'pipe', 'pipe'], env });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  async teardown(): Promise<void> {
    if (this.tornDown) return;
    this.tornDown = true;
    process.removeListener('exit', this.onExit);
    const exits = [...this.children].map((c) => new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve();
      const t = setTimeout(() => {
        if (c.pid !== undefined) try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
      }, 2000);
      c.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      if (c.pid !== undefined) try { process.kill(c.pid, 'SIGTERM'); } catch { resolve(); }
    }));
    await Promise.all(exits);
    for (const ns of this.created.reverse()) await run('ip', ['netns', 'del', ns]);
    this.created.length = 0;
  }

  /** Last resort on process exit: synchronous kill + delete. */
  private teardownSync(): void {
    if (this.tornDown) return;
    this.tornDown = true;
    for (const c of this.children) if (c.pid !== undefined) try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
    for (const ns of this.created.reverse()) try { execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }); } catch { /* gone */ }
  }

  /** Namespaces of this run that still exist (for the teardown check). */
  static remaining(prefix: string): string[] {
    const out = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    return out.split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.startsWith(`${prefix}-`));
  }
}
