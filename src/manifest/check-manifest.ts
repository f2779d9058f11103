/**
 * The check decodeManifest runs on every map of a manifest read from a file (docs/manifest.md):
 * a damaged or hand-edited file is refused with one MoncError of kind `format` that names the
 * field (`maps[2].ops[0].input.size: …`), never left to a TypeError, an internal error, NaN
 * output or a loop of 2^31 steps in an executor.
 *
 * Two passes: the fields' shapes first (objects, strings, known op kinds, every count a safe
 * integer in [0, 2^31), so no loop runs past what a buffer holds), then the programs' invariants
 * (program-problems.ts, the same the compiler verifies its own programs with). The generated
 * bindings decode the manifest they embed without it (their page bundles no validator).
 */
import type { ModelMap, ModelNode, ParamSlice } from '../model/types.js';
import { assertNever } from '../util/assert.js';
import { MoncError } from '../util/error.js';
import { shapeText } from '../util/shape-text.js';
import { product } from './index-map.js';
import { shortJson } from './manifest-file.js';
import { patternLayout } from './pattern.js';
import { backwardBindings, forwardBindings } from './kernel-bindings.js';
import { backwardBlocksProblem } from './backward-blocks.js';
import { entryPointProblem } from './entry-points.js';
import { backwardFlowProblem, modelOpsProblem } from './model-ops.js';
import { setKernelsProblem } from './set-kernels.js';
import { setStorageProblem } from './set-storage.js';
import { trainingKernelsProblem } from './training-kernels.js';
import type { BackwardOpData, BackwardProgramData, Dtype, OpData, ProgramData } from './program.js';
import { backwardProblems, programProblems } from './program-problems.js';
import { scheduleWorkgroupSize, type Schedule } from './dispatch.js';
import { GRADIENT_BUFFER, type Manifest, type ManifestMap } from './types.js';

/** The largest count a manifest field may hold: buffers are indexed with 32-bit integers. */
const MAX_COUNT = 0x7fffffff;

/** A field that is not what the format says: its path and what it should be. */
class BadField {
  constructor(
    readonly path: string,
    readonly message: string,
  ) {}
}

type Check = (value: unknown, path: string) => void;

function bad(path: string, expected: string, value: unknown): never {
  throw new BadField(path, `${shortJson(value)} is not ${expected}`);
}

const count =
  (min: 0 | 1): Check =>
  (v, path) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > MAX_COUNT) bad(path, `${min === 1 ? 'a positive' : 'a non-negative'} integer below 2^31`, v);
  };
/** A cost (flops, bytes, parameter counts): reports multiply and divide them, so NaN, a negative value or text would print nonsense. Past 2^31 (a large dense map's flops), up to 2^53. */
const cost: Check = (v, path) => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) bad(path, 'a non-negative integer (a cost)', v);
};
const text: Check = (v, path) => {
  if (typeof v !== 'string') bad(path, 'a string', v);
};
const flag: Check = (v, path) => {
  if (typeof v !== 'boolean') bad(path, 'true or false', v);
};
const isTrue: Check = (v, path) => {
  if (v !== true) bad(path, 'true (or absent)', v);
};
const list =
  (item: Check): Check =>
  (v, path) => {
    if (!Array.isArray(v)) bad(path, 'a list', v);
    v.forEach((x, i) => item(x, `${path}[${i}]`));
  };
const record =
  (fields: Record<string, Check>, optional: Record<string, Check> = {}): Check =>
  (v, path) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) bad(path, 'an object', v);
    const o = v as Record<string, unknown>;
    for (const [k, check] of Object.entries(fields)) check(o[k], `${path}.${k}`);
    for (const [k, check] of Object.entries(optional)) if (o[k] !== undefined) check(o[k], `${path}.${k}`);
  };
const byKind =
  (kinds: Record<string, Check>): Check =>
  (v, path) => {
    record({})(v, path);
    const kind = (v as { kind?: unknown }).kind;
    if (typeof kind !== 'string' || !Object.hasOwn(kinds, kind)) bad(`${path}.kind`, `one of ${Object.keys(kinds).join(', ')}`, kind);
    kinds[kind](v, path);
  };

