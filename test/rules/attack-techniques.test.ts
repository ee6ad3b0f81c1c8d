/**
 * Every ATT&CK for ICS technique id otgate can emit is declared in `Techniques`
 * (rules/attack.ts), so docs, audit records and SIEM output never name an unknown one. Scans the
 * source text (protocols/, rules/, daemon/, hw/, scripts/) for T0xxx ids and checks the anomaly
 * tables at run time.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { StreamAnomalies } from '../../daemon/monitor/anomalies';
import { GatewayAnomalies } from '../../daemon/proxy/gateway-anomalies';
import { ModbusAnomalies } from '../../protocols/modbus/anomalies';
import { MqttAnomalies } from '../../protocols/mqtt/anomalies';
import { OpcuaAnomalies } from '../../protocols/opcua/anomalies';
import { ATTACK_TABLE, Techniques } from '../../rules/attack';

const ROOT = path.resolve(__dirname, '..', '..');
const DIRS = ['protocols', 'rules', 'daemon', 'hw', 'scripts'];

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** T0xxx ids in a text, with the line they are on. */
function techniqueIds(text: string): { id: string; line: number }[] {
  const out: { id: string; line: number }[] = [];
  text.split('\n').forEach((l, i) => {
    for (const m of l.matchAll(/\bT0\d{3}\b/g)) out.push({ id: m[0], line: i + 1 });
  });
  return out;
}

test('the scanner finds technique ids (and ignores longer numbers)', () => {
  expect(techniqueIds("a: 'T0858', // T0836 or T08361\nT0001")).toEqual([
    { id: 'T0858', line: 1 },
    { id: 'T0836', line: 1 },
    { id: 'T0001', line: 2 },
  ]);
});

test('every technique id in the source is declared in rules/attack.ts Techniques', () => {
  const files = DIRS.flatMap((d) => sources(path.join(ROOT, d)));
  expect(files.length).toBeGreaterThan(50);
  const undeclared: string[] = [];
  let seen = 0;
  for (const f of files) {
    for (const t of techniqueIds(readFileSync(f, 'utf8'))) {
      seen++;
      if (!(t.id in Techniques)) undeclared.push(`${path.relative(ROOT, f)}:${t.line} ${t.id}`);
    }
  }
  expect(seen).toBeGreaterThan(20);
  expect(undeclared).toEqual([]);
});

test('every anomaly technique and every ATT&CK table row names a declared technique', () => {
  const tables = { ModbusAnomalies, MqttAnomalies, OpcuaAnomalies, StreamAnomalies, GatewayAnomalies } as Record<string, Record<string, { code: string; technique: string | null }>>;
  const bad: string[] = [];
  for (const [name, table] of Object.entries(tables)) {
    for (const a of Object.values(table)) if (a.technique !== null && !(a.technique in Techniques)) bad.push(`${name} ${a.code} ${a.technique}`);
  }
  for (const r of ATTACK_TABLE) if (!(r.technique in Techniques)) bad.push(`ATTACK_TABLE ${r.protocol}/${r.action} ${r.technique}`);
  expect(bad).toEqual([]);
});

test('technique names are the official ATT&CK for ICS names of the ids added for OPC UA', () => {
  expect(Techniques).toMatchObject({ T0858: 'Change Operating Mode', T0859: 'Valid Accounts', T0886: 'Remote Services' });
  for (const [id, name] of Object.entries(Techniques)) {
    expect(id).toMatch(/^T0\d{3}$/);
    expect(name.length).toBeGreaterThan(3);
  }
});
