/** Poll a condition (bounded): for state that lands asynchronously, e.g. batched audit rows. */
export async function eventually<T>(fn: () => T | undefined | null | false, timeoutMs = 5000, stepMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
