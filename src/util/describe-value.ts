/** How many characters of a value a message shows (longer: the first 57 and `...`). */
const SHOWN = 60;

/** Thrown inside describeValue: the text is long enough (FULL), or the value holds itself (CYCLE). */
const FULL = Symbol('full');
const CYCLE = Symbol('cycle');

/**
 * A short text of a value a caller passed, for a message: JSON where it has one (`{"file":"a.mon"}`), what JSON cannot
 * write as JavaScript writes it (`NaN`, `Infinity`, `3n`, also inside objects and arrays: JSON.stringify made them
 * `null` and threw on a BigInt, QA1 s26 Q502), a typed array by its class and length (`Float32Array(1000000)`), else
 * String() of it (`undefined`, a function, a Symbol); a value that holds itself by its class (`[object Object]`).
 * Written only as far as it is shown (REV s26 3: the whole of a state dict given where a Map is wanted was stringified,
 * seconds to minutes, to show 60 characters of it).
 */
export function describeValue(value: unknown): string {
  let text = '';
  const write = (part: string) => {
    text += part;
    if (text.length > SHOWN) throw FULL;
  };
  const open = new Set<object>();
  /**
   * JSON.stringify's rules (toJSON; a boxed string, number or boolean as its value; in an object, properties whose value
   * JSON has no text for left out, in an array null), but a typed array by its class and length before its toJSON (a
   * Node Buffer's lists every byte: REV s26 3's addendum).
   */
  const show = (v: unknown): void => {
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return write(`${v.constructor.name}(${(v as unknown as ArrayLike<unknown>).length})`);
    if (typeof v === 'object' && v !== null && typeof (v as { toJSON?: unknown }).toJSON === 'function') v = (v as { toJSON: () => unknown }).toJSON();
    if (v instanceof String || v instanceof Number || v instanceof Boolean || v instanceof BigInt) v = v.valueOf();
    if (typeof v === 'string') return write(JSON.stringify(v));
    if (typeof v === 'bigint') return write(`${v}n`);
    if (typeof v !== 'object' || v === null) return write(String(v));
    if (open.has(v)) throw CYCLE;
    open.add(v);
    if (Array.isArray(v)) {
      write('[');
      for (let i = 0; i < v.length; i++) {
        if (i > 0) write(',');
        const element: unknown = v[i];
        if (hasJson(element)) show(element);
        else write('null');
      }
      write(']');
    } else {
      write('{');
      let first = true;
      for (const key in v) {
        const property: unknown = Object.hasOwn(v, key) ? (v as Record<string, unknown>)[key] : undefined;
        if (!hasJson(property)) continue;
        write(`${first ? '' : ','}${JSON.stringify(key)}:`);
        first = false;
        show(property);
      }
      write('}');
    }
    open.delete(v);
  };
  try {
    if (hasJson(value)) show(value);
    else text = String(value);
  } catch (e) {
    // A cycle, or a getter that throws: the value by its class, as JSON.stringify's errors were.
    if (e !== FULL) return Object.prototype.toString.call(value);
  }
  return text.length > SHOWN ? `${text.slice(0, SHOWN - 3)}...` : text;
}

/** Whether JSON writes `v` (undefined, a function and a Symbol it leaves out). */
function hasJson(v: unknown): boolean {
  return v !== undefined && typeof v !== 'function' && typeof v !== 'symbol';
}
