import dgram from 'node:dgram';
import net from 'node:net';
import { formatSyslog, octetFrame, parseSiemTarget, SiemForwarder } from '../../daemon/audit/siem';
import type { DecisionEvent } from '../../daemon/pipeline/contract';
import { eventually } from '../helpers/wait';
import { allowEvent, anomalyEvent, denyEvent, T0 } from './audit-fixtures';

const HOST = '127.0.0.1';
const HEADER = { facility: 16, hostname: 'gw-1', appName: 'otgate', procId: '42' };
// RFC 5424 §6: <PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP SD SP MSG
const SYSLOG = /^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) (-) (.*)$/s;

function parse(msg: string) {
  const m = SYSLOG.exec(msg);
  if (!m) throw new Error(`not RFC 5424: ${msg}`);
  return { pri: Number(m[1]), ts: m[2], host: m[3], app: m[4], procId: m[5], msgId: m[6], body: JSON.parse(m[8]!) as DecisionEvent };
}

/** RFC 6587 §3.4.1 octet-counting deframer. */
function deframe(buf: Buffer): { msgs: string[]; rest: Buffer } {
  const msgs: string[] = [];
  let off = 0;
  for (;;) {
    const sp = buf.indexOf(0x20, off);
    if (sp < 0) break;
    const len = Number(buf.subarray(off, sp).toString('ascii'));
    if (!Number.isInteger(len)) throw new Error('bad frame length');
    if (buf.length < sp + 1 + len) break;
    msgs.push(buf.subarray(sp + 1, sp + 1 + len).toString('utf8'));
    off = sp + 1 + len;
  }
  return { msgs, rest: buf.subarray(off) };
}

function tcpListener(port = 0) {
  const got: string[] = [];
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((s) => {
    connections++;
    sockets.add(s);
    let rest: Buffer = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      const r = deframe(Buffer.concat([rest, d]));
      got.push(...r.msgs);
      rest = r.rest;
    });
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  });
  const listening = new Promise<number>((resolve) => server.listen(port, HOST, () => resolve((server.address() as net.AddressInfo).port)));
  return {
    got,
    listening,
    connections: () => connections,
    dropClients: () => {
      for (const s of sockets) s.destroy();
    },
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, HOST, () => r()));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('format', () => {
  test('RFC 5424 header, warning severity for violations, informational for allowed', () => {
    const deny = parse(formatSyslog(denyEvent(1), HEADER));
    expect(deny).toMatchObject({ pri: 16 * 8 + 4, ts: new Date(T0 + 1).toISOString(), host: 'gw-1', app: 'otgate', procId: '42', msgId: 'deny' });
    expect(deny.body).toEqual(denyEvent(1));
    expect(parse(formatSyslog(allowEvent(2), HEADER))).toMatchObject({ pri: 16 * 8 + 6, msgId: 'allow' });
    expect(parse(formatSyslog(anomalyEvent(3), HEADER))).toMatchObject({ pri: 16 * 8 + 4, msgId: 'anomaly' });
  });

  test('MSG is ASCII JSON; header fields are sanitised; oversize messages lose their fields', () => {
    const e = denyEvent(1, { summary: 'écrire → 600 °C', fields: { pad: 'x'.repeat(10_000) } });
    const line = formatSyslog(e, { ...HEADER, hostname: 'gw 1\u00e9' }, 2048);
    expect(line).toMatch(/^[\x20-\x7e]*$/);
    const p = parse(line);
    expect(p.host).toBe('gw_1_');
    expect(p.body.summary).toBe('écrire → 600 °C');
    expect(p.body.fields).toEqual({ truncated: true });
    expect(line.length).toBeLessThanOrEqual(2048);
  });

  test('octet counting frames by byte length', () => {
    expect(octetFrame('héllo').toString('utf8')).toBe('6 héllo');
    expect(deframe(Buffer.concat([octetFrame('a b'), octetFrame('\n')])).msgs).toEqual(['a b', '\n']);
  });

  test('targets', () => {
    expect(parseSiemTarget('udp://127.0.0.1:514')).toEqual({ transport: 'udp', host: '127.0.0.1', port: 514 });
    expect(parseSiemTarget('tcp://[::1]:6514')).toEqual({ transport: 'tcp', host: '::1', port: 6514 });
    expect(() => parseSiemTarget('http://x:1')).toThrow(/bad SIEM target/);
    expect(() => parseSiemTarget('udp://x:70000')).toThrow(/bad SIEM target/);
  });
});

