/**
 * Argument checks of one call against its signature: positional and named arguments, unknown,
 * missing and duplicate names, types and value ranges. Integer arguments are evaluated here.
 */
import type { Argument, Call, Value } from './ast.js';
import type { ConstEnv } from './check-consts.js';
import { Code } from './codes.js';
import type { DiagnosticBag } from './diagnostics.js';
import type { Fraction, PatternSpec } from './patterns.js';
import { patterns, type CallSig, type ParamSig } from './signatures.js';
import type { Span } from './span.js';
import { didYouMean } from './suggest.js';

export type ArgValue =
  | { readonly type: 'int'; readonly value: number }
  | { readonly type: 'ints'; readonly values: readonly number[] }
  | { readonly type: 'word'; readonly word: string }
  | { readonly type: 'fraction'; readonly fraction: Fraction; readonly text: string }
  | { readonly type: 'pattern'; readonly pattern: PatternSpec };

/** The checked arguments of one call, by name. */
export class Args {
  constructor(
    readonly call: Call,
    private readonly values: ReadonlyMap<string, { readonly value: ArgValue; readonly span: Span }>,
  ) {}

  has(name: string): boolean {
    return this.values.has(name);
  }

  span(name: string): Span {
    return this.values.get(name)?.span ?? this.call.span;
  }

  int(name: string): number | undefined {
    const v = this.values.get(name)?.value;
    return v?.type === 'int' ? v.value : undefined;
  }

  /** A list of integers; a `block` given as one integer b is [b, b]. */
  ints(name: string): readonly number[] | undefined {
    const v = this.values.get(name)?.value;
    if (v?.type === 'ints') return v.values;
    return v?.type === 'int' ? [v.value, v.value] : undefined;
  }

  word(name: string): string | undefined {
    const v = this.values.get(name)?.value;
    return v?.type === 'word' ? v.word : undefined;
  }

  fraction(name: string): { fraction: Fraction; text: string } | undefined {
    const v = this.values.get(name)?.value;
    return v?.type === 'fraction' ? { fraction: v.fraction, text: v.text } : undefined;
  }

  pattern(name: string): PatternSpec | undefined {
    const v = this.values.get(name)?.value;
    return v?.type === 'pattern' ? v.pattern : undefined;
  }
}

/** Checks `call` against `sig`; undefined when any argument is wrong (each problem is reported). */
export function checkArgs(call: Call, sig: CallSig, env: ConstEnv, bag: DiagnosticBag): Args | undefined {
  const name = call.callee.name;
  const named = nameArguments(call, sig, bag);
  if (!named) return undefined;
  let ok = true;
  const values = new Map<string, { value: ArgValue; span: Span }>();
  const seen = new Map<string, Span>();
  for (const { key, arg } of named) {
    const param = sig.params.get(key);
    const keySpan = arg.name?.span ?? arg.span;
    if (!param) {
      bag.error(Code.UnknownArgument, `${name}() has no argument '${key}'${didYouMean(key, sig.params.keys())}`, keySpan, [
        { message: `${name}() accepts: ${[...sig.params.keys()].join(', ')}` },
      ]);
      ok = false;
      continue;
    }
    const first = seen.get(key);
    if (first) {
      bag.error(Code.DuplicateArgument, `argument '${key}' is given twice`, keySpan, [{ message: 'first given here', span: first }]);
      ok = false;
      continue;
    }
    seen.set(key, keySpan);
    const value = checkValue(key, param, arg.value, env, bag);
    if (value) values.set(key, { value, span: arg.value.span });
    else ok = false;
  }
  for (const [key, param] of sig.params) {
    if (param.required && !seen.has(key)) {
      bag.error(Code.MissingArgument, `${name}() needs the argument '${key}:'`, call.span);
      ok = false;
    }
  }
  return ok ? new Args(call, values) : undefined;
}

