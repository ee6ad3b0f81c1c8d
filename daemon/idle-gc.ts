/**
 * Gives back the memory that start-up leaves committed. Loading ~350 modules and parsing the
 * policy's YAML make V8 grow its young generation (two semi-spaces, 1 → 8 MB each with the
 * 100-rule bench policy), and it stays committed: ~14 MB of an idle daemon's RSS. V8 shrinks
 * it only in a full GC that sees a low allocation rate (< 1 KB/ms) over its last ~5 s of
 * samples; on an idle daemon that GC comes from V8's memory reducer 17–35 s after start, and
 * that reducer is armed only by a mark-compact. A full GC once the daemon has sat idle for a
 * few seconds does it at once (BENCHMARKS.md section 4, "Idle RSS"). A scavenge after start-up
 * can leave start-up's allocation inside V8's window, so an attempt that gave nothing back is
 * repeated a few times.
 *
 * An attempt is skipped while connections are open: a full GC is a 10–50 ms pause of the event
 * loop, which must not land on forwarded traffic; V8's own memory reducer still runs later.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

/** After the start-up allocation has aged out of V8's 5 s allocation-rate window. */
export const IDLE_GC_DELAY_MS = 6000;
export const IDLE_GC_ATTEMPTS = 5;
/** A young generation this small (1 MB semi-spaces) has nothing worth a GC to give back. */
const SMALL_YOUNG_BYTES = 2 * 1024 * 1024;

/** One full, synchronous GC. gc() is exposed only in contexts created while --expose-gc is set. */
export function fullGc(): void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed();
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  v8.setFlagsFromString('--no-expose-gc');
  gc();
}

/** Bytes V8 has reserved for the young generation (both semi-spaces). */
export function youngGenerationBytes(): number {
  return v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

export interface IdleGcOptions {
  readonly delayMs?: number;
  readonly attempts?: number;
  readonly gc?: () => void;
  readonly youngBytes?: () => number;
}

/**
 * Every `delayMs`, up to `attempts` times: when `idle()` holds, a full GC; done once the young
 * generation is small or that GC shrank it. The timers keep no process alive.
 */
export function scheduleIdleGc(idle: () => boolean, o: IdleGcOptions = {}): { cancel(): void } {
  const delay = o.delayMs ?? IDLE_GC_DELAY_MS;
  const gc = o.gc ?? fullGc;
  const young = o.youngBytes ?? youngGenerationBytes;
  let left = o.attempts ?? IDLE_GC_ATTEMPTS;
  let timer: NodeJS.Timeout;
  const arm = () => {
    timer = setTimeout(attempt, delay);
    timer.unref();
  };
  const attempt = () => {
    left--;
    if (idle()) {
      const before = young();
      if (before <= SMALL_YOUNG_BYTES) return;
      gc();
      if (young() < before) return;
    }
    if (left > 0) arm();
  };
  arm();
  return { cancel: () => clearTimeout(timer) };
}
