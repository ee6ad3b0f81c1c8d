/**
 * Learn mode: observed requests → a proposed least-privilege policy (YAML text with evidence
 * comments). Pure: the caller (daemon/cli/learn.ts) decodes captures and feeds observations;
 * nothing here reads files or clocks.
 *
 * What is proposed, per (client, server endpoint) pair: exactly the unit ids, function codes,
 * FC 8 sub-functions, FC 43 MEI types and address ranges seen (ranges merged only where they
 * touch or overlap: nothing is widened). Writes (any function that changes device state) are
 * proposed only when seen at least `minWriteObservations` times: a single write in a capture is
 * as likely an accident or an attack as routine. Zones are guessed from /24 (IPv4) or /64 (IPv6)
 * subnets and marked `# REVIEW`; so are listen addresses, which a capture cannot know.
 *
 * MQTT, per client address and broker: client ids, publish topics (wills included), subscribe
 * filters, highest QoS, RETAIN (see mqttRule). OPC UA, per client address and server: endpoint
 * URLs, security, identities, services and the NodeIds of each list (see opcuaRule).
 *
 * Memory grows with distinct facts (pairs, function codes, address ranges, topics), not with the
 * number of observations.
 */
import { Evidence, type Ranges, type FcStats, type ModbusPair, type MqttPair, type MqttUse, type OpcuaPair, type OtherPair, type AssetSeen } from './learn-model';
import { dashed, getOr, ipOrder, iso, mergeRanges, num, q, truncName, zoneOf } from './learn-text';
import { functionName } from '../protocols/modbus/names';
import type { ModbusTable } from '../protocols/modbus/types';
import { isServiceName, SERVICES } from '../protocols/opcua/service-table';

import { IDENTITY_TYPES, SECURITY_MODES, SECURITY_POLICY_NAMES as SECURITY_POLICIES } from './schema/constants';
/** OPC UA services that change the server (OPC 10000-4 §5.7, §5.10.4, §5.10.5, §5.11). */
const UA_WRITES = new Set(['Write', 'Call', 'HistoryUpdate', 'AddNodes', 'AddReferences', 'DeleteNodes', 'DeleteReferences']);

export interface LearnObservation {
  /** Capture time, ms since the epoch. */
  readonly ts: number;
  readonly proto: 'modbus' | 'opcua' | 'mqtt';
  readonly client: { readonly ip: string; readonly port: number };
  readonly server: { readonly ip: string; readonly port: number };
  /** The request's audit fields (docs/audit-json.md), e.g. fc, unit, table, address, quantity. */
  readonly fields: Readonly<Record<string, unknown>>;
}

export interface LearnOptions {
  /** A write function is proposed only when seen at least this many times per pair. */
  readonly minWriteObservations: number;
  readonly site?: string;
}

/** Function codes that change device state (MB-AP §6): 5, 6, 15, 16, 21, 22, 23 and FC 8 (diagnostics can restart). */
const WRITE_FCS = new Set([5, 6, 8, 15, 16, 21, 22, 23]);
const TABLE_ORDER: readonly ModbusTable[] = ['coils', 'discrete_inputs', 'input_registers', 'holding_registers'];
/** Distinct ranges kept per table and access before they are merged in place (bounds memory). */
const MAX_RANGES = 4096;


const ROLE = {
  modbus: ['modbus-server', 'modbus-client'],
  opcua: ['opcua-server', 'opcua-client'],
  mqtt: ['mqtt-broker', 'mqtt-client'],
} as const;

const SHORT: Record<string, string> = {
  'modbus-server': 'mb-server', 'modbus-client': 'mb-client',
  'opcua-server': 'ua-server', 'opcua-client': 'ua-client',
  'mqtt-broker': 'mqtt-broker', 'mqtt-client': 'mqtt-client',
};

export class PolicyLearner {
  private readonly assets = new Map<string, AssetSeen>();
  /** key: proto|serverIp|serverPort|clientIp */
  private readonly modbus = new Map<string, ModbusPair>();
  private readonly mqtt = new Map<string, MqttPair>();
  private readonly opcua = new Map<string, OpcuaPair>();
  private readonly other = new Map<string, OtherPair>();
  observations = 0;

