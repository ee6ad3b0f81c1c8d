import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const SD = path.join(ROOT, 'systemd');

/** `systemd-analyze verify` exits 0 on unknown keys: any stderr output is a failure. */
function verify(unitDir: string, unit: string): string {
  const r = spawnSync('systemd-analyze', ['verify', path.join(unitDir, unit)], { encoding: 'utf8' });
  return `${r.status === 0 ? '' : `exit ${r.status}\n`}${r.stderr}${r.stdout}`.trim();
}

function withDropins(dropins: string[]): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'otgate-unit-'));
  copyFileSync(path.join(SD, 'otgate.service'), path.join(dir, 'otgate.service'));
  mkdirSync(path.join(dir, 'otgate.service.d'));
  for (const d of dropins) copyFileSync(path.join(SD, 'otgate.service.d', d), path.join(dir, 'otgate.service.d', d));
  return dir;
}

describe('systemd units', () => {
  it('otgate.service verifies without a single warning', () => {
    const dir = withDropins([]);
    try {
      expect(verify(dir, 'otgate.service')).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each(readdirSync(path.join(SD, 'otgate.service.d')))('otgate.service + drop-in %s verifies without a warning', (dropin) => {
    const dir = withDropins([dropin]);
    try {
      expect(verify(dir, 'otgate.service')).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('otgate-relay-sim.service verifies without a warning', () => {
    expect(verify(SD, 'otgate-relay-sim.service')).toBe('');
  });

  it('is Type=notify with a watchdog, restarts on failure and is hardened', () => {
    const unit = readFileSync(path.join(SD, 'otgate.service'), 'utf8');
    for (const line of [
      'Type=notify', 'NotifyAccess=all', 'WatchdogSec=10s', 'Restart=on-failure', 'User=otgate', 'NoNewPrivileges=yes', 'ProtectSystem=strict',
      'ProtectHome=yes', 'PrivateTmp=yes', 'StateDirectory=otgate', 'ConfigurationDirectory=otgate', 'RuntimeDirectory=otgate',
      'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6', 'SystemCallFilter=@system-service', 'CapabilityBoundingSet=CAP_NET_BIND_SERVICE',
      'AmbientCapabilities=CAP_NET_BIND_SERVICE', 'KillMode=control-group',
    ]) expect(unit.split('\n')).toContain(line);
    // After the ~@resources line (a later allow line adds back): the audit writer lowers its own scheduling.
    const lines = unit.split('\n');
    const deny = lines.findIndex((l) => l.startsWith('SystemCallFilter=~@privileged @resources'));
    expect(deny).toBeGreaterThanOrEqual(0);
    expect(lines.indexOf('SystemCallFilter=setpriority sched_setscheduler')).toBeGreaterThan(deny);
    expect(readFileSync(path.join(SD, 'otgate.service.d', 'gpio.conf'), 'utf8')).toContain('SupplementaryGroups=gpio');
  });

  it('scores OK or better in systemd-analyze security', () => {
    // The base unit alone (next to its drop-ins, systemd-analyze would merge all of them).
    const dir = withDropins([]);
    let out: string;
    try {
      out = execFileSync('systemd-analyze', ['security', '--offline=yes', path.join(dir, 'otgate.service')], { encoding: 'utf8' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const m = /Overall exposure level for otgate\.service: ([0-9.]+) (\w+)/.exec(out);
    expect(m).not.toBeNull();
    // eslint-disable-next-line no-console
    console.log(`systemd-analyze security: ${m![1]} ${m![2]}`);
    expect(['PERFECT', 'SAFE', 'OK']).toContain(m![2]);
  });

  it('sysusers.d creates the otgate system user; tmpfiles.d creates its directories', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'otgate-sysroot-'));
    try {
      mkdirSync(path.join(root, 'etc'));
      mkdirSync(path.join(root, 'usr/lib/sysusers.d'), { recursive: true });
      mkdirSync(path.join(root, 'usr/lib/tmpfiles.d'), { recursive: true });
      copyFileSync(path.join(SD, 'sysusers.d', 'otgate.conf'), path.join(root, 'usr/lib/sysusers.d/otgate.conf'));
      copyFileSync(path.join(SD, 'tmpfiles.d', 'otgate.conf'), path.join(root, 'usr/lib/tmpfiles.d/otgate.conf'));
      execFileSync('systemd-sysusers', [`--root=${root}`], { stdio: 'pipe' });
      expect(readFileSync(path.join(root, 'etc/passwd'), 'utf8')).toMatch(/^otgate:x:\d+:\d+:otgate segmentation gateway:\/var\/lib\/otgate:\/usr\/sbin\/nologin$/m);
      expect(readFileSync(path.join(root, 'etc/group'), 'utf8')).toMatch(/^otgate:x:\d+:/m);
      execFileSync('systemd-tmpfiles', [`--root=${root}`, '--create'], { stdio: 'pipe' });
      expect(statSync(path.join(root, 'var/lib/otgate')).mode & 0o777).toBe(0o750);
      expect(statSync(path.join(root, 'etc/otgate')).mode & 0o777).toBe(0o750);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('install.sh and uninstall.sh parse, and refuse to run without root when asked for help only', () => {
    for (const s of ['install.sh', 'uninstall.sh']) execFileSync('bash', ['-n', path.join(ROOT, 'scripts', s)]);
    const help = execFileSync('bash', [path.join(ROOT, 'scripts', 'install.sh'), '--help'], { encoding: 'utf8' });
    expect(help).toContain('--uninstall');
    const bad = spawnSync('bash', [path.join(ROOT, 'scripts', 'install.sh'), '--frobnicate'], { encoding: 'utf8' });
    expect(bad.status).toBe(64);
  });
});
