/** The MQTT inspector against a recording ActionSink, with a compiled policy (no sockets). */
import fc from 'fast-check';
import { generate, parser, type Packet } from 'mqtt-packet';
import { compilePolicy } from '../../rules/compile';
import { formatDiagnostic } from '../../rules/diagnostics';
import { loadPolicyText } from '../../rules/load';
import type { Direction } from '../../protocols/common';
import type { ActionSink, DecisionEvent, FlowContext, PipelineEnv } from '../../daemon/pipeline/contract';
import { createMqttInspector } from '../../daemon/pipeline/mqtt-inspector';

const policyText = (mode: string, v3: string) => `
version: 1
site: t
defaults: { mode: ${mode}, audit: { allowed: all } }
zones:
  - { name: field, level: 0, networks: [127.0.0.0/8] }
assets:
  - { name: pc-101, zone: field, address: 127.0.0.101 }
  - { name: broker, zone: field, address: 127.0.0.50 }
conduits:
  - name: sensors
    from_zone: field
    to_zone: field
    protocol: mqtt
    listen: 127.0.0.1:1883
    upstream: { asset: broker, port: 1883 }
    limits: { max_frame_bytes: 4096 }
    mqtt: { v3_publish_deny: ${v3} }
    rules:
      - name: pc-101
        clients: [pc-101]
        mqtt:
          client_ids: ["pc-101"]
          publish: ["fab/etch/pc-101/telemetry"]
          subscribe: ["fab/etch/pc-101/cmd"]
          max_qos: 2
`;

interface Rig {
  feed(dir: Direction, bytes: Buffer, oneByOne?: boolean): void;
  forwarded: Record<Direction, Buffer[]>;
  replies: Record<Direction, Buffer[]>;
  closed: string[];
  events: DecisionEvent[];
}

function rig(mode = 'enforce', v3 = 'ack_drop'): Rig {
  const r = loadPolicyText(policyText(mode, v3), 't.yaml');
  if (!r.ok) throw new Error(r.errors.map(formatDiagnostic).join('\n'));
  const policy = compilePolicy(r.policy, { file: 't.yaml', hash: 'h' });
  const out: Rig = { feed: () => undefined, forwarded: { c2s: [], s2c: [] }, replies: { c2s: [], s2c: [] }, closed: [], events: [] };
  const env: PipelineEnv = {
    policy: () => policy, now: () => Date.parse('2026-06-01T00:00:00Z'), hrnow: () => 0n,
    record: (e) => out.events.push(e), sampleAllowed: () => true, count: () => undefined, violation: () => undefined,
  };
  const sink: ActionSink = {
    forward: (d, b) => out.forwarded[d].push(Buffer.from(b)),
    reply: (d, b) => out.replies[d].push(Buffer.from(b)),
    close: (why) => out.closed.push(why),
  };
  const ctx: FlowContext = { flowId: 'f1', conduit: 'sensors', protocol: 'mqtt', client: { ip: '127.0.0.101', port: 40000 }, server: { ip: '127.0.0.50', port: 1883 }, passive: false };
  const insp = createMqttInspector(ctx, env, sink);
  out.feed = (dir, bytes, oneByOne = false) => {
    if (!oneByOne) insp.feed(dir, bytes);
    else for (const b of bytes) insp.feed(dir, Buffer.from([b]));
  };
  return out;
}

const g = (p: Packet, v: 4 | 5) => generate(p, { protocolVersion: v });
const parse = (bufs: Buffer[], v: 4 | 5): Packet[] => {
  const ps: Packet[] = [];
  const pr = parser({ protocolVersion: v });
  pr.on('packet', (p: Packet) => ps.push(p));
  for (const b of bufs) pr.parse(b);
  return ps;
};
const connect = (v: 4 | 5, clientId = 'pc-101') => g({ cmd: 'connect', protocolVersion: v, clientId, keepalive: 30, clean: true }, v);
const connack = (v: 4 | 5) => g(v === 5 ? { cmd: 'connack', reasonCode: 0, sessionPresent: false } : { cmd: 'connack', returnCode: 0, sessionPresent: false }, v);
const publish = (v: 4 | 5, topic: string, qos: 0 | 1 | 2, messageId?: number) =>
  g({ cmd: 'publish', topic, payload: Buffer.from('{"pm":1}'), qos, messageId, retain: false, dup: false }, v);