describe('UDP', () => {
  test('one datagram per violation to a loopback listener; allowed events only with include: all', async () => {
    const sock = dgram.createSocket('udp4');
    const got: string[] = [];
    sock.on('message', (m) => got.push(m.toString('utf8')));
    await new Promise<void>((r) => sock.bind(0, HOST, () => r()));
    const port = sock.address().port;
    const fwd = new SiemForwarder({ transport: 'udp', host: HOST, port, hostname: 'gw-1' });
    const all = new SiemForwarder({ transport: 'udp', host: HOST, port, include: 'all' });
    try {
      fwd.send(denyEvent(1));
      fwd.send(allowEvent(2)); // not a violation: not forwarded by default
      fwd.send(anomalyEvent(3));
      all.send(allowEvent(4));
      await eventually(() => got.length >= 3);
      const bodies = got.map((m) => parse(m).body.ts - T0).sort();
      expect(bodies).toEqual([1, 3, 4]);
      expect(fwd.stats()).toMatchObject({ sent: 2, dropped: 0, queued: 0 });
    } finally {
      await fwd.close();
      await all.close();
      sock.close();
    }
  });
});

describe('TCP', () => {
  test('octet-counted messages arrive in order on a loopback listener', async () => {
    const l = tcpListener();
    const port = await l.listening;
    const fwd = new SiemForwarder({ transport: 'tcp', host: HOST, port, hostname: 'gw-1' });
    try {
      for (let i = 0; i < 50; i++) fwd.send(denyEvent(i, { summary: `line one\nline two ${i}` }));
      await eventually(() => l.got.length === 50);
      expect(l.got.map((m) => parse(m).body.summary)).toEqual(Array.from({ length: 50 }, (_, i) => `line one\nline two ${i}`));
    } finally {
      await fwd.close();
      await l.close();
    }
  });

  test('queues while the SIEM is down, reconnects with backoff, then delivers', async () => {
    const port = await freePort();
    const fwd = new SiemForwarder({ transport: 'tcp', host: HOST, port, reconnectMinMs: 10, reconnectMaxMs: 40 });
    const l = tcpListener(port);
    try {
      fwd.send(denyEvent(1));
      fwd.send(denyEvent(2));
      expect(fwd.stats().queued).toBe(2);
      await l.listening;
      await eventually(() => l.got.length === 2);
      // The SIEM drops the connection: the forwarder comes back on its own.
      l.dropClients();
      await eventually(() => l.connections() === 2 && fwd.stats().connected);
      fwd.send(denyEvent(3));
      await eventually(() => l.got.length === 3);
      expect(l.got.map((m) => parse(m).body.ts - T0)).toEqual([1, 2, 3]);
    } finally {
      await fwd.close();
      await l.close();
    }
  });

  test('a full queue drops and counts, and send never throws', async () => {
    const port = await freePort(); // nobody listens
    const fwd = new SiemForwarder({ transport: 'tcp', host: HOST, port, maxQueue: 3, reconnectMinMs: 1000 });
    try {
      for (let i = 0; i < 10; i++) expect(() => fwd.send(denyEvent(i))).not.toThrow();
      expect(fwd.stats()).toMatchObject({ queued: 3, dropped: 7, sent: 0 });
    } finally {
      await fwd.close(50);
    }
    expect(fwd.stats()).toMatchObject({ queued: 0, dropped: 10 });
  });
});
