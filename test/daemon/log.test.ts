import { PassThrough } from 'node:stream';
import { createLogger, isSecretName, logDecision, redact, REDACTED } from '../../daemon/log';
import { pinnedTickObject } from '../../daemon/tick-shape';
import { allowEvent, anomalyEvent, denyEvent } from './audit-fixtures';

function capture(opts: { level?: string; json?: boolean; color?: boolean; tty?: boolean; redact?: string[] } = {}) {
  const stream = new PassThrough();
  if (opts.tty) (stream as PassThrough & { isTTY?: boolean }).isTTY = true;
  const lines: string[] = [];
  let buf = '';
  stream.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts);
  });
  const { tty: _t, level, ...rest } = opts;
  const log = createLogger({ level: level ?? 'debug', stream, ...rest });
  return { log, lines };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('format', () => {
  test('off a TTY: one JSON object per line with ts, level, msg, fields', async () => {
    const { log, lines } = capture();
    log.info('conduit hmi listening', { conduit: 'hmi', port: 5020 });
    log.warn('plain');
    await tick();
    expect(lines).toHaveLength(2);
    const a = JSON.parse(lines[0]!);
    expect(Object.keys(a)).toEqual(['ts', 'level', 'msg', 'fields']);
    expect(a).toMatchObject({ level: 'info', msg: 'conduit hmi listening', fields: { conduit: 'hmi', port: 5020 } });
    expect(Number.isFinite(Date.parse(a.ts))).toBe(true);
    expect(JSON.parse(lines[1]!)).toEqual({ ts: expect.any(String), level: 'warn', msg: 'plain' });
  });

  test('on a TTY: a coloured one-liner with key=value fields', async () => {
    const { log, lines } = capture({ tty: true });
    log.error('cannot listen', { conduit: 'hmi plc', port: 502 });
    await tick();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('\x1b[31mERROR');
    expect(lines[0]).toMatch(/^\S*\d\d:\d\d:\d\d\.\d{3}\S* \S*ERROR\S* cannot listen\S* conduit="hmi plc" port=502/);
  });

  test('readable without colour when asked (json: false, color: false)', async () => {
    const { log, lines } = capture({ json: false, color: false });
    log.info('hello', { a: 1 });
    await tick();
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO  hello a=1$/);
  });

  test('levels filter; an unknown level is refused', async () => {
    const { log, lines } = capture({ level: 'warn' });
    log.info('no');
    log.debug('no');
    log.warn('yes');
    await tick();
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['yes']);
    expect(() => createLogger({ level: 'verbose' })).toThrow(/unknown log level/);
  });
});

describe('redaction', () => {
  test('secret-looking names at any depth, explicit paths, PEM private keys', async () => {
    const { log, lines } = capture({ redact: ['peer.cert'] });
    log.info('connect', {
      client: 'hmi-1',
      password: 'hunter2',
      mqtt: { username: 'hmi', password: Buffer.from('pw'), will: { topic: 't' } },
      opcua: { userIdentityToken: { policyId: 'u', secret: 's' }, api_key: 'k', keyMaterial: 'm' },
      headers: [{ Authorization: 'Bearer x' }],
      peer: { cert: 'c', name: 'n' },
      blob: '-----BEGIN PRIVATE KEY-----\nMIIE...',
      n: 10n,
    });
    await tick();
    const f = JSON.parse(lines[0]!).fields;
    expect(f).toEqual({
      client: 'hmi-1',
      password: REDACTED,
      mqtt: { username: 'hmi', password: REDACTED, will: { topic: 't' } },
      opcua: { userIdentityToken: REDACTED, api_key: REDACTED, keyMaterial: REDACTED },
      headers: [{ Authorization: REDACTED }],
      peer: { cert: REDACTED, name: 'n' },
      blob: REDACTED,
      n: '10',
    });
    expect(lines[0]).not.toMatch(/hunter2|Bearer|BEGIN/);
  });

  test('names: secrets yes, ordinary protocol fields no', () => {
    for (const n of ['password', 'passwd', 'clientSecret', 'access_token', 'apiKey', 'private-key', 'key', 'sessionKey']) expect(isSecretName(n)).toBe(true);
    for (const n of ['keyword', 'address', 'topic', 'unit', 'monkey_id', 'fc']) expect(isSecretName(n)).toBe(false);
  });

  test('cycles and errors do not break a log line', () => {
    const o: Record<string, unknown> = { a: 1 };
    o.self = o;
    expect(redact({ o, err: new Error('boom') })).toEqual({ o: { a: 1, self: '[…]' }, err: { message: 'boom', stack: expect.any(String) } });
  });
});

describe('logDecision', () => {
  test('deny and anomaly at info, allow at debug (and skipped cheaply above debug)', async () => {
    const { log, lines } = capture({ level: 'debug' });
    logDecision(log, denyEvent(1));
    logDecision(log, anomalyEvent(2));
    logDecision(log, allowEvent(3));
    await tick();
    const recs = lines.map((l) => JSON.parse(l));
    expect(recs.map((r) => r.level)).toEqual(['info', 'info', 'debug']);
    expect(recs[0].msg).toContain('REFUSED hmi-chiller-plc 127.0.20.11:50000 → 127.0.10.21:502 FC 6 write');
    expect(recs[0].msg).toContain('[modbus_value_out_of_range] T0836');
    expect(recs[0].fields).toMatchObject({ verdict: 'deny', reason: 'modbus_value_out_of_range', technique: 'T0836' });

    const quiet = capture({ level: 'info' });
    logDecision(quiet.log, allowEvent(4));
    logDecision(quiet.log, denyEvent(5));
    await tick();
    expect(quiet.lines).toHaveLength(1);
  });
});

describe('tick-object pin', () => {
  it('holds one of process.nextTick\'s own tick objects once a tick has run', async () => {
    await new Promise<void>((r) => process.nextTick(r));
    const t = pinnedTickObject() as Record<string | symbol, unknown> | null;
    expect(t).not.toBeNull();
    // The shape nextTick builds (node:internal/process/task_queues): two async-id symbols, callback, args.
    // Node 24 adds kAsyncContextFrame to the literal, and AsyncLocalStorage stores (other code in a
    // jest worker) add kResourceStore symbols: the two async ids are what every version has.
    const symbols = Object.getOwnPropertySymbols(t).map((s) => s.description);
    expect(symbols.slice(0, 2)).toEqual(['async_id_symbol', 'trigger_async_id_symbol']);
    expect(symbols.filter((d) => d !== 'kResourceStore' && d !== 'kAsyncContextFrame')).toHaveLength(2);
    expect(Object.keys(t!)).toEqual(['callback', 'args']);
    expect(typeof t!.callback).toBe('function');
  });
});