function connected(v: 4 | 5, mode = 'enforce', v3 = 'ack_drop'): Rig {
  const r = rig(mode, v3);
  r.feed('c2s', connect(v));
  r.feed('s2c', connack(v));
  return r;
}

test('a sampled allowed PUBLISH is recorded after its chunk was forwarded, and before a later event of that chunk', () => {
  const r = connected(5);
  r.forwarded.c2s.length = 0;
  r.events.length = 0;
  const forwardedWhenRecorded: number[] = [];
  const push = r.events.push.bind(r.events);
  r.events.push = (...e) => {
    forwardedWhenRecorded.push(r.forwarded.c2s.length);
    return push(...e);
  };
  r.feed('c2s', Buffer.concat([publish(5, 'fab/etch/pc-101/telemetry', 1, 1), publish(5, 'fab/etch/pc-101/telemetry', 0)]));
  expect(r.forwarded.c2s).toHaveLength(1); // one chunk, one write
  expect(forwardedWhenRecorded).toEqual([1, 1]); // the old order recorded both with nothing forwarded
  r.feed('c2s', Buffer.concat([publish(5, 'fab/etch/pc-101/telemetry', 0), publish(5, 'fab/etch/other/telemetry', 0)]));
  expect(r.events.slice(2).map((e) => `${e.verdict} ${e.action}`)).toEqual(['allow forwarded', 'deny dropped']);
});

