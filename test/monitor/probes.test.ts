import { guessByContent, isMqttConnect } from '../../daemon/monitor/detect';
import { findBoundary, probeModbus, probeMqtt, probeOpcua } from '../../daemon/monitor/probes';
import { decodeTcpSegment, ipv6Text, LinkType } from '../../daemon/monitor/packet';

// MBAP: tid 7, pid 0, len 6, unit 1 | FC 3 read holding 0x0064 x2 (MB-AP §6.3)
const READ = Buffer.from('000700000006010300640002', 'hex');

test('Modbus: a trusted boundary is found after garbage, not inside it', () => {
  const garbage = Buffer.from('deadbeef0000', 'hex');
  const buf = Buffer.concat([garbage, READ, READ]);
  expect(findBoundary('modbus', buf, 'request', 4096)).toEqual({ kind: 'at', offset: garbage.length });
  expect(probeModbus(Buffer.from('000100010006010300000001', 'hex'), 0, 'request')).toBeNull(); // pid 1
});

test('Modbus: a frame cut short waits for more bytes', () => {
  expect(findBoundary('modbus', READ.subarray(0, 9), 'request', 4096)).toEqual({ kind: 'need', from: 0 });
});

test('OPC UA and MQTT headers', () => {
  const hel = Buffer.alloc(32);
  hel.write('HELF', 0, 'latin1');
  hel.writeUInt32LE(32, 4);
  expect(probeOpcua(hel, 0, 'request')).toBe(32);
  expect(probeOpcua(Buffer.from('HELC\x20\x00\x00\x00', 'latin1'), 0, 'request')).toBeNull(); // HEL is always final
  const connect = Buffer.from('101000044d5154540402003c0004616263', 'hex');
  expect(isMqttConnect(connect)).toBe(true);
  expect(guessByContent(connect, Buffer.alloc(0), true)).toBe('mqtt');
  expect(guessByContent(hel, Buffer.alloc(0), true)).toBe('opcua');
  expect(guessByContent(READ, Buffer.alloc(0), true)).toBe('modbus');
  expect(guessByContent(Buffer.from('160301002a', 'hex'), Buffer.alloc(0), true)).toBe('tls');
  expect(probeMqtt(Buffer.from('c000', 'hex'), 0, 'request')).toBe(2); // PINGREQ
  expect(probeMqtt(Buffer.from('c100', 'hex'), 0, 'request')).toBeNull(); // flags must be 0
});

test('link layers: Ethernet, Linux cooked, loopback, raw; IPv6 text form', () => {
  const ip = Buffer.from('4500002a0001000040060000' + '7f00000b' + '7f000015', 'hex');
  const tcp = Buffer.from('a8c501f6000000010000000050180200000000000000', 'hex').subarray(0, 20);
  const pkt = Buffer.concat([ip, tcp, Buffer.from('abcd', 'hex')]);
  const eth = Buffer.concat([Buffer.alloc(12), Buffer.from('0800', 'hex'), pkt, Buffer.alloc(6)]); // padded
  const s = decodeTcpSegment(LinkType.ETHERNET, eth)!;
  expect([s.src, s.dst, s.sport, s.dport, s.payload.toString('hex')]).toEqual(['127.0.0.11', '127.0.0.21', 43205, 502, 'abcd']);
  const sll = Buffer.concat([Buffer.alloc(14), Buffer.from('0800', 'hex'), pkt]);
  expect(decodeTcpSegment(LinkType.LINUX_SLL, sll)!.payload.toString('hex')).toBe('abcd');
  const nul = Buffer.concat([Buffer.from('02000000', 'hex'), pkt]);
  expect(decodeTcpSegment(LinkType.NULL, nul)!.dport).toBe(502);
  expect(decodeTcpSegment(LinkType.RAW, pkt)!.sport).toBe(43205);
  expect(decodeTcpSegment(LinkType.ETHERNET, eth.subarray(0, 30))).toBeNull();
  expect(ipv6Text(Buffer.from('00000000000000000000000000000001', 'hex'), 0)).toBe('::1');
  expect(ipv6Text(Buffer.from('20010db8000000000001000000000001', 'hex'), 0)).toBe('2001:db8::1:0:0:1');
});
