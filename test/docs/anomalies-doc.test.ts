/** docs/anomalies.md is generated from the anomaly lists; codes are unique and well-formed. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Techniques } from '../../rules/attack';
import { ANOMALY_LISTS, anomaliesDocText } from '../../scripts/gen-anomalies';

test('docs/anomalies.md matches its sources (regenerate: npm run gen:schema)', () => {
  expect(readFileSync(path.resolve(__dirname, '..', '..', 'docs', 'anomalies.md'), 'utf8')).toBe(anomaliesDocText());
});

test('every anomaly code is unique, prefixed by its list, with a declared technique', () => {
  const seen = new Set<string>();
  for (const list of ANOMALY_LISTS) {
    for (const s of Object.values(list.specs)) {
      expect(s.code).toMatch(/^(modbus|opcua|mqtt|stream|gateway)\.[a-z0-9_]+$/);
      expect(seen.has(s.code)).toBe(false);
      seen.add(s.code);
      if (s.technique !== null) expect(Techniques).toHaveProperty(s.technique);
    }
  }
  expect(seen.size).toBeGreaterThan(40);
});
