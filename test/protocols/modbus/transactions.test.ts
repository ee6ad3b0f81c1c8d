/** Request/response pairing (MB-TCP §4.4.1), with an injected clock. */
import { decodeModbusAdu, encodeException, encodeRequest, encodeResponse, ModbusTransactions, type ModbusFrame, type ModbusRequest, type ModbusResponse } from '../../../protocols/modbus';

function frame(buf: Buffer, dir: 'request' | 'response'): ModbusFrame {
  const r = decodeModbusAdu(buf, 0, dir);
  if (r.kind !== 'frame') throw new Error(JSON.stringify(r));
  return r.frame;
}
const read = (tid: number, unit = 1): ModbusRequest =>
  frame(encodeRequest({ mbap: { tid, unit }, op: 'read', fc: 3, table: 'holding_registers', address: 0, quantity: 2 }), 'request') as ModbusRequest;
const answer = (tid: number, unit = 1): ModbusResponse => frame(encodeResponse({ tid, unit }, { fc: 3, registers: [1, 2] }), 'response') as ModbusResponse;

describe('ModbusTransactions', () => {
  it('pairs a response with its request by tid and unit, out of order', () => {
    const tx = new ModbusTransactions(8, 1000);
    const a = read(1);
    const b = read(2);
    const c = read(1, 2); // same tid, another unit
    expect(tx.onRequest(a, 0)).toBeNull();
    expect(tx.onRequest(b, 5)).toBeNull();
    expect(tx.onRequest(c, 6)).toBeNull();
    expect(tx.size).toBe(3);
    expect(tx.onResponse(answer(2), 10)).toEqual({ request: b, anomaly: null, elapsedMs: 5 });
    expect(tx.onResponse(answer(1, 2), 10).request).toBe(c);
    expect(tx.onResponse(answer(1), 20)).toEqual({ request: a, anomaly: null, elapsedMs: 20 });
    expect(tx.size).toBe(0);
  });

  it('pairs an exception response', () => {
    const tx = new ModbusTransactions(8, 1000);
    const req = read(7);
    tx.onRequest(req, 0);
    const ex = frame(encodeException(req, 2), 'response') as ModbusResponse;
    expect(tx.onResponse(ex, 1)).toMatchObject({ request: req, anomaly: null });
  });

  it('flags an unsolicited response, and a second answer to one request', () => {
    const tx = new ModbusTransactions(8, 1000);
    expect(tx.onResponse(answer(9), 0)).toMatchObject({ request: null, anomaly: { code: 'modbus.unsolicited_response', family: 'state', technique: 'T0856' } });
    tx.onRequest(read(9), 0);
    expect(tx.onResponse(answer(9), 1).anomaly).toBeNull();
    expect(tx.onResponse(answer(9), 2).anomaly?.code).toBe('modbus.unsolicited_response');
  });

  it('flags a response whose function code is not its request\'s', () => {
    const tx = new ModbusTransactions(8, 1000);
    const req = read(3);
    tx.onRequest(req, 0);
    const wrong = frame(encodeResponse({ tid: 3, unit: 1 }, { fc: 4, registers: [1] }), 'response') as ModbusResponse;
    expect(tx.onResponse(wrong, 1)).toMatchObject({ request: req, anomaly: { code: 'modbus.response_function_mismatch' } });
    expect(tx.size).toBe(0);
  });

  it('caps outstanding requests and does not track the one over the cap', () => {
    const tx = new ModbusTransactions(2, 1000);
    expect(tx.onRequest(read(1), 0)).toBeNull();
    expect(tx.onRequest(read(2), 0)).toBeNull();
    expect(tx.onRequest(read(3), 0)).toMatchObject({ code: 'modbus.too_many_pending', family: 'resource', technique: 'T0814' });
    expect(tx.size).toBe(2);
    expect(tx.onResponse(answer(3), 1).anomaly?.code).toBe('modbus.unsolicited_response');
    tx.onResponse(answer(1), 1);
    expect(tx.onRequest(read(3), 2)).toBeNull(); // room again
  });

  it('flags a duplicate transaction id while the first is pending', () => {
    const tx = new ModbusTransactions(8, 1000);
    const first = read(5);
    tx.onRequest(first, 0);
    expect(tx.onRequest(read(5), 1)?.code).toBe('modbus.duplicate_transaction_id');
    expect(tx.size).toBe(1);
    expect(tx.onResponse(answer(5), 2).request).toBe(first);
    expect(tx.onRequest(read(5), 3)).toBeNull(); // reusable once answered
  });

  it('expires requests after the timeout; a late answer pairs without a second anomaly', () => {
    const tx = new ModbusTransactions(8, 100);
    const a = read(1);
    const b = read(2);
    tx.onRequest(a, 0);
    tx.onRequest(b, 60);
    expect(tx.expire(99)).toEqual([]);
    const expired = tx.expire(100);
    expect(expired).toHaveLength(1);
    expect(expired[0]).toMatchObject({ request: a, anomaly: { code: 'modbus.request_timeout' } });
    expect(tx.size).toBe(1);
    expect(tx.onResponse(answer(1), 150)).toEqual({ request: a, anomaly: null, elapsedMs: null });
    expect(tx.onResponse(answer(1), 151).anomaly?.code).toBe('modbus.unsolicited_response');
    expect(tx.expire(1000).map((e) => e.request)).toEqual([b]);
  });

  it('keeps memory bounded under a flood of requests that never get answers', () => {
    const tx = new ModbusTransactions(4, 10);
    let flagged = 0;
    for (let i = 0; i < 5000; i++) {
      if (tx.onRequest(read(i & 0xffff, i % 3), i) !== null) flagged++;
      if (i % 50 === 0) tx.expire(i);
      expect(tx.size).toBeLessThanOrEqual(4);
    }
    expect(flagged).toBeGreaterThan(0);
    // Late answers to long-forgotten requests are unsolicited: the "late" memory is bounded too.
    expect(tx.onResponse(answer(0, 0), 6000).anomaly?.code).toBe('modbus.unsolicited_response');
  });

  it('clear() forgets everything', () => {
    const tx = new ModbusTransactions(4, 10);
    tx.onRequest(read(1), 0);
    tx.clear();
    expect(tx.size).toBe(0);
    expect(tx.onResponse(answer(1), 1).anomaly?.code).toBe('modbus.unsolicited_response');
  });
});
