import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fullGc, IDLE_GC_ATTEMPTS, IDLE_GC_DELAY_MS, scheduleIdleGc } from '../../daemon/idle-gc';
import { ROOT } from '../helpers/gateway';

const tick = () => new Promise((r) => setImmediate(r));
const MB = 1024 * 1024;

describe('scheduleIdleGc', () => {
  afterEach(() => jest.useRealTimers());

  test('one full GC after the delay when idle; done once it shrank the young generation', () => {
    jest.useFakeTimers();
    let young = 16 * MB;
    const gc = jest.fn(() => {
      young = MB;
    });
    scheduleIdleGc(() => true, { gc, youngBytes: () => young });
    jest.advanceTimersByTime(IDLE_GC_DELAY_MS - 1);
    expect(gc).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(gc).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(10 * IDLE_GC_DELAY_MS);
    expect(gc).toHaveBeenCalledTimes(1);
  });

  test('a GC that gave nothing back is repeated, at most the given number of attempts', () => {
    jest.useFakeTimers();
    const gc = jest.fn();
    scheduleIdleGc(() => true, { gc, youngBytes: () => 16 * MB });
    jest.advanceTimersByTime(100 * IDLE_GC_DELAY_MS);
    expect(gc).toHaveBeenCalledTimes(IDLE_GC_ATTEMPTS);
  });

  test('no GC while connections are open or when the young generation is already small', () => {
    jest.useFakeTimers();
    const gc = jest.fn();
    const busy = jest.fn(() => false);
    scheduleIdleGc(busy, { gc, delayMs: 50, attempts: 3, youngBytes: () => 16 * MB });
    scheduleIdleGc(() => true, { gc, delayMs: 50, youngBytes: () => MB });
    jest.advanceTimersByTime(1000);
    expect(busy).toHaveBeenCalledTimes(3);
    expect(gc).not.toHaveBeenCalled();
  });

  test('cancel() stops it', () => {
    jest.useFakeTimers();
    const gc = jest.fn();
    scheduleIdleGc(() => true, { gc, youngBytes: () => 16 * MB }).cancel();
    jest.advanceTimersByTime(100 * IDLE_GC_DELAY_MS);
    expect(gc).not.toHaveBeenCalled();
  });

  test('its timer keeps no process alive', () => {
    const mod = path.join(ROOT, 'dist', 'daemon', 'idle-gc.js');
    const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(mod)}).scheduleIdleGc(() => false)`], { timeout: 20_000 });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(0);
  });
});

describe('fullGc', () => {
  test('collects unreachable objects and leaves gc() unexposed to the program', async () => {
    const hadGc = typeof (globalThis as { gc?: unknown }).gc === 'function';
    let target: object | null = { payload: new Array(1000).fill(7) };
    const ref = new WeakRef(target);
    target = null;
    await tick(); // a WeakRef keeps its target alive until the current job ends
    fullGc();
    expect(ref.deref()).toBeUndefined();
    expect(typeof (globalThis as { gc?: unknown }).gc === 'function').toBe(hadGc);
  });
});