/** A list of at least one item: a map's kernel sets (the compiler always writes the module's own). */
const someOf =
  (item: Check): Check =>
  (v, path) => {
    list(item)(v, path);
    if ((v as unknown[]).length === 0) bad(path, 'a list of at least one', v);
  };

const oneOf =
  (...values: string[]): Check =>
  (v, path) => {
    if (typeof v !== 'string' || !values.includes(v)) bad(path, `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`, v);
  };

/** A block list [[I, J], …] (up to millions of blocks: no path string is made unless one is wrong). */
const blockList: Check = (v, path) => {
  if (!Array.isArray(v)) bad(path, 'a list', v);
  for (let z = 0; z < v.length; z++) {
    const block: unknown = v[z];
    if (!Array.isArray(block) || block.length !== 2 || !isCount(block[0]) || !isCount(block[1])) bad(`${path}[${z}]`, 'a block [row, column] of non-negative integers below 2^31', block);
  }
};

const isCount = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= MAX_COUNT;

/**
 * The check of one map's fields, built per call: a module with no top-level calls or state, so a
 * page that bundles the runtime without calling decodeManifest keeps none of it.
 */
function mapSchema(): Check {
  const slice = record({ tensor: text, offset: count(0), length: count(0) });
  const indexMap = record({ size: count(1), steps: list(record({ shape: list(count(1)), perm: list(count(0)) })) });
  const ksShape = { kind: text, a: count(1), b: count(1), c: count(1), d: count(1), weight: slice, input: indexMap, output: indexMap };
  const bsrShape = { kind: text, rows: count(1), cols: count(1), bh: count(1), bw: count(1), blocks: blockList, weight: slice, input: indexMap, output: indexMap };
  const matmul = { src: text, dst: text, accumulate: flag };
  const matmulOptional = { bias: slice, transposed: isTrue };
  const forwardOps = {
    ks: record({ ...ksShape, ...matmul }, matmulOptional),
    bsr: record({ ...bsrShape, ...matmul }, matmulOptional),
    bias: record({ dst: text, size: count(1), param: slice, output: indexMap, accumulate: flag }),
  };
  const backwardOps = {
    ...forwardOps,
    wgrad: record({ forward: byKind({ ks: record(ksShape), bsr: record(bsrShape) }), src: text, dy: text, dst: text, rowsPerSplit: count(1) }),
    bgrad: record({ size: count(1), output: indexMap, dy: text, dst: text, rowsPerSplit: count(1) }),
    reduce: record({ src: text, grad: slice, accumulate: flag, rowsPerSplit: count(1) }),
  };
  const buffer = record({ name: text, size: count(1) });
  const nodeBase = { kind: text, in: count(1), out: count(1), path: text };
  const node: Check = (v, path) => byKind(nodeKinds)(v, path);
  const nodeKinds: Record<string, Check> = {
    ks: record({ ...nodeBase, a: count(1), b: count(1), c: count(1), d: count(1), weight: slice }),
    bsr: record({ ...nodeBase, bh: count(1), bw: count(1), blocks: blockList, weight: slice }),
    transpose: record({ ...nodeBase, r: count(1), c: count(1) }),
    bias: record({ ...nodeBase, param: slice }),
    chain: record({ ...nodeBase, stages: list(node) }, { constructorKind: text }),
    sum: record({ ...nodeBase, terms: list(node) }),
    tied: record({ ...nodeBase, map: text, body: node }),
  };
  const model = record({ name: text, in: count(1), out: count(1), params: list(record({ name: text, shape: list(count(0)), fanIn: count(0) })), body: node });
  const triple: Check = (v, path) => {
    if (!Array.isArray(v) || v.length !== 3) bad(path, 'a workgroup size [x, y, z]', v);
    list(count(1))(v, path);
  };
  const pattern = oneOf('csr', 'coo');
  const dispatch = byKind({
    flat: record({ itemsPerRow: count(1), itemsPerWorkgroup: count(1) }),
    tiled: record({ rowsPerWorkgroup: count(1), workgroupsPerRowTile: count(1) }),
    split: record({ rowsPerSplit: count(1), itemsPerSplit: count(1), itemsPerWorkgroup: count(1) }),
    fixed: record({ items: count(1), itemsPerWorkgroup: count(1) }),
  });
  const plan = { entryPoint: text, ops: list(count(0)), src: text, dst: text, workgroupSize: triple, dispatch, schedule: record({ family: text }) };
  const costs = { flopsPerRow: cost, bytesPerRow: cost, paramBytes: cost };
  const kernel = covering(record({ ...plan, bindings: list(record({ binding: count(0), name: text, type: text })), ...costs }, { pattern }));
  const backwardKernel = covering(record({ ...plan, aux: text }, { pattern }));
  const setKernel = covering(record(plan, { pattern }));
  const kernelSet = record(
    {
      name: text,
      storage: oneOf('f32', 'f16'),
      requires: record({ features: list(text), maxComputeInvocationsPerWorkgroup: count(0), maxComputeWorkgroupStorageSize: count(0) }, { subgroupSize: count(1), subgroupMatrixConfigs: list(text) }),
    },
    { wgsl: record({ extendsModule: flag, enables: list(text), text }), kernels: list(setKernel), backwardKernels: list(backwardKernel) },
  );
  return record(
    {
      name: text,
      in: count(1),
      out: count(1),
      paramCount: cost,
      ...costs,
      dense: record({ paramCount: cost, flopsPerRow: cost }),
      params: list(record({ name: text, shape: list(count(0)), offset: count(0) })),
      paramSize: count(0),
      buffers: list(buffer),
      ops: list(byKind(forwardOps)),
      kernels: list(kernel),
    },
    {
      model,
      backward: record({ rowsPerSplit: count(1), buffers: list(buffer), partials: list(buffer), zeroInputGradient: flag, ops: list(byKind(backwardOps)), kernels: list(backwardKernel) }),
      optimizers: list(covering(record({ rule: oneOf('sgd', 'adam'), entryPoint: text, workgroupSize: triple, dispatch, schedule: record({ family: text }) }))),
      trainingStep: record({ kernels: list(record({ name: text, entryPoint: text, workgroupSize: triple, itemsPerWorkgroup: count(1) })) }),
      kernelSets: someOf(kernelSet),
      fallback: record({ storage: oneOf('f32'), wgsl: text, kernels: list(setKernel), backwardKernels: list(backwardKernel) }),
    },
  );
}