/** Gives each argument its parameter name; positional ones take the signature's positional names. */
function nameArguments(call: Call, sig: CallSig, bag: DiagnosticBag): { key: string; arg: Argument }[] | undefined {
  const out: { key: string; arg: Argument }[] = [];
  let sawNamed = false;
  let ok = true;
  call.args.forEach((arg, i) => {
    if (arg.name) {
      sawNamed = true;
      out.push({ key: arg.name.name, arg });
      return;
    }
    const positional = sig.positional ?? [];
    if (sawNamed) {
      bag.error(Code.PositionalArgument, 'a positional argument cannot follow named arguments', arg.span);
      ok = false;
    } else if (i >= positional.length) {
      // Once per call, at the first one too many: `ks(2, 3, 3, 4)` gave four identical errors (QA2 s14 R32).
      if (i === positional.length) {
        const required = [...sig.params].filter(([, p]) => p.required).map(([k]) => `${k}:`);
        const hint = positional.length === 0 ? ` (name ${call.args.slice(i).filter((a) => !a.name).length > 1 ? 'them' : 'it'}${required.length ? `, e.g. ${required[0]} …` : ''})` : ` (it takes ${positional.length})`;
        bag.error(Code.PositionalArgument, `too many positional arguments for ${call.callee.name}()${hint}`, arg.span);
      }
      ok = false;
    } else {
      out.push({ key: positional[i], arg });
    }
  });
  return ok ? out : undefined;
}

function describe(v: Value): string {
  switch (v.kind) {
    case 'int':
    case 'arith':
      return 'an integer';
    case 'name':
      return `the name '${v.name}'`;
    case 'decimal':
      return `the decimal ${v.text}`;
    case 'string':
      return 'a string';
    case 'list': {
      // What is wrong with it: its length, or an item that is not an integer.
      const other = v.items.find((item) => !isIntExpr(item));
      if (other) return `a list holding ${describe(other)}`;
      const n = v.items.length;
      return n === 0 ? 'an empty list' : `a list of ${n} integer${n === 1 ? '' : 's'}`;
    }
    case 'call':
      return `${v.callee.name}(…)`;
  }
}

const expectedText: Readonly<Record<ParamSig['type'], string>> = {
  int: 'an integer',
  block: 'an integer or a list of two integers [bh, bw]',
  ints: 'a non-empty list of integers',
  word: 'a word',
  fraction: 'a decimal number in (0, 1]',
  pattern: 'a mask path string or a pattern such as band(width: 2)',
};

function checkValue(key: string, param: ParamSig, v: Value, env: ConstEnv, bag: DiagnosticBag): ArgValue | undefined {
  const wrongType = () => {
    const words = param.words ? `one of ${param.words.join(', ')}` : expectedText[param.type];
    bag.error(Code.ArgumentType, `'${key}' must be ${words}, found ${describe(v)}`, v.span);
    return undefined;
  };
  switch (param.type) {
    case 'int': {
      if (!isIntExpr(v)) return wrongType();
      const value = checkInt(key, param, v, env, bag);
      return value === undefined ? undefined : { type: 'int', value };
    }
    case 'block': {
      if (isIntExpr(v)) {
        const value = checkInt(key, param, v, env, bag);
        return value === undefined ? undefined : { type: 'int', value };
      }
      if (v.kind !== 'list' || v.items.length !== 2) return wrongType();
      return checkIntList(key, param, v.items, env, bag, wrongType);
    }
    case 'ints':
      if (v.kind !== 'list' || v.items.length === 0) return wrongType();
      if (param.maxItems !== undefined && v.items.length > param.maxItems) {
        bag.error(Code.ArgumentValue, `'${key}' lists at most ${param.maxItems} values, found ${v.items.length}`, v.span);
        return undefined;
      }
      return checkIntList(key, param, v.items, env, bag, wrongType);
    case 'word':
      if (v.kind !== 'name') return wrongType();
      if (!param.words?.includes(v.name)) {
        bag.error(Code.ArgumentValue, `'${key}' must be one of ${param.words?.join(', ')}, found '${v.name}'`, v.span);
        return undefined;
      }
      return { type: 'word', word: v.name };
    case 'fraction':
      return checkFraction(key, v, env, bag, wrongType);
    case 'pattern':
      return checkPattern(v, env, bag, wrongType);
  }
}

