/** Poll an async condition (bounded): resolves with its first truthy value. */
export async function until<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs = 5000, stepMs = 10): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