/**
 * A kernel's check, then its workgroup against its schedule and its dispatch against its workgroup: a flat, split or
 * fixed rule counts items that each take one invocation (dispatch.ts), so more items per workgroup than invocations
 * dispatches too few workgroups and leaves items undone: wrong output, no error (QA2 s14 R34: 64 -> 128 on a
 * 64-invocation kernel ran with errors of 6). The runtime never reads workgroupSize (the WGSL's @workgroup_size is what
 * runs), so it is held to the schedule's workgroupSize knob, which the WGSL was written with (scheduleWorkgroupSize):
 * an edit of both workgroupSize and itemsPerWorkgroup left half of a flat kernel's outputs undone on WebGPU, 4.6 off the
 * CPU's (s26 OPEN-a). A flat rule's items per row are checked against its op (flatProblem); a tiled rule's rows are the
 * emitter's to know.
 */
function covering(check: Check): Check {
  return (v, path) => {
    check(v, path);
    const { workgroupSize, dispatch, schedule } = v as { workgroupSize: readonly number[]; dispatch: { kind: string; itemsPerWorkgroup?: number }; schedule: Schedule };
    const written = scheduleWorkgroupSize(schedule);
    if (written && written.some((size, axis) => workgroupSize[axis] !== size)) {
      throw new BadField(`${path}.workgroupSize`, `${shortJson(workgroupSize)} is not the ${shortJson(written)} its schedule's workgroupSize (${schedule.workgroupSize}) declares its WGSL with`);
    }
    const invocations = workgroupSize[0] * workgroupSize[1] * workgroupSize[2];
    if (dispatch.kind !== 'tiled' && dispatch.itemsPerWorkgroup! > invocations) {
      throw new BadField(`${path}.dispatch.itemsPerWorkgroup`, `${dispatch.itemsPerWorkgroup} is more than the workgroup's ${invocations} invocations (one per item): the items past them would go undone`);
    }
  };
}