  add(o: LearnObservation): void {
    this.observations++;
    this.asset(o.server.ip).roles.add(ROLE[o.proto][0]);
    this.asset(o.client.ip).roles.add(ROLE[o.proto][1]);
    const key = `${o.proto}|${o.server.ip}|${o.server.port}|${o.client.ip}`;
    if (o.proto === 'modbus') this.addModbus(key, o);
    else if (o.proto === 'mqtt') this.addMqtt(key, o);
    else if (o.proto === 'opcua') this.addOpcua(key, o);
    else this.addOther(key, o);
  }

  private asset(ip: string): AssetSeen {
    let a = this.assets.get(ip);
    if (!a) this.assets.set(ip, (a = { ip, roles: new Set() }));
    return a;
  }

  private addModbus(key: string, o: LearnObservation): void {
    const f = o.fields;
    const fc = num(f.fc);
    const unit = num(f.unit);
    if (fc === null || unit === null || fc < 1 || fc > 127) return;
    let p = this.modbus.get(key);
    if (!p) this.modbus.set(key, (p = { evidence: new Evidence(), units: new Map(), fcs: new Map(), subfunctions: new Set(), meiTypes: new Set() }));
    p.evidence.see(o.ts);
    getOr(p.units, unit, () => new Evidence()).see(o.ts);
    const s = getOr(p.fcs, fc, () => ({ evidence: new Evidence(), ranges: new Map<string, Ranges>() }));
    s.evidence.see(o.ts);
    const sub = num(f.subfunction);
    if (fc === 8 && sub !== null) p.subfunctions.add(sub);
    const mei = num(f.mei);
    if (fc === 43 && mei !== null) p.meiTypes.add(mei);
    const table = typeof f.table === 'string' && (TABLE_ORDER as readonly string[]).includes(f.table) ? (f.table as ModbusTable) : null;
    if (table === null) return;
    const values = Array.isArray(f.values) ? f.values.filter((v): v is number => typeof v === 'number') : [];
    if (fc === 23) {
      this.range(s, 'write', table, num(f.writeAddress), num(f.writeQuantity), values, o.ts);
      this.range(s, 'read', table, num(f.readAddress), num(f.readQuantity), [], o.ts);
      return;
    }
    const access = fc === 5 || fc === 6 || fc === 15 || fc === 16 || fc === 22 ? 'write' : 'read';
    this.range(s, access, table, num(f.address), num(f.quantity) ?? 1, values, o.ts);
  }

  private range(s: FcStats, access: 'read' | 'write', table: ModbusTable, address: number | null, quantity: number | null, values: number[], ts: number): void {
    if (address === null || quantity === null) return;
    const lo = address;
    const hi = Math.min(65535, address + Math.max(1, quantity) - 1);
    const r = getOr(s.ranges, `${access}:${table}`, () => ({ evidence: new Evidence(), items: new Map(), minValue: Infinity, maxValue: -Infinity }));
    r.evidence.see(ts);
    r.items.set(`${lo}-${hi}`, [lo, hi]);
    for (const v of values) {
      if (v < r.minValue) r.minValue = v;
      if (v > r.maxValue) r.maxValue = v;
    }
    if (r.items.size > MAX_RANGES) {
      const merged = mergeRanges([...r.items.values()]);
      r.items.clear();
      for (const m of merged) r.items.set(`${m[0]}-${m[1]}`, m);
    }
  }

