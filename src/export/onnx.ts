/**
 * ONNX export of one map: the map's scheduled program (the ops `monc run` executes), op by op,
 * as a standard ONNX graph (default-domain operators, opset 17) with input `x` (batch, n),
 * output `y` (batch, m), `batch` symbolic, and the parameter tensors as initializers under their
 * safetensors names. Permutations stay index arithmetic (Reshape/Transpose, see permute.ts).
 */
import type { CheckedMap, Dtype } from '../dsl/structure.js';
import type { KsOp, Program } from '../ir/ir.js';
import { compileMap } from '../ir/pipeline.js';
import { packParams, type Tensors } from '../runtime/params.js';
import { isPlainObject } from '../runtime/user-error.js';
import { describeValue } from '../util/describe-value.js';
import { MoncError } from '../util/error.js';
import { refuseUnknownOptions } from '../util/library-arguments.js';
import { assertNever } from '../util/assert.js';
import { MONC_VERSION } from '../version.js';
import { GraphBuilder } from './onnx-graph.js';
import { mergedWeight, planMerges, type MergedRun } from './merge-factors.js';
import { biasNodes, bsrNodes, ksNodes, type ParamSource, type SparseForm } from './ops.js';
import { asRows, rowsActivation, type Activation } from './permute.js';

export { ONNX_OPSET } from './onnx-graph.js';
export type { SparseForm } from './ops.js';

/** What a sparse map exports as unless asked: no Gather, no index table (Slices per block row). */
export const DEFAULT_SPARSE_FORM: SparseForm = 'slices';

export interface ExportOnnxOptions {
  /** The checked map (from `checkSource(…).module.maps`). */
  readonly map: CheckedMap;
  /** The module's dtype: f32 exports float32 tensors, f16 float16 ones (input, output, initializers). */
  readonly dtype: Dtype;
  /**
   * Parameter tensors by safetensors name (`up.blkdiag1`), as `paramsOf` lists them: each row-major values or a
   * tensor object `{ shape, data }` (what `readSafetensors(bytes).tensors` holds), whose shape must be the map's.
   */
  readonly params: Tensors;
  /**
   * How a `sparse` term's blocks are selected: 'slices' (default: per block row, Slices of `x`;
   * no Gather and no index table, about 20 nodes per block row) or 'gather' (Gather and ScatterND
   * over int64 tables of the blocks' columns and rows: about 25 nodes whatever the pattern, for
   * fine patterns whose per-row graph loads slowly).
   */
  readonly sparse?: SparseForm | undefined;
}

/**
 * The ONNX model (serialized ModelProto) computing Y = X Mᵀ (+ bias) for `map`, one that
 * `checkSource` accepted (every such map compiles). Its parameters are read as loadParams reads
 * them (the same checks and messages): ParamError for a tensor that is missing or does not fit, a
 * ValueRangeError (kind `value`) for a value the dtype cannot hold (not finite, beyond ±65504 in
 * f16), a MoncError of kind `user` for values that are not numbers, and for arguments that are not
 * a checked map, a dtype of 'f32' or 'f16', and a record or Map of parameters.
 */
export function exportOnnx(options: ExportOnnxOptions): Uint8Array {
  const { map, dtype, params, sparse } = checkedArguments(options);
  return programToOnnx(compileMap(map, dtype), params, sparse);
}

/** `options` as exportOnnx needs them, from JavaScript callers too (no type check there). */
function checkedArguments(options: ExportOnnxOptions): ExportOnnxOptions {
  const bad = (what: string, value: unknown) => new MoncError('user', `exportOnnx({ map, dtype, params }): ${what}, not ${describeValue(value)}`);
  if (typeof options !== 'object' || options === null) throw bad('takes an options object', options);
  refuseUnknownOptions('exportOnnx', options, ['map', 'dtype', 'params', 'sparse']);
  const { map, dtype, params } = options;
  const m = map as Partial<CheckedMap> | null | undefined;
  if (typeof m !== 'object' || m === null || typeof m.name !== 'string' || typeof m.structure !== 'object' || m.structure === null) {
    throw bad('map must be a checked map (checkSource(…).module.maps)', map);
  }
  if (dtype !== 'f32' && dtype !== 'f16') throw bad("dtype must be 'f32' or 'f16'", dtype);
  // An Array, a Date or another class's object holds no tensors by name (QA1 s31 Q1005: [] said a tensor was missing).
  if (!(params instanceof Map || isPlainObject(params))) throw bad('params must be a Map or a record of tensors by name', params);
  if (options.sparse !== undefined && options.sparse !== 'slices' && options.sparse !== 'gather') throw bad("sparse must be 'slices' or 'gather'", options.sparse);
  return options;
}

/** The ONNX model of a scheduled program (what `exportOnnx` does after compiling). */
export function programToOnnx(program: Program, params: ExportOnnxOptions['params'], sparse: SparseForm = DEFAULT_SPARSE_FORM): Uint8Array {
  const g = new GraphBuilder(program.dtype === 'f16' ? 'float16' : 'float32');
  // Packed as loadParams packs them (tensor objects, shapes, values a dtype cannot hold: a model that computed ±Inf or
  // NaN where `monc run` refuses the file), so the initializers hold the values monc's own runs use.
  const packed = packParams(program.params, program.paramSize, params, program.dtype);
  const sizes = new Map<string, number>();
  for (const p of program.params) {
    const size = p.shape.reduce((s, v) => s * v, 1);
    g.initializer(p.name, p.shape, packed.subarray(p.offset, p.offset + size));
    sizes.set(p.name, size);
  }
  const source: ParamSource = {
    value: (tensor) => (sizes.has(tensor) ? tensor : internal(`op reads unknown parameter tensor '${tensor}'`)),
    size: (tensor) => sizes.get(tensor) ?? internal(`op reads unknown parameter tensor '${tensor}'`),
  };

  // Buffers hold activations: each op reads its source's current one and gives its destination a new one.
  const buffers = new Map<string, Activation>([['x', rowsActivation('x', program.in)]]);
  const read = (name: string) => buffers.get(name) ?? internal(`op reads buffer '${name}' before it is written`);
  const merges = planMerges(program);
  for (let i = 0; i < program.ops.length; i++) {
    const run = merges.get(i);
    // A merged run is one op: the first op's input, the last op's output, bias and destination.
    const op = run ? mergedOp(run) : program.ops[i];
    if (run) i += run.ops.length - 1;
    let result: Activation;
    switch (op.kind) {
      case 'ks':
        result = ksNodes(g, source, op, read(op.src), run && mergedWeight(g, source, run));
        break;
      case 'bsr':
        result = bsrNodes(g, source, op, read(op.src), sparse);
        break;
      case 'bias':
        result = biasNodes(g, source, op, 'x');
        break;
      default:
        return assertNever(op, 'op');
    }
    buffers.set(op.dst, op.accumulate ? rowsActivation(g.add(asRows(g, read(op.dst)), asRows(g, result)), result.map.size) : result);
  }
  const y = g.identity(asRows(g, read('y')), 'y');
  return g.encode(program.name, { name: 'x', size: program.in }, { name: y, size: program.out }, MONC_VERSION);
}

function mergedOp(run: MergedRun): KsOp {
  const first = run.ops[0];
  const last = run.ops[run.ops.length - 1];
  return { ...last, a: run.a, b: run.block, c: run.block, d: run.d, src: first.src, input: first.input };
}

function internal(message: string): never {
  throw new Error(`internal error: ${message}`);
}