function isIntExpr(v: Value): v is Extract<Value, { kind: 'int' | 'name' | 'arith' }> {
  return v.kind === 'int' || v.kind === 'name' || v.kind === 'arith';
}

function checkInt(key: string, param: ParamSig, v: Extract<Value, { kind: 'int' | 'name' | 'arith' }>, env: ConstEnv, bag: DiagnosticBag): number | undefined {
  const value = env.eval(v);
  if (value === undefined) return undefined;
  if (param.min !== undefined && value < param.min) {
    bag.error(Code.ArgumentValue, `'${key}' must be at least ${param.min}, found ${value}`, v.span);
    return undefined;
  }
  if (param.max !== undefined && value > param.max) {
    bag.error(Code.ArgumentValue, `'${key}' must be at most ${param.max}, found ${value}`, v.span);
    return undefined;
  }
  return value;
}

function checkIntList(key: string, param: ParamSig, items: readonly Value[], env: ConstEnv, bag: DiagnosticBag, wrongType: () => undefined): ArgValue | undefined {
  if (!items.every(isIntExpr)) return wrongType();
  const values = items.map((item) => checkInt(key, param, item as Extract<Value, { kind: 'int' | 'name' | 'arith' }>, env, bag));
  return values.every((x) => x !== undefined) ? { type: 'ints', values: values as number[] } : undefined;
}

function checkFraction(key: string, v: Value, env: ConstEnv, bag: DiagnosticBag, wrongType: () => undefined): ArgValue | undefined {
  let fraction: Fraction;
  let text: string;
  if (v.kind === 'decimal') {
    const [whole, digits] = v.text.split('.');
    const den = 10n ** BigInt(digits.length);
    fraction = { num: BigInt(whole) * den + BigInt(digits), den };
    text = v.text;
  } else if (isIntExpr(v)) {
    const value = env.eval(v);
    if (value === undefined) return undefined;
    fraction = { num: BigInt(value), den: 1n };
    text = String(value);
  } else {
    return wrongType();
  }
  if (fraction.num <= 0n || fraction.num > fraction.den) {
    bag.error(Code.ArgumentValue, `'${key}' must be in (0, 1], found ${text}`, v.span);
    return undefined;
  }
  return { type: 'fraction', fraction, text };
}

function checkPattern(v: Value, env: ConstEnv, bag: DiagnosticBag, wrongType: () => undefined): ArgValue | undefined {
  if (v.kind === 'string') return { type: 'pattern', pattern: { kind: 'mask', path: v.value } };
  if (v.kind !== 'call') return wrongType();
  const name = v.callee.name;
  const sig = patterns.get(name);
  if (!sig) {
    bag.error(Code.UnknownPattern, `unknown sparsity pattern '${name}'${didYouMean(name, patterns.keys())}`, v.callee.span, [
      { message: `patterns: ${[...patterns.keys()].join(', ')}, or a mask file "path.npy"` },
    ]);
    return undefined;
  }
  const args = checkArgs(v, sig, env, bag);
  if (!args) return undefined;
  switch (name) {
    case 'flat_butterfly':
      return { type: 'pattern', pattern: { kind: 'flat_butterfly', factors: args.int('factors')! } };
    case 'band':
      return { type: 'pattern', pattern: { kind: 'band', width: args.int('width')! } };
    case 'random': {
      const density = args.fraction('density')!;
      return { type: 'pattern', pattern: { kind: 'random', density: density.fraction, densityText: density.text, seed: args.int('seed')! } };
    }
    default:
      throw new Error(`internal error: pattern ${name} has a signature but no builder`);
  }
}
