import fc from 'fast-check';
import { TcpReassembler, type StreamSink } from '../../daemon/monitor/reassembly';

function collector() {
  const chunks: Buffer[] = [];
  const gaps: number[] = [];
  let mismatches = 0;
  const sink: StreamSink = {
    data: (b) => chunks.push(Buffer.from(b)),
    gap: (n) => gaps.push(n),
    overlapMismatch: () => mismatches++,
  };
  return { sink, chunks, gaps, text: () => Buffer.concat(chunks).toString('latin1'), mismatches: () => mismatches };
}

const ISN = 0xfffffff0; // sequence numbers wrap inside these tests

test('in-order, out-of-order and retransmitted segments give the stream once, in order', () => {
  const c = collector();
  const r = new TcpReassembler(c.sink);
  r.syn(ISN);
  const base = (ISN + 1) >>> 0;
  r.segment((base + 5) >>> 0, Buffer.from('fghij'), false); // early
  r.segment(base, Buffer.from('abcde'), false);
  r.segment(base, Buffer.from('abcde'), false); // retransmission
  r.segment((base + 8) >>> 0, Buffer.from('ijklm'), false); // overlap
  expect(c.text()).toBe('abcdefghijklm');
  expect(c.gaps).toEqual([]);
  expect(r.retransmitted).toBe(1);
});

test('first copy wins on overlapping held bytes, and the disagreement is reported', () => {
  const c = collector();
  const r = new TcpReassembler(c.sink);
  r.syn(100);
  r.segment(104, Buffer.from('XXXX'), false);
  r.segment(104, Buffer.from('YYYY'), false);
  r.segment(101, Buffer.from('abc'), false);
  expect(c.text()).toBe('abcXXXX');
  expect(c.mismatches()).toBe(1);
});

test('the peer acknowledging past a hole turns it into a gap; held bytes follow', () => {
  const c = collector();
  const r = new TcpReassembler(c.sink);
  r.syn(0);
  r.segment(1, Buffer.from('ab'), false);
  r.segment(6, Buffer.from('fg'), false);
  r.ack(8);
  expect(c.gaps).toEqual([3]);
  expect(c.text()).toBe('abfg');
});

test('held bytes are capped: over the cap the first hole is given up', () => {
  const c = collector();
  const r = new TcpReassembler(c.sink, { maxHeldBytes: 8, maxHeldSegments: 100 });
  r.syn(0);
  r.segment(11, Buffer.from('12345'), false);
  r.segment(16, Buffer.from('67890'), false);
  expect(c.gaps).toEqual([10]);
  expect(c.text()).toBe('1234567890');
});

test('a FIN acknowledged is not a gap', () => {
  const c = collector();
  const r = new TcpReassembler(c.sink);
  r.syn(0);
  r.segment(1, Buffer.from('abc'), true);
  r.ack(5);
  expect(c.gaps).toEqual([]);
  expect(r.finished).toBe(true);
});

test('property: any segmentation, order and duplication of a stream reassembles to the stream', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 200 }),
      fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 50 }),
      fc.array(fc.nat(), { maxLength: 20 }),
      fc.integer({ min: 0, max: 0xffffffff }),
      (bytes, sizes, swaps, isn) => {
        const data = Buffer.from(bytes);
        const segs: { seq: number; b: Buffer }[] = [];
        for (let off = 0, i = 0; off < data.length; i++) {
          const n = sizes[i % sizes.length]!;
          segs.push({ seq: (isn + 1 + off) >>> 0, b: data.subarray(off, off + n) });
          off += n;
        }
        for (const s of swaps) {
          // Reorder and duplicate within a window, as a network would.
          const i = s % segs.length;
          const j = Math.min(segs.length - 1, i + 1 + (s % 3));
          [segs[i], segs[j]] = [segs[j]!, segs[i]!];
          if (s % 4 === 0) segs.splice(j, 0, segs[i]!);
        }
        const c = collector();
        const r = new TcpReassembler(c.sink);
        r.syn(isn);
        for (const s of segs) r.segment(s.seq, s.b, false);
        r.flush();
        expect(c.gaps).toEqual([]);
        expect(Buffer.concat(c.chunks).equals(data)).toBe(true);
      },
    ),
    { numRuns: 200 },
  );
});