  /**
   * MQTT requests (docs/audit-json.md fields): CONNECT gives the client id and the will (a
   * publish the broker makes on the client's behalf, checked like one [MQTT-3.1.2-9]), PUBLISH
   * a topic with its QoS and RETAIN, SUBSCRIBE its filters and requested QoS.
   */
  private addMqtt(key: string, o: LearnObservation): void {
    const f = o.fields;
    const type = f.type;
    if (type !== 'CONNECT' && type !== 'PUBLISH' && type !== 'SUBSCRIBE') return;
    let p = this.mqtt.get(key);
    if (!p) this.mqtt.set(key, (p = { evidence: new Evidence(), clientIds: new Map(), publish: new Map(), subscribe: new Map(), overflow: 0 }));
    p.evidence.see(o.ts);
    const qos = num(f.qos) ?? 0;
    const use = (m: Map<string, MqttUse>, topic: string): MqttUse | null => {
      if (m.size >= MAX_RANGES && !m.has(topic)) {
        p!.overflow++;
        return null;
      }
      const u = getOr(m, topic, () => ({ evidence: new Evidence(), wills: 0, maxQos: 0, retained: 0 }));
      u.evidence.see(o.ts);
      return u;
    };
    if (type === 'CONNECT') {
      if (typeof f.clientId === 'string' && (p.clientIds.size < MAX_RANGES || p.clientIds.has(f.clientId))) getOr(p.clientIds, f.clientId, () => new Evidence()).see(o.ts);
      if (typeof f.topic === 'string' && f.topic !== '') {
        const u = use(p.publish, f.topic);
        if (u) {
          u.wills++;
          u.maxQos = Math.max(u.maxQos, qos);
          if (f.retain === true) u.retained++;
        }
      }
      return;
    }
    if (type === 'PUBLISH') {
      if (typeof f.topic !== 'string' || f.topic === '') return;
      const u = use(p.publish, f.topic);
      if (u) {
        u.maxQos = Math.max(u.maxQos, qos);
        if (f.retain === true) u.retained++;
      }
      return;
    }
    const topics = Array.isArray(f.topics) ? f.topics : [];
    const qoss = Array.isArray(f.qos) ? f.qos : [];
    topics.forEach((t, i) => {
      if (typeof t !== 'string' || t === '') return;
      const u = use(p!.subscribe, t);
      if (u) u.maxQos = Math.max(u.maxQos, num(qoss[i]) ?? 0);
    });
  }

  /**
   * OPC UA requests (docs/audit-json.md fields): HEL names the endpoint URL, OPN the security
   * policy and mode, ActivateSession the identity token type; every service request its service
   * and NodeIds, filed under the policy list its service checks (protocols/opcua/service-table).
   */
  private addOpcua(key: string, o: LearnObservation): void {
    const f = o.fields;
    let p = this.opcua.get(key);
    if (!p) {
      this.opcua.set(key, (p = {
        evidence: new Evidence(), endpoints: new Map(), policies: new Set(), modes: new Set(), identities: new Set(),
        services: new Map(), nodes: new Map(), opaque: 0, overflow: 0,
      }));
    }
    p.evidence.see(o.ts);
    if (typeof f.endpointUrl === 'string' && f.endpointUrl !== '' && p.endpoints.size < 64) getOr(p.endpoints, f.endpointUrl, () => new Evidence()).see(o.ts);
    if (typeof f.securityPolicy === 'string') p.policies.add(f.securityPolicy);
    if (typeof f.securityMode === 'string') p.modes.add(f.securityMode);
    if (typeof f.identity === 'string') p.identities.add(f.identity);
    if (f.msgType !== 'MSG') return;
    if (f.encrypted === true || typeof f.service !== 'string') {
      p.opaque++;
      return;
    }
    const service = f.service.replace(/Request$/, '');
    if (!isServiceName(service) || service === 'OpenSecureChannel' || service === 'CloseSecureChannel') return;
    getOr(p.services, service, () => new Evidence()).see(o.ts);
    const note = (fact: string): (Evidence & { min?: number; max?: number }) | null => {
      if (p!.nodes.size >= MAX_RANGES && !p!.nodes.has(fact)) {
        p!.overflow++;
        return null;
      }
      const e = getOr(p!.nodes, fact, () => new Evidence() as Evidence & { min?: number; max?: number });
      e.see(o.ts);
      return e;
    };
    const action = SERVICES[service];
    if (action === 'call') {
      for (const c of Array.isArray(f.calls) ? f.calls : []) {
        const { objectId, methodId } = (c ?? {}) as { objectId?: unknown; methodId?: unknown };
        if (typeof objectId === 'string' && typeof methodId === 'string') note(`call ${objectId} ${methodId}`);
      }
      return;
    }
    if (action === null) return;
    const ids = Array.isArray(f.nodeIds) ? f.nodeIds : [];
    const values = Array.isArray(f.values) ? f.values : [];
    ids.forEach((n, i) => {
      if (typeof n !== 'string') return;
      const e = note(`${action} ${n}`);
      const written = action === 'write' && Array.isArray(values[i]) ? (values[i] as unknown[]).filter((v): v is number => typeof v === 'number') : [];
      if (e) for (const v of written) {
        e.min = Math.min(e.min ?? v, v);
        e.max = Math.max(e.max ?? v, v);
      }
    });
  }

