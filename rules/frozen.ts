/** Immutability helpers: a compiled policy is shared by every connection and swapped whole. */

/** Freeze an object graph of plain objects and arrays (the validated policy). */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}

/** A Map that refuses changes once built (Object.freeze does not stop Map.prototype.set). */
export class FrozenMap<K, V> extends Map<K, V> {
  private readonly sealed: boolean;

  constructor(entries: Iterable<readonly [K, V]>) {
    super(entries);
    this.sealed = true;
    Object.freeze(this);
  }

  override set(key: K, value: V): this {
    if (this.sealed) throw new TypeError('compiled policy maps are read-only');
    return super.set(key, value);
  }

  override delete(): boolean {
    throw new TypeError('compiled policy maps are read-only');
  }

  override clear(): void {
    throw new TypeError('compiled policy maps are read-only');
  }
}
