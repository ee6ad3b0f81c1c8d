/**
 * Newline-delimited JSON over a stream socket (the relay simulator and the management socket).
 * Lines are bounded: a peer that sends more than `maxLine` bytes without a newline is cut off
 * instead of growing our buffer.
 */
import type net from 'node:net';

export const MAX_LINE_BYTES = 64 * 1024;

/** Calls onLine for every complete line; onOversize once (then ignores the socket) on a too-long line. */
export function readLines(sock: net.Socket, onLine: (line: string) => void, onOversize: () => void, maxLine = MAX_LINE_BYTES): void {
  let parts: Buffer[] = [];
  let size = 0;
  let dead = false;
  sock.on('data', (chunk: Buffer) => {
    if (dead) return;
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, from);
      if (nl < 0) break;
      const piece = chunk.subarray(from, nl);
      if (size + piece.length > maxLine) {
        dead = true;
        onOversize();
        return;
      }
      const line = size === 0 ? piece.toString('utf8') : Buffer.concat([...parts, piece]).toString('utf8');
      parts = [];
      size = 0;
      from = nl + 1;
      if (line.trim() !== '') onLine(line);
      if (dead) return;
    }
    const rest = chunk.subarray(from);
    if (rest.length === 0) return;
    if (size + rest.length > maxLine) {
      dead = true;
      onOversize();
      return;
    }
    parts.push(Buffer.from(rest));
    size += rest.length;
  });
}

/** JSON.parse that returns undefined instead of throwing; only plain objects count. */
export function parseObject(line: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(line);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function writeLine(sock: net.Socket, value: unknown): void {
  if (!sock.destroyed && sock.writable) sock.write(`${JSON.stringify(value)}\n`);
}
