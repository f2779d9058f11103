/**
 * The one way the runtime caches a value by key (per device, per buffer, per text): written once,
 * since every page bundles each place that would otherwise spell it out.
 */

/** `cache`'s value for `key`: made by `make` and stored the first time it is asked for. */
export function memo<K, V>(cache: { get(key: K): V | undefined; set(key: K, value: V): unknown }, key: K, make: () => V): V {
  let value = cache.get(key);
  if (value === undefined) cache.set(key, (value = make()));
  return value;
}
