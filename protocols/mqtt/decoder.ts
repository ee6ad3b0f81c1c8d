/**
 * One direction's packet decoder: otgate's own fixed-header check (size limit first), then
 * mqtt-packet on exactly one packet's bytes. Never throws on wire input: a throw inside
 * mqtt-packet becomes an anomaly like any error it reports.
 *
 * Buffer ownership: decoded fields (PUBLISH payload, will payload) may be views of `buf`.
 */
import { parser as mqttParser, type Packet, type Parser } from 'mqtt-packet';
import { anomaly, malformed, need, type DecodeResult } from '../common';
import { MqttAnomalies } from './anomalies';
import { readFixedHeader } from './fixed-header';
import type { MqttFrame, MqttVersion } from './types';

export class MqttPacketDecoder {
  private parser: Parser | null = null;
  private got: Packet | null = null;
  private error: string | null = null;

  /**
   * Decodes the packet at `off`. `version` is the session's protocol level (null before CONNECT:
   * the client's CONNECT names its own level, v5 §3.1.2.2). `need.atLeast` counts from `off`.
   */
  decode(buf: Buffer, off: number, version: MqttVersion | null, maxPacketBytes: number): DecodeResult<MqttFrame> {
    const h = readFixedHeader(buf, off, maxPacketBytes, version);
    if (h.kind !== 'frame') return h;
    const size = h.consumed;
    if (buf.length - off < size) return need(size);

    const parser = this.parser ?? this.newParser();
    // The parser reads v5 properties only when told; CONNECT switches it by itself.
    (parser as unknown as { settings: { protocolVersion: number } }).settings = { protocolVersion: version ?? 4 };
    this.got = null;
    this.error = null;
    try {
      parser.parse(buf.subarray(off, off + size));
    } catch (e) {
      this.error = e instanceof Error ? e.message : 'decoder exception';
    }
    const packet = this.got as Packet | null;
    if (this.error !== null || packet === null) {
      this.parser = null; // its buffer list may hold a partial packet: start clean next time
      // The framing held (the size was valid): a monitor can skip this packet and go on.
      return malformed(anomaly(MqttAnomalies.packet_invalid, this.error ?? 'incomplete body'), size, false);
    }
    this.got = null;
    return { kind: 'frame', frame: { header: h.frame, packet, size }, consumed: size };
  }

  private newParser(): Parser {
    const p = mqttParser({ protocolVersion: 4 });
    p.on('packet', (pk: Packet) => {
      if (this.got === null) this.got = pk;
      else this.error = 'more than one packet';
    });
    p.on('error', (err: unknown) => {
      this.error = err instanceof Error ? err.message : String(err);
    });
    this.parser = p;
    return p;
  }
}
