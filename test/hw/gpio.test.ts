import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gpiodArgs, GpiodToolsBackend, GpioRelay, type GpioBackend, type GpioInputLine, type GpioOutputLine } from '../../hw/gpio';
import { eventually } from '../helpers/wait';

/** In-memory GPIO chip: outputs record every level; inputs read what the test sets. */
class FakeChip implements GpioBackend {
  readonly levels = new Map<number, boolean[]>();
  readonly inputs = new Map<number, boolean>();
  readonly released = new Set<number>();
  failOutputs = false;
  async output(_chip: string, line: number, initial: boolean): Promise<GpioOutputLine> {
    if (this.failOutputs) throw new Error('EBUSY: line requested by another consumer');
    this.levels.set(line, [initial]);
    return {
      set: async (v) => void this.levels.get(line)!.push(v),
      release: async () => void this.released.add(line),
    };
  }
  async input(_chip: string, line: number): Promise<GpioInputLine> {
    return { get: async () => this.inputs.get(line) ?? false, release: async () => undefined };
  }
  level(line: number): boolean | undefined {
    return this.levels.get(line)?.at(-1);
  }
}

const opts = { chip: 'gpiochip0', coilLine: 17, feedbackLine: 27, feedbackInverted: false, heartbeatLine: 22, keyswitchLine: 23 };

describe('gpio relay driver (injected lines)', () => {
  it('requests the coil low, drives it high to connect and low to isolate', async () => {
    const chip = new FakeChip();
    const r = new GpioRelay(opts, chip);
    await r.close();
    expect(chip.levels.get(17)).toEqual([false, true]);
    expect(r.commanded()).toBe('connected');
    await r.open();
    expect(chip.level(17)).toBe(false);
    expect(r.commanded()).toBe('isolated');
  });

  it('reads the feedback contact (plain and inverted) and the key-switch', async () => {
    const chip = new FakeChip();
    const r = new GpioRelay(opts, chip);
    chip.inputs.set(27, true);
    chip.inputs.set(23, false);
    expect(await r.read()).toEqual({ contact: 'connected', keyswitch: false, watchdogTripped: null });
    const inv = new GpioRelay({ ...opts, feedbackInverted: true }, chip);
    expect((await inv.read()).contact).toBe('isolated');
    const bare = new GpioRelay({ ...opts, feedbackLine: null, keyswitchLine: null }, new FakeChip());
    expect(await bare.read()).toEqual({ contact: 'unknown', keyswitch: null, watchdogTripped: null });
  });

  it('toggles the heartbeat line every beat', async () => {
    const chip = new FakeChip();
    const r = new GpioRelay(opts, chip);
    for (let i = 0; i < 4; i++) await r.heartbeat();
    expect(chip.levels.get(22)).toEqual([false, true, false, true, false]);
  });

  it('detach leaves the coil low and frees every line', async () => {
    const chip = new FakeChip();
    const r = new GpioRelay(opts, chip);
    await r.close();
    await r.detach();
    expect(chip.level(17)).toBe(true); // the line itself is freed: the pull-down drops the coil
    expect([...chip.released].sort()).toEqual([17, 22]);
    expect(r.commanded()).toBe('isolated');
    await expect(r.close()).rejects.toThrow(/detached/);
  });

  it('a busy or missing chip fails the command (reads say unknown) and is retried later', async () => {
    const chip = new FakeChip();
    chip.failOutputs = true;
    const r = new GpioRelay(opts, chip);
    await expect(r.close()).rejects.toThrow(/EBUSY/);
    expect((await r.read()).contact).toBe('unknown');
    chip.failOutputs = false;
    await r.close();
    expect(chip.level(17)).toBe(true);
  });
});

describe('libgpiod tools backend', () => {
  it('builds v1 and v2 argument vectors', () => {
    expect(gpiodArgs.set('v1', 'gpiochip0', 17, true)).toEqual(['--mode=signal', 'gpiochip0', '17=1']);
    expect(gpiodArgs.set('v2', 'gpiochip0', 17, false)).toEqual(['-c', 'gpiochip0', '-C', 'otgate', '17=0']);
    expect(gpiodArgs.get('v1', 'gpiochip0', 27)).toEqual(['-B', 'pull-down', 'gpiochip0', '27']);
    expect(gpiodArgs.get('v2', 'gpiochip0', 27)).toEqual(['-c', 'gpiochip0', '-b', 'pull-down', '--numeric', '27']);
  });

  describe('with stand-in gpioset/gpioget executables (no GPIO chip here)', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'otgate-gpiod-'));
      // gpioset stand-in: records "<pid> <args>" and holds until signalled, like --mode=signal.
      writeFileSync(path.join(dir, 'gpioset'), `#!/bin/sh\necho "$$ $*" >> ${dir}/holders\ntrap 'echo "$$ released" >> ${dir}/holders; exit 0' TERM INT\nwhile :; do sleep 0.05; done\n`);
      writeFileSync(path.join(dir, 'gpioget'), `#!/bin/sh\ncat ${dir}/input-$4 2>/dev/null || echo 0\n`);
      writeFileSync(path.join(dir, 'gpioset-fail'), '#!/bin/sh\necho "gpioset: error opening chip gpiochip9: No such file or directory" >&2\nexit 1\n');
      for (const f of ['gpioset', 'gpioget', 'gpioset-fail']) chmodSync(path.join(dir, f), 0o755);
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    const holders = () => (existsSync(path.join(dir, 'holders')) ? readFileSync(path.join(dir, 'holders'), 'utf8').trim().split('\n') : []);

    it('holds the coil with one gpioset process at a time and releases it on detach', async () => {
      const backend = new GpiodToolsBackend({ version: 'v1', gpioset: path.join(dir, 'gpioset'), gpioget: path.join(dir, 'gpioget') });
      const r = new GpioRelay({ ...opts, heartbeatLine: null }, backend);
      writeFileSync(path.join(dir, 'input-27'), '1\n');
      await r.close();
      expect((await r.read()).contact).toBe('connected');
      await r.open();
      await r.detach();
      const lines = holders();
      const started = lines.filter((l) => !l.endsWith('released'));
      expect(started.map((l) => l.split(' ').slice(1).join(' '))).toEqual(['--mode=signal gpiochip0 17=0', '--mode=signal gpiochip0 17=1', '--mode=signal gpiochip0 17=0']);
      await eventually(() => holders().filter((l) => l.endsWith('released')).length === 3);
    });

    it('a gpioset that exits at once is an error with its message', async () => {
      const backend = new GpiodToolsBackend({ version: 'v1', gpioset: path.join(dir, 'gpioset-fail'), pdeathsig: false });
      const r = new GpioRelay(opts, backend);
      await expect(r.close()).rejects.toThrow(/No such file or directory/);
    });
  });
});