  private addOther(key: string, o: LearnObservation): void {
    let p = this.other.get(key);
    if (!p) this.other.set(key, (p = { evidence: new Evidence(), facts: new Map() }));
    p.evidence.see(o.ts);
    const f = o.fields;
    const facts: string[] = [];
    for (const k of ['type', 'msgType', 'service', 'clientId', 'topic', 'securityPolicy'] as const) {
      if (typeof f[k] === 'string' && f[k] !== '') facts.push(`${k} ${f[k]}`);
    }
    for (const k of ['topics', 'nodeIds'] as const) {
      const v = f[k];
      if (Array.isArray(v)) for (const x of v) facts.push(`${k === 'topics' ? 'topic' : 'nodeId'} ${typeof x === 'string' ? x : JSON.stringify(x)}`);
    }
    for (const fact of facts) {
      if (p.facts.size >= MAX_RANGES && !p.facts.has(fact)) continue;
      getOr(p.facts, fact, () => new Evidence()).see(o.ts);
    }
  }

  /** The proposed policy as YAML text (passes rules/load.ts when anything was learned). */
  toYaml(opts: LearnOptions): string {
    const K = Math.max(1, opts.minWriteObservations);
    const out: string[] = [];
    const w = (s: string) => out.push(s);
    const assetName = (ip: string) => nameOf(this.assets.get(ip)!);
    const zoneOfIp = (ip: string) => zoneOf(ip).name;

    w('# otgate policy proposed by `otgate learn` from observed traffic.');
    w(`# ${this.observations} request(s) observed. Every rule lists its evidence; nothing seen is widened.`);
    w(`# Writes (Modbus write functions, MQTT publish topics) are proposed only when seen at least ${K} time(s) per client and server.`);
    w('# Lines marked REVIEW are guesses a capture cannot settle.');
    w('version: 1');
    w(`site: ${q(opts.site ?? 'learned')}`);
    w('');
    w('defaults:');
    w('  mode: monitor   # REVIEW: switch to enforce once `otgate replay` shows no unexpected denies');
    w('');

    const zones = new Map<string, { name: string; cidr: string; servers: number; clients: number; ips: string[] }>();
    for (const a of [...this.assets.values()].sort((x, y) => ipOrder(x.ip, y.ip))) {
      const z = zoneOf(a.ip);
      const e = getOr(zones, z.name, () => ({ ...z, servers: 0, clients: 0, ips: [] as string[] }));
      e.ips.push(a.ip);
      if ([...a.roles].some((r) => r.endsWith('server') || r.endsWith('broker'))) e.servers++;
      else e.clients++;
    }
    w('zones:   # REVIEW: guessed from subnets; Purdue levels guessed from roles (servers 1, clients 2)');
    for (const z of zones.values()) {
      w(`  - { name: ${z.name}, level: ${z.servers > 0 ? 1 : 2}, networks: [${q(z.cidr)}] }   # ${z.ips.length} asset(s): ${z.servers} serving, ${z.clients} client-only`);
    }
    w('');
    w('assets:');
    for (const a of [...this.assets.values()].sort((x, y) => ipOrder(x.ip, y.ip))) {
      w(`  - { name: ${nameOf(a)}, zone: ${zoneOfIp(a.ip)}, address: ${q(a.ip)}, role: ${q([...a.roles].sort().join(', '))} }`);
    }
    w('');

    // Conduits: one per (protocol, server endpoint, client zone); the loader wants clients in from_zone.
    interface ConduitPlan { proto: string; serverIp: string; port: number; fromZone: string; pairs: string[] }
    const plans = new Map<string, ConduitPlan>();
    for (const key of [...this.modbus.keys(), ...this.mqtt.keys(), ...this.opcua.keys(), ...this.other.keys()]) {
      const [proto, serverIp, port, clientIp] = key.split('|') as [string, string, string, string];
      const fromZone = zoneOfIp(clientIp);
      const ck = `${proto}|${serverIp}|${port}|${fromZone}`;
      getOr(plans, ck, () => ({ proto, serverIp, port: Number(port), fromZone, pairs: [] })).pairs.push(key);
    }
    const sortedPlans = [...plans.values()].sort((a, b) => a.proto.localeCompare(b.proto) || ipOrder(a.serverIp, b.serverIp) || a.port - b.port || a.fromZone.localeCompare(b.fromZone));
    const multiZone = new Map<string, number>();
    for (const p of sortedPlans) multiZone.set(`${p.proto}|${p.serverIp}|${p.port}`, (multiZone.get(`${p.proto}|${p.serverIp}|${p.port}`) ?? 0) + 1);

    const conduitLines: string[] = [];
    const notes: string[] = [];
    for (const plan of sortedPlans) {
      const base = `${plan.proto}-${dashed(plan.serverIp)}-${plan.port}`;
      const name = truncName(multiZone.get(`${plan.proto}|${plan.serverIp}|${plan.port}`)! > 1 ? `${base}-from-${plan.fromZone}` : base);
      const ruleOf = plan.proto === 'modbus' ? this.modbusRule : plan.proto === 'mqtt' ? this.mqttRule : plan.proto === 'opcua' ? this.opcuaRule : null;
      if (ruleOf === null) {
        notes.push(...this.otherNotes(plan.pairs, name));
        continue;
      }
      const rules: string[] = [];
      for (const key of plan.pairs.sort()) rules.push(...ruleOf.call(this, key, K, assetName));
      if (!rules.some((l) => l.startsWith('      - name:'))) {
        notes.push(`# conduit ${name} not proposed: nothing seen often enough`, ...rules.map((l) => `#${l.slice(1)}`));
        continue;
      }
      conduitLines.push(`  - name: ${name}`);
      conduitLines.push(`    from_zone: ${plan.fromZone}`);
      conduitLines.push(`    to_zone: ${zoneOfIp(plan.serverIp)}`);
      conduitLines.push(`    protocol: ${plan.proto}`);
      conduitLines.push(`    listen: ${q('0.0.0.0:0')}   # REVIEW: the gateway address its clients connect to (port 0 = any free port)`);
      conduitLines.push(`    upstream: { asset: ${assetName(plan.serverIp)}, port: ${plan.port} }`);
      conduitLines.push('    rules:');
      conduitLines.push(...rules);
    }
    if (conduitLines.length > 0) {
      w('conduits:');
      out.push(...conduitLines);
    } else {
      w('conduits: []   # nothing seen often enough to propose');
    }
    if (notes.length > 0) {
      w('');
      w('# Observed but not proposed as rules:');
      out.push(...notes);
    }
    return `${out.join('\n')}\n`;
  }

