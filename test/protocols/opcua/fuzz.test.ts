/**
 * Property: arbitrary bytes (and the recorded session) fed in arbitrary splits never throw, and
 * every step makes progress (a frame consumes ≥ 8 bytes, `need` asks for more than is buffered,
 * a malformed result is fatal or consumes).
 */
import fc from 'fast-check';
import path from 'node:path';
import { OpcuaSession } from '../../../protocols/opcua';
import type { Direction } from '../../../protocols/common';
import { loadHex } from '../../helpers/opcua-hex';

const opts = { maxMessageBytes: 1 << 16, maxChunkCount: 16, maxPendingRequests: 16, requestTimeoutMs: 5000 };
const blocks = loadHex(path.join(__dirname, 'fixtures', 'session-none.hex'));
const c2s = Buffer.concat(blocks.filter((b) => b.title.startsWith('c2s')).map((b) => b.bytes));

/** Feed `bytes` split at `cuts` the way an inspector does (carry-over buffer); returns frames seen. */
function feedSplit(bytes: Buffer, cuts: number[], dir: Direction): number {
  const s = new OpcuaSession(opts);
  let carry = Buffer.alloc(0);
  let frames = 0;
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    carry = Buffer.concat([carry, bytes.subarray(prev, p)]);
    prev = p;
    let off = 0;
    for (let guard = 0; guard < 10_000; guard++) {
      const r = s.next(dir, carry, off);
      if (r.kind === 'need') {
        expect(r.atLeast).toBeGreaterThan(carry.length - off);
        break;
      }
      if (r.kind === 'malformed') {
        expect(r.fatal || r.consume > 0).toBe(true);
        if (r.fatal) return frames;
        off += r.consume;
        continue;
      }
      expect(r.consumed).toBeGreaterThanOrEqual(8);
      off += r.consumed;
      frames++;
    }
    carry = carry.subarray(off);
  }
  return frames;
}

describe('OPC UA decoder under arbitrary input', () => {
  it('arbitrary bytes in arbitrary splits never throw and make progress', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.array(fc.nat(), { maxLength: 12 }), fc.constantFrom<Direction>('c2s', 's2c'), (bytes, cuts, dir) => {
        feedSplit(Buffer.from(bytes), cuts, dir);
      }),
      { numRuns: 300 },
    );
  });

  it('plausible headers with random bodies never throw', () => {
    const header = fc.tuple(fc.constantFrom('HELF', 'ACKF', 'ERRF', 'OPNF', 'MSGF', 'MSGC', 'MSGA', 'CLOF'), fc.uint8Array({ minLength: 8, maxLength: 300 }));
    fc.assert(
      fc.property(fc.array(header, { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 8 }), (parts, cuts) => {
        const bytes = Buffer.concat(parts.map(([t, body]) => {
          const h = Buffer.alloc(8);
          h.write(t, 0, 'latin1');
          h.writeUInt32LE(8 + body.length, 4);
          return Buffer.concat([h, Buffer.from(body)]);
        }));
        feedSplit(bytes, cuts, 'c2s');
      }),
      { numRuns: 300 },
    );
  });

  it('the recorded session decodes the same in any split', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 40 }), (cuts) => {
        expect(feedSplit(c2s, cuts, 'c2s')).toBe(blocks.filter((b) => b.title.startsWith('c2s')).length);
      }),
      { numRuns: 100 },
    );
  });
});
