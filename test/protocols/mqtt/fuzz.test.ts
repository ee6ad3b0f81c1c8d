/** Property-based: arbitrary bytes in arbitrary splits never throw, and decoding always progresses. */
import fc from 'fast-check';
import { generate, type Packet } from 'mqtt-packet';
import { MqttPacketDecoder, MqttSession, type MqttPacket } from '../../../protocols/mqtt';
import type { Direction } from '../../../protocols/common';

const MAX = 4096;

/** The inspector's loop in miniature: carry buffer, decode at offsets, session on every frame. */
function drive(chunks: Buffer[], dir: Direction): { packets: MqttPacket[]; stopped: boolean; carried: number } {
  const decoder = new MqttPacketDecoder();
  const session = new MqttSession(8);
  if (dir === 's2c') session.observe('c2s', { cmd: 'connect', clientId: 'x', protocolVersion: 4 } as MqttPacket);
  let carry: Buffer = Buffer.alloc(0);
  const packets: MqttPacket[] = [];
  for (const chunk of chunks) {
    const buf = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    let off = 0;
    for (;;) {
      if (off >= buf.length) break;
      const r = decoder.decode(buf, off, session.version, MAX);
      if (r.kind === 'need') {
        expect(r.atLeast).toBeGreaterThan(buf.length - off); // progress: it really needs more
        expect(r.atLeast).toBeLessThanOrEqual(MAX); // bounded buffering
        break;
      }
      if (r.kind === 'malformed') {
        if (r.fatal) return { packets, stopped: true, carried: 0 };
        expect(r.consume).toBeGreaterThan(0);
        off += r.consume;
        continue;
      }
      expect(r.consumed).toBeGreaterThan(0);
      packets.push(r.frame.packet);
      session.observe(dir, r.frame.packet);
      off += r.consumed;
    }
    carry = Buffer.from(buf.subarray(off));
  }
  return { packets, stopped: false, carried: carry.length };
}

/** Cut `bytes` at the given (sorted, deduplicated) positions. */
function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const pos = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of pos) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  out.push(bytes.subarray(prev));
  return out;
}

const validPackets: Packet[] = [
  { cmd: 'connect', protocolVersion: 4, clientId: 'pc-101', keepalive: 30, clean: true, username: 'u', password: Buffer.from('p') },
  { cmd: 'publish', topic: 'fab/etch/pc-101/telemetry', payload: Buffer.from('{"pm":3}'), qos: 1, messageId: 1, retain: false, dup: false },
  { cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: 'fab/+/+/telemetry', qos: 1 }, { topic: '#', qos: 0 }] },
  { cmd: 'pingreq' },
  { cmd: 'unsubscribe', messageId: 3, unsubscriptions: ['a/b'] },
  { cmd: 'disconnect' },
];
const validStream = Buffer.concat(validPackets.map((p) => generate(p, { protocolVersion: 4 })));

describe('MQTT decoding under arbitrary bytes and segmentation', () => {
  it('arbitrary bytes in arbitrary splits never throw and always progress (both directions)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.array(fc.nat(), { maxLength: 12 }), fc.boolean(), (bytes, cuts, c2s) => {
        drive(split(Buffer.from(bytes), cuts), c2s ? 'c2s' : 's2c');
      }),
      { numRuns: 400 },
    );
  });

  it('a valid stream decodes to the same packets however it is split', () => {
    const whole = drive([validStream], 'c2s');
    expect(whole.packets.map((p) => p.cmd)).toEqual(validPackets.map((p) => p.cmd));
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 30 }), (cuts) => {
        const r = drive(split(validStream, cuts), 'c2s');
        expect(r.packets.map((p) => p.cmd)).toEqual(whole.packets.map((p) => p.cmd));
        expect(r.carried).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('valid packets with flipped bytes never throw', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 8 }), (flips, cuts) => {
        const b = Buffer.from(validStream);
        for (const [i, v] of flips) b[i % b.length] = v;
        drive(split(b, cuts), 'c2s');
      }),
      { numRuns: 400 },
    );
  });

  it('v5 packets with flipped bytes never throw (properties parsing)', () => {
    const v5 = Buffer.concat([
      generate({ cmd: 'connect', protocolVersion: 5, clientId: 'a', keepalive: 5, clean: true, properties: { topicAliasMaximum: 3, userProperties: { k: 'v' } } }, { protocolVersion: 5 }),
      generate({ cmd: 'publish', topic: 't/1', payload: Buffer.from('1'), qos: 1, messageId: 4, retain: false, dup: false, properties: { topicAlias: 1, contentType: 'json' } }, { protocolVersion: 5 }),
      generate({ cmd: 'subscribe', messageId: 5, properties: { subscriptionIdentifier: 3 }, subscriptions: [{ topic: 'x/+', qos: 1, nl: true, rap: true, rh: 2 }] }, { protocolVersion: 5 }),
    ]);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 8 }), (flips, cuts) => {
        const b = Buffer.from(v5);
        for (const [i, v] of flips) b[i % b.length] = v;
        drive(split(b, cuts), 'c2s');
      }),
      { numRuns: 400 },
    );
  });
});