  private modbusRule(key: string, K: number, assetName: (ip: string) => string): string[] {
    const p = this.modbus.get(key)!;
    const clientIp = key.split('|')[3]!;
    const lines: string[] = [];
    const kept = [...p.fcs.entries()].filter(([fc, s]) => !WRITE_FCS.has(fc) || s.evidence.count >= K).sort((a, b) => a[0] - b[0]);
    const dropped = [...p.fcs.entries()].filter(([fc, s]) => WRITE_FCS.has(fc) && s.evidence.count < K).sort((a, b) => a[0] - b[0]);
    lines.push(`      # evidence: ${p.evidence.count} request(s) from ${clientIp}, first ${iso(p.evidence.first)}, last ${iso(p.evidence.last)}`);
    for (const [fc, s] of dropped) {
      lines.push(`      # not proposed: FC ${fc} ${functionName(fc) ?? ''} ${s.evidence.text()} (fewer than ${K}: REVIEW)`);
    }
    if (kept.length === 0) return lines;
    lines.push(`      - name: ${truncName(`learned-${dashed(clientIp)}`)}`);
    lines.push(`        clients: [${assetName(clientIp)}]`);
    lines.push('        modbus:');
    const units = [...p.units.keys()].sort((a, b) => a - b);
    lines.push(`          unit_ids: [${units.join(', ')}]   # ${units.map((u) => `unit ${u}: ${p.units.get(u)!.count}`).join(', ')}`);
    lines.push('          functions:');
    for (const [fc, s] of kept) lines.push(`            - ${fc}   # ${functionName(fc) ?? 'vendor/user code'}: ${s.evidence.text()}`);
    const keptFcs = new Set(kept.map(([fc]) => fc));
    if (keptFcs.has(8)) lines.push(`          diagnostics: [${[...p.subfunctions].sort((a, b) => a - b).join(', ')}]`);
    if (keptFcs.has(43)) lines.push(`          mei_types: [${[...p.meiTypes].sort((a, b) => a - b).join(', ')}]`);
    for (const access of ['read', 'write'] as const) {
      const perTable = new Map<ModbusTable, { items: [number, number][]; ev: Evidence; min: number; max: number }>();
      for (const [fc, s] of kept) {
        for (const [k, r] of s.ranges) {
          const [acc, table] = k.split(':') as ['read' | 'write', ModbusTable];
          if (acc !== access) continue;
          const t = getOr(perTable, table, () => ({ items: [] as [number, number][], ev: new Evidence(), min: Infinity, max: -Infinity }));
          t.items.push(...r.items.values());
          t.ev.count += r.evidence.count;
          t.ev.first = Math.min(t.ev.first, r.evidence.first);
          t.ev.last = Math.max(t.ev.last, r.evidence.last);
          t.min = Math.min(t.min, r.minValue);
          t.max = Math.max(t.max, r.maxValue);
          void fc;
        }
      }
      if (perTable.size === 0) continue;
      lines.push(`          ${access}:`);
      for (const table of TABLE_ORDER) {
        const t = perTable.get(table);
        if (!t) continue;
        const merged = mergeRanges(t.items).map(([lo, hi]) => q(lo === hi ? `${lo}` : `${lo}-${hi}`));
        const vals = access === 'write' && t.min <= t.max ? `; values seen ${t.min}..${t.max} (add min/max to bound them)` : '';
        lines.push(`            ${table}: [${merged.join(', ')}]   # ${t.ev.count} ${access}(s), first ${iso(t.ev.first)}, last ${iso(t.ev.last)}${vals}`);
      }
    }
    return lines;
  }

