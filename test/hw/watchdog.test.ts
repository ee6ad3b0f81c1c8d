import { HeartbeatSource, PulseWatchdog, type TimerApi } from '../../hw/watchdog';

/** A manual clock: timers fire only when the test advances time. */
function manualTimers(): TimerApi & { advance(ms: number): void } {
  let now = 0;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout: (fn, ms) => {
      const id = ++seq;
      timers.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout: (h) => void timers.delete(h as number),
    advance(ms) {
      const end = now + ms;
      for (;;) {
        const due = [...timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
        if (due === undefined) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].fn();
      }
      now = end;
    },
  };
}

describe('PulseWatchdog', () => {
  it('fires once when pulses stop for longer than the timeout, and re-arms on the next pulse', () => {
    const t = manualTimers();
    const fired: number[] = [];
    const w = new PulseWatchdog({ timeoutMs: 100, onExpire: (s) => fired.push(s), timers: t });
    w.pulse();
    for (let i = 0; i < 10; i++) {
      t.advance(50);
      w.pulse();
    }
    expect(fired).toEqual([]);
    t.advance(99);
    expect(fired).toEqual([]);
    t.advance(1);
    expect(fired).toEqual([100]);
    expect(w.hasExpired).toBe(true);
    t.advance(1000);
    expect(fired).toHaveLength(1);
    w.pulse();
    expect(w.hasExpired).toBe(false);
    t.advance(100);
    expect(fired).toHaveLength(2);
  });

  it('does not fire before the first pulse', () => {
    const t = manualTimers();
    const fired: number[] = [];
    new PulseWatchdog({ timeoutMs: 10, onExpire: (s) => fired.push(s), timers: t });
    t.advance(1000);
    expect(fired).toEqual([]);
  });
});

describe('HeartbeatSource', () => {
  it('pulses at once and then every period, and skips a period while the last pulse is still running', async () => {
    let calls = 0;
    let release: () => void = () => undefined;
    const hb = new HeartbeatSource({
      periodMs: 10,
      beat: () => {
        calls++;
        return new Promise<void>((r) => (release = r));
      },
    });
    hb.start();
    expect(calls).toBe(1);
    await new Promise((r) => setTimeout(r, 60));
    expect(calls).toBe(1); // the first pulse never finished: no pile-up
    release();
    await new Promise((r) => setTimeout(r, 40));
    hb.stop();
    expect(calls).toBeGreaterThan(1);
    expect(hb.stats().beats).toBeGreaterThanOrEqual(1);
  });

  it('reports failures and keeps beating', async () => {
    const errors: unknown[] = [];
    const hb = new HeartbeatSource({ periodMs: 5, beat: () => Promise.reject(new Error('bus down')), onError: (e) => errors.push(e) });
    hb.start();
    await new Promise((r) => setTimeout(r, 40));
    hb.stop();
    expect(errors.length).toBeGreaterThan(1);
    expect(hb.stats().failures).toBe(errors.length);
  });
});
