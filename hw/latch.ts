/**
 * The relay's persisted state (the latch). Written atomically (temp file, fsync, rename, fsync
 * of the directory) before a trip is reported done and before a restore closes the contact, so a
 * daemon that dies at any point comes back knowing whether the relay is tripped.
 *
 * `running` tells a clean stop from a crash: it is set at start and cleared by a clean stop. A
 * crash while connected means the external watchdog opened the contact: the next start latches
 * that as a heartbeat-loss trip instead of reconnecting by itself.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { RelayState } from './relay';

export interface LatchState {
  readonly version: 1;
  /** What otgate last commanded. */
  readonly state: RelayState;
  /** True once tripped, until an authorized restore. */
  readonly tripped: boolean;
  /** The trip that set the latch (null when not tripped). */
  readonly trip: {
    readonly cause: string;
    readonly actor: string | null;
    readonly reason: string | null;
    /** ms since the epoch. */
    readonly at: number;
  } | null;
  /** A daemon holds the relay now (cleared by a clean stop). */
  readonly running: boolean;
  /** ms since the epoch of the last write. */
  readonly updated: number;
}

/** A fresh installation: nothing tripped, nothing commanded yet, no unclean exit to account for. */
export const INITIAL_LATCH: LatchState = Object.freeze({ version: 1, state: 'isolated', tripped: false, trip: null, running: false, updated: 0 });

export type LatchRead =
  | { readonly kind: 'ok'; readonly latch: LatchState }
  | { readonly kind: 'missing' }
  /** Unreadable or corrupt: the caller must treat it as tripped (fail safe), never as clear. */
  | { readonly kind: 'corrupt'; readonly error: string };

export class LatchFile {
  constructor(readonly file: string) {}

  read(): LatchRead {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
      return { kind: 'corrupt', error: err instanceof Error ? err.message : String(err) };
    }
    try {
      const v = JSON.parse(text) as Partial<LatchState>;
      if (v.version !== 1 || (v.state !== 'connected' && v.state !== 'isolated') || typeof v.tripped !== 'boolean' || typeof v.running !== 'boolean') {
        return { kind: 'corrupt', error: 'unexpected content' };
      }
      return { kind: 'ok', latch: v as LatchState };
    } catch (err) {
      return { kind: 'corrupt', error: err instanceof Error ? err.message : String(err) };
    }
  }

  /** Atomic replace; throws on I/O failure (the caller decides: a trip still opens the contact). */
  write(latch: LatchState): void {
    const dir = path.dirname(this.file);
    mkdirSync(dir, { recursive: true, mode: 0o750 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w', 0o640);
    try {
      writeSync(fd, `${JSON.stringify(latch, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
    try {
      const dfd = openSync(dir, 'r');
      try {
        fsyncSync(dfd);
      } finally {
        closeSync(dfd);
      }
    } catch {
      // Some filesystems refuse fsync on a directory; the rename itself is still atomic.
    }
  }
}
