/**
 * Building blocks shared by every part of the policy schema. The schema (TypeBox) is the single
 * source of the policy's TypeScript types (`Static<>`) and of policy.schema.json (editors).
 * `title` names what a value is in error messages ("'200-100' is not a valid address range").
 */
import { Type, type SchemaOptions, type TUnsafe } from '@sinclair/typebox';

/** A closed set of literal values, emitted as a plain JSON Schema `enum` (clean editor hints and errors). */
export function literals<const T extends readonly (string | number)[]>(values: T, opts: SchemaOptions = {}): TUnsafe<T[number]> {
  const type = values.every((v) => typeof v === 'string') ? 'string' : 'number';
  return Type.Unsafe<T[number]>({ type, enum: [...values], ...opts });
}

/** Names of zones, assets, conduits and rules: used in audit records, so kept simple. */
export const Name = (description: string) =>
  Type.String({
    title: 'name',
    description,
    pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$',
    examples: ['hmi-1'],
  });

/** "a-b" (inclusive) or "a": the order and the bounds are checked by the loader (policy.bad_range). */
export const RANGE_PATTERN = '^[0-9]{1,5}(-[0-9]{1,5})?$';

export const RangeText = (what: string) =>
  Type.String({ title: `${what} range`, description: `inclusive ${what} range "a-b", or one ${what} "a"`, pattern: RANGE_PATTERN, examples: ['0-99'] });

/** ISO 8601 date-time with an explicit offset (a window without one would depend on the host's zone). */
export const IsoTime = (description: string) =>
  Type.String({
    title: 'ISO 8601 time with offset',
    description,
    pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}:[0-9]{2})$',
    examples: ['2026-12-01T06:00:00Z'],
  });