  /**
   * One MQTT rule per client address: the client ids it connected with, the topics it published
   * to (wills included: the broker publishes them for the client), the filters it subscribed
   * (exactly as named: nothing is widened to a wildcard), the highest QoS seen and RETAIN when
   * any retained publish or will was seen. A publish topic is a write: proposed only when seen
   * at least K times (publishes and wills together).
   */
  private mqttRule(key: string, K: number, assetName: (ip: string) => string): string[] {
    const p = this.mqtt.get(key)!;
    const clientIp = key.split('|')[3]!;
    const lines: string[] = [];
    lines.push(`      # evidence: ${p.evidence.count} request(s) from ${clientIp}, first ${iso(p.evidence.first)}, last ${iso(p.evidence.last)}`);
    const sorted = (m: Map<string, MqttUse>) => [...m.entries()].sort((a, b) => a[0].localeCompare(b[0]));
    const pubs = sorted(p.publish).filter(([, u]) => u.evidence.count >= K);
    for (const [topic, u] of sorted(p.publish).filter(([, x]) => x.evidence.count < K)) {
      lines.push(`      # not proposed: publish ${q(topic)} ${u.evidence.text()}${u.wills ? ` (${u.wills} as a will)` : ''} (fewer than ${K}: REVIEW)`);
    }
    const subs = sorted(p.subscribe);
    if (p.overflow > 0) lines.push(`      # ${p.overflow} more topic(s) seen beyond the learner's cap of ${MAX_RANGES} per client: REVIEW`);
    const ids = [...p.clientIds.entries()].sort((a, b) => a[0].localeCompare(b[0]));
    const plainIds = ids.filter(([id]) => id !== '' && !/[*?]/.test(id));
    if (pubs.length === 0 && subs.length === 0 && ids.length === 0) return lines;
    lines.push(`      - name: ${truncName(`learned-${dashed(clientIp)}`)}`);
    lines.push(`        clients: [${assetName(clientIp)}]`);
    lines.push('        mqtt:');
    if (plainIds.length > 0 && plainIds.length === ids.length) {
      lines.push('          client_ids:');
      for (const [id, ev] of plainIds) lines.push(`            - ${q(id)}   # ${ev.text()}`);
    } else if (ids.length > 0) {
      // An empty id (broker-assigned) or one holding pattern characters cannot be bound exactly.
      lines.push(`          # client ids not bound: ${ids.map(([id]) => q(id)).join(', ')} (empty or containing * ?): REVIEW`);
    }
    let maxQos = 0;
    let retain = false;
    if (pubs.length > 0) {
      lines.push('          publish:');
      for (const [topic, u] of pubs) {
        maxQos = Math.max(maxQos, u.maxQos);
        retain ||= u.retained > 0;
        const how = [`QoS ≤ ${u.maxQos}`, u.retained ? `${u.retained} retained` : '', u.wills ? `${u.wills} as a will` : ''].filter((x) => x !== '').join(', ');
        lines.push(`            - ${q(topic)}   # ${u.evidence.text()}; ${how}`);
      }
    }
    if (subs.length > 0) {
      lines.push('          subscribe:');
      for (const [filter, u] of subs) {
        maxQos = Math.max(maxQos, u.maxQos);
        lines.push(`            - ${q(filter)}   # ${u.evidence.text()}; QoS ≤ ${u.maxQos}`);
      }
    }
    lines.push(`          max_qos: ${maxQos}   # highest QoS seen`);
    if (retain) lines.push('          retain: true   # retained publishes or wills seen');
    return lines;
  }

