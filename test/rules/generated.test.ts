/** Generated artefacts must match their single sources (regenerate: scripts/gen-schema.ts). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { ATTACK_TABLE, Techniques } from '../../rules/attack';
import { attackDocText, policySchemaText, policyValidatorText, VALIDATOR_FILE } from '../../scripts/gen-schema';

const ROOT = path.resolve(__dirname, '..', '..');
const regen = 'run `npm run build && node dist/scripts/gen-schema.js`';

test(`policy.schema.json is the generated schema (${regen})`, () => {
  expect(readFileSync(path.join(ROOT, 'policy.schema.json'), 'utf8')).toBe(policySchemaText());
});

test(`${VALIDATOR_FILE} is the generated validator of that schema (${regen})`, () => {
  expect(readFileSync(path.join(ROOT, VALIDATOR_FILE), 'utf8')).toBe(policyValidatorText());
});

test(`docs/attack.md carries the generated technique table (${regen})`, () => {
  const doc = readFileSync(path.join(ROOT, 'docs', 'attack.md'), 'utf8');
  expect(doc).toBe(attackDocText(doc));
  for (const r of ATTACK_TABLE) expect(Techniques[r.technique]).toBeDefined();
});

test('the committed JSON Schema accepts the example policies (what editors will check)', () => {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(JSON.parse(readFileSync(path.join(ROOT, 'policy.schema.json'), 'utf8')) as object);
  for (const f of ['secluded-fab.yaml', 'demo-loopback.yaml']) {
    const ok = validate(parse(readFileSync(path.join(ROOT, 'examples', f), 'utf8')));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  }
  expect(validate({ version: 1, site: 's', zones: [], assets: [], conduits: [], fucntions: 1 })).toBe(false);
});