describe.each([false, true])('MQTT inspector (byte-by-byte: %s)', (oneByOne) => {
  it('forwards allowed packets byte-identical', () => {
    const r = rig();
    const bytes = Buffer.concat([connect(5), publish(5, 'fab/etch/pc-101/telemetry', 1, 1)]);
    r.feed('c2s', bytes, oneByOne);
    expect(Buffer.concat(r.forwarded.c2s)).toEqual(bytes);
    expect(r.closed).toEqual([]);
  });

  it('MQTT 5: SUBSCRIBE [#, allowed] → broker gets only the allowed filter, client gets [0x87, granted]', () => {
    const r = connected(5);
    r.forwarded.c2s.length = 0;
    r.feed('c2s', g({ cmd: 'subscribe', messageId: 7, subscriptions: [{ topic: '#', qos: 0 }, { topic: 'fab/etch/pc-101/cmd', qos: 1 }] }, 5), oneByOne);
    const [sub] = parse(r.forwarded.c2s, 5) as Extract<Packet, { cmd: 'subscribe' }>[];
    expect(sub!.subscriptions.map((s) => s.topic)).toEqual(['fab/etch/pc-101/cmd']);
    r.feed('s2c', g({ cmd: 'suback', messageId: 7, granted: [1] }, 5), oneByOne);
    expect(parse(r.forwarded.s2c.slice(1), 5)).toMatchObject([{ cmd: 'suback', messageId: 7, granted: [0x87, 1] }]);
    expect(r.events.find((e) => e.verdict === 'deny')).toMatchObject({ action: 'refused', reason: 'mqtt_subscribe_not_allowed', technique: 'T0861', fields: { type: 'SUBSCRIBE', topics: ['#', 'fab/etch/pc-101/cmd'] } });
  });

  it('MQTT 3.1.1: all filters denied → SUBACK 0x80 from the gateway, nothing to the broker', () => {
    const r = connected(4);
    r.forwarded.c2s.length = 0;
    r.feed('c2s', g({ cmd: 'subscribe', messageId: 9, subscriptions: [{ topic: '#', qos: 0 }] }, 4), oneByOne);
    expect(r.forwarded.c2s).toEqual([]);
    expect(parse(r.replies.c2s, 4)).toMatchObject([{ cmd: 'suback', messageId: 9, granted: [0x80] }]);
  });

  it('MQTT 5: denied PUBLISH QoS 1/2 → PUBACK/PUBREC 0x87; QoS 0 dropped', () => {
    const r = connected(5);
    r.forwarded.c2s.length = 0;
    r.feed('c2s', Buffer.concat([publish(5, 'fab/etch/th-102/telemetry', 1, 3), publish(5, 'x', 2, 4), publish(5, 'y', 0)]), oneByOne);
    expect(r.forwarded.c2s).toEqual([]);
    expect(parse(r.replies.c2s, 5)).toMatchObject([{ cmd: 'puback', messageId: 3, reasonCode: 0x87 }, { cmd: 'pubrec', messageId: 4, reasonCode: 0x87 }]);
    expect(r.events.filter((e) => e.verdict === 'deny').map((e) => e.action)).toEqual(['refused', 'refused', 'dropped']);
  });

  it('MQTT 3.1.1 ack_drop: PUBACK / PUBREC → PUBREL → PUBCOMP answered by the gateway', () => {
    const r = connected(4);
    r.forwarded.c2s.length = 0;
    r.feed('c2s', Buffer.concat([publish(4, 'other', 1, 3), publish(4, 'other', 2, 4), g({ cmd: 'pubrel', messageId: 4 }, 4)]), oneByOne);
    expect(r.forwarded.c2s).toEqual([]);
    expect(parse(r.replies.c2s, 4).map((p) => `${p.cmd}:${p.messageId}`)).toEqual(['puback:3', 'pubrec:4', 'pubcomp:4']);
    expect(r.closed).toEqual([]);
  });

  it('MQTT 3.1.1 v3_publish_deny: close closes the connection', () => {
    const r = connected(4, 'enforce', 'close');
    r.feed('c2s', publish(4, 'other', 1, 3), oneByOne);
    expect(r.closed).toHaveLength(1);
    expect(r.replies.c2s).toEqual([]);
  });

  it('CONNECT with an unbound client id → CONNACK 0x85 (v5) / 2 (3.1.1), then close', () => {
    for (const v of [5, 4] as const) {
      const r = rig();
      r.feed('c2s', connect(v, 'rogue'), oneByOne);
      expect(r.forwarded.c2s).toEqual([]);
      expect(parse(r.replies.c2s, v)).toMatchObject([v === 5 ? { cmd: 'connack', reasonCode: 0x85 } : { cmd: 'connack', returnCode: 2 }]);
      expect(r.closed).toHaveLength(1);
    }
  });

  it('drops broker deliveries outside the subscribe allowlist and acks them to the broker', () => {
    const r = connected(4);
    r.forwarded.s2c.length = 0;
    r.feed('s2c', Buffer.concat([publish(4, 'fab/etch/pc-101/cmd', 1, 5), publish(4, 'fab/secret', 1, 6)]), oneByOne);
    expect(parse(r.forwarded.s2c, 4)).toMatchObject([{ cmd: 'publish', topic: 'fab/etch/pc-101/cmd' }]);
    expect(parse(r.replies.s2c, 4)).toMatchObject([{ cmd: 'puback', messageId: 6 }]);
    expect(r.events.find((e) => e.reason === 'mqtt_delivery_not_allowed')).toMatchObject({ dir: 'response', action: 'dropped' });
  });

  it('a declared 268,435,455-byte packet closes at the header; nothing is forwarded', () => {
    const r = connected(4);
    r.forwarded.c2s.length = 0;
    r.feed('c2s', Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]), oneByOne);
    expect(r.closed).toHaveLength(1);
    expect(r.forwarded.c2s).toEqual([]);
    expect(r.events.at(-1)).toMatchObject({ anomaly: 'mqtt.packet_too_large', action: 'closed', technique: 'T0814' });
  });

  it('monitor mode forwards everything and records alerts', () => {
    const r = connected(5, 'monitor');
    r.feed('c2s', Buffer.concat([publish(5, 'other', 1, 3), g({ cmd: 'subscribe', messageId: 8, subscriptions: [{ topic: '#', qos: 0 }] }, 5)]), oneByOne);
    expect(parse(r.forwarded.c2s, 5).map((p) => p.cmd)).toEqual(['connect', 'publish', 'subscribe']);
    expect(r.replies.c2s).toEqual([]);
    expect(r.events.filter((e) => e.verdict === 'deny').map((e) => e.action)).toEqual(['alerted', 'alerted']);
  });
});

it('arbitrary bytes after a CONNECT never throw through the inspector', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }), (a, b) => {
      const r = connected(5);
      r.feed('c2s', Buffer.from(a));
      r.feed('s2c', Buffer.from(b));
    }),
    { numRuns: 150 },
  );
});