  /**
   * One OPC UA rule per client address: endpoint URLs, security policies and modes, identity
   * token types, the services used, and per NodeId list exactly the nodes seen. Services that
   * change the server (Write, Call, HistoryUpdate, node management) are proposed only when seen
   * at least K times; their nodes go with them.
   */
  private opcuaRule(key: string, K: number, assetName: (ip: string) => string): string[] {
    const p = this.opcua.get(key)!;
    const clientIp = key.split('|')[3]!;
    const lines: string[] = [];
    lines.push(`      # evidence: ${p.evidence.count} message(s) from ${clientIp}, first ${iso(p.evidence.first)}, last ${iso(p.evidence.last)}`);
    if (p.opaque > 0) lines.push(`      # ${p.opaque} request(s) on signed/encrypted channels: their services and nodes cannot be learned from a capture (REVIEW)`);
    if (p.overflow > 0) lines.push(`      # ${p.overflow} more node(s) seen beyond the learner's cap of ${MAX_RANGES} per client: REVIEW`);
    const services = [...p.services.entries()].sort((a, b) => a[0].localeCompare(b[0]));
    const kept = services.filter(([s, ev]) => !UA_WRITES.has(s) || ev.count >= K);
    for (const [s, ev] of services.filter(([x, e]) => UA_WRITES.has(x) && e.count < K)) {
      lines.push(`      # not proposed: service ${s} ${ev.text()} (fewer than ${K}: REVIEW)`);
    }
    if (kept.length === 0) return lines;
    const keptNames = new Set(kept.map(([s]) => s));
    lines.push(`      - name: ${truncName(`learned-${dashed(clientIp)}`)}`);
    lines.push(`        clients: [${assetName(clientIp)}]`);
    lines.push('        opcua:');
    const endpoints = [...p.endpoints.entries()].filter(([u]) => u.startsWith('opc.tcp://')).sort((a, b) => a[0].localeCompare(b[0]));
    if (endpoints.length > 0) {
      lines.push('          endpoints:');
      for (const [u, ev] of endpoints) lines.push(`            - ${q(u)}   # ${ev.text()}`);
    }
    const policies = [...p.policies].filter((x) => (SECURITY_POLICIES as readonly string[]).includes(x)).sort();
    const modes = [...p.modes].filter((x) => (SECURITY_MODES as readonly string[]).includes(x)).sort();
    if (policies.length > 0 || modes.length > 0) {
      const parts = [policies.length ? `policies: [${policies.join(', ')}]` : '', modes.length ? `modes: [${modes.join(', ')}]` : ''].filter((x) => x !== '');
      const weak = modes.includes('None') ? '   # REVIEW: SecurityMode None seen (no signing or encryption)' : '';
      lines.push(`          security: { ${parts.join(', ')} }${weak}`);
    }
    const ids = [...p.identities].filter((x) => (IDENTITY_TYPES as readonly string[]).includes(x)).sort();
    if (ids.length > 0) lines.push(`          identities: [${ids.join(', ')}]`);
    lines.push('          services:');
    for (const [s, ev] of kept) lines.push(`            - ${s}   # ${ev.text()}`);
    const nodes = [...p.nodes.entries()].sort((a, b) => a[0].localeCompare(b[0]));
    for (const list of ['browse', 'read', 'write', 'call', 'monitor', 'history'] as const) {
      const mine = nodes.filter(([fact]) => fact.startsWith(`${list} `));
      const used = mine.filter(() => [...keptNames].some((s) => SERVICES[s as keyof typeof SERVICES] === list));
      if (used.length === 0) continue;
      lines.push(`          ${list}:`);
      for (const [fact, ev] of used) {
        const rest = fact.slice(list.length + 1);
        if (list === 'call') {
          const [object, method] = rest.split(' ') as [string, string];
          lines.push(`            - { object: ${q(object)}, method: ${q(method)} }   # ${ev.text()}`);
          continue;
        }
        const vals = list === 'write' && ev.min !== undefined ? `; values seen ${ev.min}..${ev.max} (add min/max to bound them)` : '';
        lines.push(`            - ${q(rest)}   # ${ev.text()}${vals}`);
      }
    }
    return lines;
  }

  private otherNotes(pairs: string[], conduit: string): string[] {
    const lines: string[] = [];
    for (const key of pairs.sort()) {
      const p = this.other.get(key)!;
      const [proto, , , clientIp] = key.split('|') as [string, string, string, string];
      lines.push(`# ${conduit}: ${proto} from ${clientIp}: ${p.evidence.count} message(s), first ${iso(p.evidence.first)}, last ${iso(p.evidence.last)} (no ${proto} rule schema yet)`);
      for (const [fact, ev] of [...p.facts.entries()].sort((a, b) => a[0].localeCompare(b[0]))) lines.push(`#   ${fact}: ${ev.text()}`);
    }
    return lines;
  }
}

function nameOf(a: AssetSeen): string {
  const roles = [...a.roles].sort((x, y) => Number(x.endsWith('client')) - Number(y.endsWith('client')) || x.localeCompare(y));
  return truncName(`${SHORT[roles[0]!] ?? 'asset'}-${dashed(a.ip)}`);
}

export { mergeRanges } from './learn-text';
