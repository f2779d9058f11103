/**
 * Reads the expression IR text that printer.ts writes (`printIrMap`), so that pass tests can be
 * written as Before/After text. Spans become synthetic spans. Malformed text throws an Error
 * naming the line.
 */
import { syntheticSpan } from '../dsl/span.js';
import type { Dtype } from '../dsl/structure.js';
import type { AxisPermutation, IndexMap, IrExpr, IrMap, IrParam, KsExpr, PairMark, ParamSlice } from './ir.js';

const SPAN = syntheticSpan('<ir-text>');

interface Line {
  readonly number: number;
  readonly depth: number;
  readonly text: string;
}

function fail(line: Line | undefined, message: string): never {
  throw new Error(line ? `IR text line ${line.number}: ${message}: '${line.text}'` : `IR text: ${message}`);
}

function ints(text: string): number[] {
  return text.trim() === '' ? [] : text.split(',').map((v) => Number(v.trim()));
}

function parseIndexMap(text: string, size: number, line: Line): IndexMap {
  const m = /^\[(.*)\]$/.exec(text);
  if (!m) fail(line, `bad index map '${text}'`);
  const steps: AxisPermutation[] = [];
  const stepRe = /\(([\d,]*)\):\(([\d,]*)\)/g;
  const rest = m[1].replace(stepRe, (_all, shape: string, perm: string) => {
    steps.push({ shape: ints(shape), perm: ints(perm) });
    return '';
  });
  if (rest.trim() !== '') fail(line, `bad index map '${text}'`);
  return { size, steps };
}

function parseSlice(text: string, line: Line): ParamSlice {
  const m = /^([\w.]+)\[(\d+):(\d+)\]$/.exec(text);
  if (!m) fail(line, `bad parameter slice '${text}'`);
  const start = Number(m[2]);
  return { tensor: m[1], offset: start, length: Number(m[3]) - start };
}

/** A Monarch pair mark as printer.ts writes it: `pair=<group>.<stage>`. */
function parsePairMark(text: string, line: Line): PairMark {
  const m = /^(\d+)\.([01])$/.exec(text);
  if (!m) fail(line, `bad pair mark '${text}'`);
  return { group: Number(m[1]), stage: m[2] === '0' ? 0 : 1 };
}

/** `head(k=v …) key=value …` with values that may contain spaces inside brackets. */
function fields(line: Line): { head: string; args: Record<string, number>; attrs: Record<string, string> } {
  const m = /^(\w+)\(([^)]*)\)\s*(.*)$/.exec(line.text);
  if (!m) fail(line, 'expected `node(args) attrs`');
  const args: Record<string, number> = {};
  for (const part of m[2].split(/\s+/).filter(Boolean)) {
    const [k, v] = part.split('=');
    if (v === undefined || !/^\d+$/.test(v)) fail(line, `bad argument '${part}'`);
    args[k] = Number(v);
  }
  const attrs: Record<string, string> = {};
  const attrRe = /(\w+)=(\[[^\]]*\]|\S+)/g;
  const rest = m[3].replace(attrRe, (_all, k: string, v: string) => {
    attrs[k] = v;
    return '';
  });
  if (rest.trim() !== '') fail(line, `unexpected '${rest.trim()}'`);
  return { head: m[1], args, attrs };
}

function need<T>(value: T | undefined, line: Line, what: string): T {
  if (value === undefined) fail(line, `missing ${what}`);
  return value;
}

function parseLeaf(line: Line): IrExpr {
  const { head, args, attrs } = fields(line);
  const arg = (k: string) => need(args[k], line, `argument ${k}`);
  const attr = (k: string) => need(attrs[k], line, `${k}=`);
  switch (head) {
    case 'ks': {
      const [a, b, c, d] = [arg('a'), arg('b'), arg('c'), arg('d')];
      const ks: KsExpr = { kind: 'ks', a, b, c, d, weight: parseSlice(attr('w'), line), input: parseIndexMap(attr('in'), a * c * d, line), output: parseIndexMap(attr('out'), a * b * d, line), span: SPAN };
      return attrs.pair === undefined ? ks : { ...ks, pair: parsePairMark(attrs.pair, line) };
    }
    case 'bsr': {
      const rows = arg('rows');
      const cols = arg('cols');
      const blocks = [...attr('blocks').matchAll(/\((\d+),(\d+)\)/g)].map((b) => [Number(b[1]), Number(b[2])] as const);
      return {
        kind: 'bsr',
        rows,
        cols,
        bh: arg('bh'),
        bw: arg('bw'),
        blocks,
        weight: parseSlice(attr('w'), line),
        input: parseIndexMap(attr('in'), cols, line),
        output: parseIndexMap(attr('out'), rows, line),
        span: SPAN,
      };
    }
    case 'perm':
      return { kind: 'perm', map: parseIndexMap(attr('map'), arg('size'), line), span: SPAN };
    case 'bias': {
      const size = arg('size');
      return { kind: 'bias', size, param: parseSlice(attr('b'), line), output: parseIndexMap(attr('out'), size, line), span: SPAN };
    }
    default:
      return fail(line, `unknown node '${head}'`);
  }
}

/** Parses the node at lines[pos] and its children; returns it and the index after it. */
function parseNode(lines: readonly Line[], pos: number, depth: number): [IrExpr, number] {
  const line = lines[pos];
  if (line.depth !== depth) fail(line, `expected indentation ${2 * depth}`);
  if (line.text === 'chain' || line.text === 'sum') {
    const children: IrExpr[] = [];
    let next = pos + 1;
    while (next < lines.length && lines[next].depth > depth) {
      const [child, after] = parseNode(lines, next, depth + 1);
      children.push(child);
      next = after;
    }
    return [line.text === 'chain' ? { kind: 'chain', stages: children, span: SPAN } : { kind: 'sum', terms: children, span: SPAN }, next];
  }
  return [parseLeaf(line), pos + 1];
}

export function parseIrMap(text: string): IrMap {
  const lines: Line[] = text
    .split('\n')
    .map((raw, i) => ({ raw, number: i + 1 }))
    .filter(({ raw }) => raw.trim() !== '')
    .map(({ raw, number }) => {
      const indent = raw.length - raw.trimStart().length;
      return { number, depth: indent / 2, text: raw.trim() };
    });
  const header = /^map (\S+) : (\d+) -> (\d+) (f32|f16)$/.exec(lines[0]?.text ?? '');
  if (!header) fail(lines[0], 'expected `map NAME : IN -> OUT DTYPE`');
  let pos = 1;
  const params: IrParam[] = [];
  for (let m; pos < lines.length && (m = /^param (\S+) \(([\d,]*)\)$/.exec(lines[pos].text)); pos++) params.push({ name: m[1], shape: ints(m[2]) });
  if (pos >= lines.length) fail(undefined, 'missing the map body');
  const [body, end] = parseNode(lines, pos, 0);
  if (end !== lines.length) fail(lines[end], 'unexpected text after the body');
  return { name: header[1], in: Number(header[2]), out: Number(header[3]), dtype: header[4] as Dtype, params, body, span: SPAN };
}
