/**
 * Keeps process.nextTick fast for the daemon's life (imported first by main.ts and by log.ts).
 * Found with --cpu-prof on the forwarding path: BENCHMARKS.md, "Where the misses come from".
 */
import { executionAsyncResource } from 'node:async_hooks';

/**
 * One of Node's own tick objects (`process.nextTick`'s `{ [async_id], [trigger_id], callback,
 * args }`), kept for the life of the process. Why: V8 records the first tick object's hidden-class
 * chain in nextTick's feedback for those literal property definitions, and that feedback holds the
 * classes weakly; a full GC while no tick object is alive clears them, the next nextTick then sees
 * "another" class and the feedback goes megamorphic for good (V8's
 * Runtime_DefineKeyedOwnPropertyInLiteral), so every nextTick of every socket defines the four
 * properties through the runtime (~0.8 µs each, ~1.7 µs per forwarded Modbus transaction). The
 * logger (log.ts) queues the process's first nextTick (winston's Logger is a readable-stream Transform that
 * resumes when piped into its transport) and start-up then allocates enough for a full GC. One
 * live tick object keeps the class chain, hence the feedback, monomorphic. Pinned at module load,
 * before anything of ours queues a tick. The feedback state is inferred (a release build cannot
 * print it); measured: nextTick 3.7–4.1 % of the daemon's busy samples without this, 0.3 % with it.
 */
let tickShape: object | null = null;
process.nextTick(() => {
  tickShape ??= executionAsyncResource();
});
/** The pinned tick object (null until the first ticks have run); for tests. */
export function pinnedTickObject(): object | null {
  return tickShape;
}