/**
 * How deep a manifest file's arrays and objects may nest. A compiled map's model nests at most
 * about 260 levels (the language's limit of 256 expanded levels, one more for a constructor's
 * factors), two JSON levels each; past this, every reader that walks the model (the check
 * below, the block-sparse references' resolution, the float64 reference) would recurse that deep.
 */
const MAX_NESTING = 1024;

/**
 * A parsed manifest file unchanged, or a MoncError of kind `format` when its arrays and objects
 * nest deeper than MAX_NESTING: run before anything that recurses through it (a file nested
 * thousands of levels deep would otherwise be a RangeError). Walked with an explicit stack, each
 * object once.
 */
export function checkManifestNesting(value: unknown): unknown {
  const seen = new Set<object>();
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object' || seen.has(v)) continue;
    if (depth >= MAX_NESTING) {
      const module = (value as { module?: unknown }).module;
      throw new MoncError('format', `the manifest of module '${String(module)}' nests arrays and objects deeper than ${MAX_NESTING} levels (a compiled map's model nests a few hundred)`);
    }
    seen.add(v);
    for (const child of Object.values(v)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return value;
}

/**
 * `manifest` (decoded: block lists in place) unchanged, or a MoncError of kind `format` naming
 * the first field of a map that is malformed, or the first broken invariant of its programs.
 * `tables`: its file has `format` (2), written since block-sparse kernels read pattern tables, so
 * each such kernel must name its table.
 */
export function checkManifestMaps(manifest: Manifest, tables: boolean): Manifest {
  // A plain object that is no manifest ({}) was 'the manifest of module 'undefined'' (QA2 s26 Q557).
  if (typeof manifest.module !== 'string') throw new MoncError('format', `a monc manifest names its module ("module": a string), got ${shortJson(manifest.module)}`);
  const what = `the manifest of module '${manifest.module}'`;
  const schema = mapSchema();
  if (!Array.isArray(manifest.maps)) throw new MoncError('format', `${what} has no list of maps`);
  const dtype: unknown = manifest.dtype;
  if (dtype !== 'f32' && dtype !== 'f16') throw new MoncError('format', `${what}: dtype: ${shortJson(dtype)} is not "f32" or "f16"`);
  manifest.maps.forEach((map, i) => {
    try {
      schema(map, `maps[${i}]`);
    } catch (e) {
      if (e instanceof BadField) throw new MoncError('format', `${what}: ${e.path}: ${e.message}`);
      throw e;
    }
    const problem = programProblem(map, dtype, tables);
    if (problem) throw new MoncError('format', `${what}: maps[${i}]${problem}`);
  });
  return manifest;
}

/** The first broken invariant of a well-shaped map's programs, as a path suffix and message. */
function programProblem(map: ManifestMap, dtype: Dtype, tables: boolean): string | undefined {
  const { name, in: n, out, params, paramSize } = map;
  const end = params.reduce((last, e) => Math.max(last, e.offset + product(e.shape)), 0);
  // The layout starts each tensor at a multiple of 8 elements; more is room a runner would allocate for nothing.
  if (paramSize >= end + 8) return `.paramSize: ${paramSize} is larger than its parameters' layout (${end} elements)`;
  const modelProblem = map.model && modelNodeProblem(map.model, map);
  if (modelProblem) return modelProblem;
  const forward: ProgramData = { name, in: n, out, dtype, params, paramSize, buffers: map.buffers, ops: map.ops };
  const [first] = programProblems(forward);
  if (first) return `: ${first}`;
  const lowering = map.model && modelOpsProblem(map.model.body, map.ops);
  if (lowering) return lowering;
  // The kernels, after the programs they run.
  const kernels = () => kernelsProblem(map, tables) ?? setKernelsProblem(map) ?? setStorageProblem(map, dtype) ?? trainingKernelsProblem(map);
  const b = map.backward;
  if (!b) return kernels();
  const zero = b.zeroInputGradient ? { zeroInputGradient: true as const } : {};
  const backward: BackwardProgramData = { name, in: n, out, dtype, params, paramSize, buffers: b.buffers, partials: b.partials, rowsPerSplit: b.rowsPerSplit, ...zero, ops: b.ops };
  const [firstBackward] = backwardProblems(backward);
  if (firstBackward) return `.backward: ${firstBackward}`;
  const blocks = backwardBlocksProblem(map.ops, b.ops);
  if (blocks) return blocks;
  const flow = map.model && backwardFlowProblem(map.model.body, b.ops, b.zeroInputGradient === true);
  if (flow) return flow;
  return kernels();
}

/**
 * How the model's tensors (.model.params) differ from the layout's (the first one, by name and shape), as a path suffix
 * and message, or undefined. A name listed twice in either list is refused here, naming it: with the count equal, it
 * would hide another tensor, which would then be called missing from the other list while the file holds it.
 */
function sameTensorsProblem(model: ModelMap['params'], layout: ManifestMap['params']): string | undefined {
  const shapes = new Map(layout.map((e) => [e.name, shapeText(e.shape)]));
  if (model.length !== layout.length) return `.model.params: ${model.length} tensors, the layout (.params) ${layout.length}`;
  const twice = repeatedName(layout, '.params') ?? repeatedName(model, '.model.params');
  if (twice) return twice;
  for (const p of model) {
    const shape = shapes.get(p.name);
    if (shape === undefined) return `.model.params: tensor '${p.name}' is not in the layout (.params)`;
    if (shape !== shapeText(p.shape)) return `.model.params: tensor '${p.name}' has shape ${shapeText(p.shape)}, the layout (.params) ${shape}`;
  }
  return undefined;
}

/** The first tensor of `list` whose name an earlier one has, as a path suffix (`list` is its path) and message. */
function repeatedName(list: readonly { readonly name: string }[], path: string): string | undefined {
  const first = new Map<string, number>();
  for (const [i, { name }] of list.entries()) {
    const earlier = first.get(name);
    if (earlier !== undefined) return `${path}[${i}].name: tensor '${name}' is params[${earlier}] too`;
    first.set(name, i);
  }
  return undefined;
}

/**
 * The first size or slice of the map's model (what the float64 reference, `referenceApply`,
 * evaluates) that does not fit: every node maps `in` values to `out` as its kind says, a chain's
 * stages follow each other, a sum's terms and a tied map's body have the node's sizes, slices lie
 * inside the model's tensors, blocks inside their matrix.
 */
function modelNodeProblem(model: ModelMap, map: ManifestMap): string | undefined {
  if (model.in !== map.in || model.out !== map.out) return `.model: maps ${model.in} values to ${model.out}, the map ${map.in} to ${map.out}`;
  // The reference and projection read the model's tensors, the runners the layout's: one list (QA2 s22 Q155: a shape
  // edited in one ran 60 values where the reference refused them).
  const tensorsProblem = sameTensorsProblem(model.params, map.params);
  if (tensorsProblem) return tensorsProblem;
  const tensors = new Map(model.params.map((p) => [p.name, product(p.shape)]));
  const slice = (s: ParamSlice, length: number, at: string) => {
    const size = tensors.get(s.tensor);
    if (size === undefined) return `${at}: unknown parameter tensor '${s.tensor}'`;
    if (s.offset + s.length > size || s.length !== length) return `${at}: slice [${s.offset}:${s.offset + s.length}] of '${s.tensor}' (${size} elements), expected ${length} elements inside it`;
    return undefined;
  };
  const visit = (n: ModelNode, at: string, io: readonly [number, number]): string | undefined => {
    if (n.in !== io[0] || n.out !== io[1]) return `${at}: maps ${n.in} values to ${n.out}, expected ${io[0]} to ${io[1]}`;
    switch (n.kind) {
      case 'ks':
        if (n.in !== n.a * n.c * n.d || n.out !== n.a * n.b * n.d) return `${at}: K(${n.a}, ${n.b}, ${n.c}, ${n.d}) does not map ${n.in} values to ${n.out}`;
        return slice(n.weight, n.a * n.d * n.b * n.c, `${at}.weight`);
      case 'bsr': {
        const z = n.blocks.findIndex(([i, j]) => (i + 1) * n.bh > n.out || (j + 1) * n.bw > n.in);
        if (z >= 0) return `${at}.blocks[${z}]: outside the ${n.out}×${n.in} matrix of ${n.bh}×${n.bw} blocks`;
        return slice(n.weight, n.blocks.length * n.bh * n.bw, `${at}.weight`);
      }
      case 'transpose':
        return n.in === n.r * n.c && n.out === n.in ? undefined : `${at}: transpose(${n.r}, ${n.c}) does not map ${n.in} values to ${n.out}`;
      case 'bias':
        return slice(n.param, n.out, `${at}.param`);
      case 'chain': {
        let width = n.in;
        for (const [i, stage] of n.stages.entries()) {
          const problem = visit(stage, `${at}.stages[${i}]`, [width, stage.out]);
          if (problem) return problem;
          width = stage.out;
        }
        return width === n.out ? undefined : `${at}: its stages end with ${width} values, not ${n.out}`;
      }
      case 'sum':
        for (const [i, term] of n.terms.entries()) {
          const problem = visit(term, `${at}.terms[${i}]`, io);
          if (problem) return problem;
        }
        return undefined;
      case 'tied':
        return visit(n.body, `${at}.body`, io);
      default:
        return assertNever(n, 'model node');
    }
  };
  return visit(model.body, '.model.body', [model.in, model.out]);
}

/** Kernel lists of a map: where they are, the program whose ops and buffers they name. */
function kernelLists(map: ManifestMap): [string, readonly KernelRefs[] | undefined, 'forward' | 'backward'][] {
  return [
    ['kernels', map.kernels, 'forward'],
    ['backward.kernels', map.backward?.kernels, 'backward'],
    ...(map.kernelSets ?? []).flatMap((set, i): [string, readonly KernelRefs[] | undefined, 'forward' | 'backward'][] => [
      [`kernelSets[${i}].kernels`, set.kernels, 'forward'],
      [`kernelSets[${i}].backwardKernels`, set.backwardKernels, 'backward'],
    ]),
    ['fallback.kernels', map.fallback?.kernels, 'forward'],
    ['fallback.backwardKernels', map.fallback?.backwardKernels, 'backward'],
  ];
}

interface KernelRefs {
  readonly entryPoint: string;
  readonly ops: readonly number[];
  readonly src: string;
  readonly dst: string;
  readonly aux?: string;
  readonly pattern?: string;
  readonly dispatch: { readonly kind: string; readonly rowsPerSplit?: number; readonly itemsPerSplit?: number; readonly itemsPerRow?: number; readonly items?: number; readonly itemsPerWorkgroup?: number };
  readonly schedule: Schedule;
}

/**
 * Where a one-op `flat` kernel's items per batch row are not its op's outputs over its schedule's
 * outputsPerThread (one when it has none): every flat family monc emits (ks-direct, bsr-direct,
 * bsr-t-direct, bias) gives each item that many outputs of its op, so fewer items left outputs
 * undone (QA2 s14 R34: itemsPerRow 15 -> 7 ran with errors of 6.3).
 */
function flatProblem(kernel: KernelRefs, ops: readonly (OpData | BackwardOpData)[]): string | undefined {
  const op = ops[0];
  if (kernel.dispatch.kind !== 'flat' || ops.length !== 1 || !('output' in op)) return undefined;
  const perItem = typeof kernel.schedule.outputsPerThread === 'number' ? kernel.schedule.outputsPerThread : 1;
  const items = op.output.size / perItem;
  if (kernel.dispatch.itemsPerRow === items) return undefined;
  return `.dispatch.itemsPerRow: ${kernel.dispatch.itemsPerRow} is not its op's ${op.output.size} outputs over the ${perItem} of each item (${items})`;
}

/**
 * Where a `fixed` kernel is not one reduce op summing each of its gradient entries once: the
 * reduce kernel (wgsl/weight-grad.ts) is the only one of a map's lists with a fixed rule, one item
 * per entry, so fewer items left gradient entries unsummed (QA2 s20 R96: items 512 -> 256 gave
 * gradients wrong by 1.8, with no error).
 */
function fixedProblem(kernel: KernelRefs, ops: readonly (OpData | BackwardOpData)[]): string | undefined {
  if (kernel.dispatch.kind !== 'fixed') return undefined;
  const op = ops[0];
  if (ops.length !== 1 || op.kind !== 'reduce') return `.dispatch.kind: a fixed rule runs one reduce op, not ${shortJson(ops.map((o) => o.kind))}`;
  if (kernel.dispatch.items === op.grad.length) return undefined;
  return `.dispatch.items: ${kernel.dispatch.items} is not its op's ${op.grad.length} outputs (the gradient entries it sums, one item each)`;
}

/**
 * What one item of a `split` kernel is, by its schedule's family (wgsl/weight-grad.ts, weight-grad-staged.ts): the
 * gradient entries it computes (a thread's tileB × tileC weights, a workgroup's tb × tc tile, one bias entry), and
 * whether it is a whole workgroup (so one item per workgroup) or one invocation; none for a family monc does not write.
 */
const SPLIT_ITEMS: Readonly<Record<string, { readonly entries: (s: Schedule) => number; readonly workgroup?: true }>> = {
  'wgrad-tiled': { entries: (s) => Number(s.tileB) * Number(s.tileC) },
  'wgrad-staged': { entries: (s) => Number(s.tb) * Number(s.tc), workgroup: true },
  bgrad: { entries: () => 1 },
};

/**
 * Where a `split` kernel's items per split are not its op's gradient entries over the entries each item computes (its
 * schedule's tile, as flatProblem reads outputsPerThread): fewer items left entries of every split's partial uncomputed
 * (QA2 s25 Q453: halved, a weight and a bias gradient 0.72 and 0.71 off on WebGPU, the CPU right).
 */
function splitProblem(kernel: KernelRefs, ops: readonly (OpData | BackwardOpData)[]): string | undefined {
  const op = ops[0];
  if (kernel.dispatch.kind !== 'split' || (op.kind !== 'wgrad' && op.kind !== 'bgrad')) return undefined;
  const item = SPLIT_ITEMS[kernel.schedule.family];
  if (!item) return undefined;
  const perItem = item.entries(kernel.schedule);
  const entries = op.kind === 'wgrad' ? op.forward.weight.length : op.size;
  if (kernel.dispatch.itemsPerSplit !== entries / perItem) {
    return `.dispatch.itemsPerSplit: ${kernel.dispatch.itemsPerSplit} is not its op's ${entries} gradient entries over the ${perItem} of each item (${entries / perItem})`;
  }
  // A workgroup item asked twice of a workgroup left every other tile undone (QA2 s25 Q453, addendum 2: 0.72 off).
  if (item.workgroup && kernel.dispatch.itemsPerWorkgroup !== 1) return `.dispatch.itemsPerWorkgroup: ${kernel.dispatch.itemsPerWorkgroup}, where each item of a ${kernel.schedule.family} kernel is a workgroup (1)`;
  return undefined;
}

/**
 * Where a kernel binds other buffers than its ops read and write (kernel-bindings.ts: a swapped
 * src/dst ran on the wrong buffers, QA2 s14 R34), or splits the batch other than its op's
 * partials are laid out (a split rule's rowsPerSplit).
 */
function bindingProblem(kernel: KernelRefs, ops: readonly (OpData | BackwardOpData)[], program: 'forward' | 'backward'): string | undefined {
  const want: { src: string; dst: string; aux?: string } = program === 'forward' ? forwardBindings(ops as readonly OpData[]) : backwardBindings(ops[0]);
  for (const field of ['src', 'dst', 'aux'] as const) {
    if (want[field] !== undefined && kernel[field] !== want[field]) return `.${field}: '${kernel[field]}' is not what its ops bind there ('${want[field]}')`;
  }
  const split = 'rowsPerSplit' in ops[0] ? ops[0].rowsPerSplit : undefined;
  if (kernel.dispatch.kind === 'split' && kernel.dispatch.rowsPerSplit !== split) return `.dispatch.rowsPerSplit: ${kernel.dispatch.rowsPerSplit} is not its op's rowsPerSplit (${split})`;
  return undefined;
}

/**
 * The first kernel that names an op or buffer its program lacks, or binds a pattern its op has
 * not, or the first op its list does not run in order, or the first kernel binding other buffers
 * than its ops (bindingProblem), named otherwise than the kernel of its first op (entry-points.ts) or
 * giving a flat, fixed or split dispatch other items than its op's outputs (flatProblem, fixedProblem, splitProblem).
 */
function kernelsProblem(map: ManifestMap, tables: boolean): string | undefined {
  for (const [where, kernels, program] of kernelLists(map)) {
    if (!kernels) continue;
    const ops: readonly (OpData | BackwardOpData)[] = program === 'forward' ? map.ops : (map.backward?.ops ?? []);
    const names = new Set(program === 'forward' ? map.buffers.map((b) => b.name) : [...(map.backward?.buffers ?? []), ...(map.backward?.partials ?? [])].map((b) => b.name).concat(GRADIENT_BUFFER));
    for (const [k, kernel] of kernels.entries()) {
      const at = `.${where}[${k}]`;
      if (kernel.ops.length === 0) return `${at}.ops: a kernel runs at least one op`;
      const missing = kernel.ops.find((i) => i >= ops.length);
      if (missing !== undefined) return `${at}.ops: op ${missing} does not exist (the program has ${ops.length})`;
      for (const field of ['src', 'dst', 'aux'] as const) {
        const name = kernel[field];
        if (name !== undefined && !names.has(name)) return `${at}.${field}: '${name}' is not a buffer of its program`;
      }
      // The kernel's code reads the table its op's kernels are written for: the other layout read as it, or none bound,
      // ran other numbers on WebGPU than on the CPU, which reads the op's blocks (QA2 s25 Q452: csr -> coo 0.89 off, the
      // table left out 1.0). Only a manifest of a monc before tables (no `format`) has kernels without one.
      const layout = patternLayout(ops[kernel.ops[0]]);
      if (kernel.pattern !== layout && (kernel.pattern !== undefined || tables)) {
        const op = `its op ${kernel.ops[0]}`;
        if (!layout) return `${at}.pattern: ${op} has no block pattern`;
        return `${at}.pattern: ${kernel.pattern === undefined ? 'none' : `'${kernel.pattern}'`} is not the '${layout}' table a kernel of ${op} (${ops[kernel.ops[0]].kind}) reads`;
      }
    }
    const order = orderProblem(kernels, ops.length);
    if (order) return `.${where}${order}`;
    for (const [k, kernel] of kernels.entries()) {
      const run = kernel.ops.map((i) => ops[i]);
      const binding = bindingProblem(kernel, run, program) ?? entryPointProblem(map.name, program, kernel.ops[0], kernel.entryPoint) ?? flatProblem(kernel, run) ?? fixedProblem(kernel, run) ?? splitProblem(kernel, run);
      if (binding) return `.${where}[${k}]${binding}`;
    }
  }
  return undefined;
}

/**
 * Where a kernel list stops running its program's ops once each, in order (what an executor runs
 * them as; the CPU executor runs the ops themselves, so a list that skips or reorders ops would
 * make the two backends disagree, QA2 s13 R20).
 */
function orderProblem(kernels: readonly KernelRefs[], opCount: number): string | undefined {
  let next = 0;
  for (const [k, kernel] of kernels.entries()) {
    for (const op of kernel.ops) {
      if (op !== next) return `[${k}].ops: ${shortJson(kernel.ops)} runs op ${op} where op ${next} comes next (the kernels run each op of the program once, in order)`;
      next += 1;
    }
  }
  return next === opCount ? undefined : `: op ${next} is run by no kernel (the kernels run each of the program's ${opCount} ops once, in order)`;
}
