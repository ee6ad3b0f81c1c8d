/**
 * The audit writer thread's CPU scheduling: it must never hold up forwarding. Where the
 * forwarding thread has no core to itself (a Pi under load, or the benchmarks' pinned core),
 * a commit that wakes on the forwarding thread's core runs only while forwarding leaves that
 * core idle.
 *
 * Linux SCHED_IDLE (sched(7)) says exactly that: a waking normal thread preempts a SCHED_IDLE
 * one at once, while nice 19 only lowers the thread's share. On the benchmark VM the two
 * measured the same (BENCHMARKS.md, seventh round); under the shipped systemd unit, before it
 * allowed these calls, neither applied and the writer ran at the daemon's priority, which the
 * sixth round measured in the one-client p99. A SCHED_IDLE thread still gets a small share of
 * a saturated core, so the writer keeps up with a few hundred rows a second.
 *
 * Node has no call for a thread's policy, so util-linux `chrt` sets it on this thread's id
 * (unprivileged: a thread may lower its own scheduling). Nice 19 is set first, and stays
 * when chrt is missing or not permitted; the outcome lands in the shared state for the store
 * once chrt has answered.
 * Lowering is always permitted; the systemd unit allows the two system calls
 * (`setpriority`, `sched_setscheduler`) that its `~@resources` filter would refuse.
 */
import { execFile } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import os from 'node:os';

/** state[PRIORITY_SLOT] of the writer's shared Int32Array. */
export const PRIORITY_SLOT = 2;
export const WriterPriority = { pending: 0, normal: 1, nice: 2, idle: 3 } as const;
export type WriterPriorityName = keyof typeof WriterPriority;

export function priorityName(code: number): WriterPriorityName {
  return (Object.keys(WriterPriority) as WriterPriorityName[]).find((k) => WriterPriority[k] === code) ?? 'pending';
}

/** Call once, on the writer thread. Returns at once; chrt's outcome arrives in state later. */
export function lowerPriority(state: Int32Array): void {
  let level: number = WriterPriority.normal;
  try {
    os.setPriority(19); // pid 0: the calling thread (the nice value is per thread on Linux)
    level = WriterPriority.nice;
  } catch {
    // not permitted: the thread keeps the daemon's priority
  }
  let tid: string | undefined;
  try {
    tid = /^\d+\/task\/(\d+)$/.exec(readlinkSync('/proc/thread-self'))?.[1]; // "pid/task/tid"
  } catch {
    // not Linux
  }
  if (tid === undefined) {
    Atomics.store(state, PRIORITY_SLOT, level);
    return;
  }
  // 'pending' until chrt has answered.
  execFile('chrt', ['--idle', '--pid', '0', tid], { timeout: 5000 }, (err) => {
    Atomics.store(state, PRIORITY_SLOT, err === null ? WriterPriority.idle : level);
  });
}
