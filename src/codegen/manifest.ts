/**
 * Builds the manifest (`<module>.json`, manifest-types.ts) from the checked module, each map's
 * scheduled program and its emitted kernels. The result depends on nothing but those inputs: no
 * spans (they hold absolute paths), no timestamps, keys in a fixed order.
 */
import type { CheckedMap, CheckedModule, Dtype } from '../dsl/structure.js';
import type { Op, Program } from '../ir/ir.js';
import { modelOf } from '../model/build.js';
import { denseCost, modelCost } from '../model/cost.js';
import { modelWithoutSpans } from '../model/without-spans.js';
import { assertNever, invariant } from '../util/assert.js';
import { baseName } from '../util/base-name.js';
import { argumentError, isRecord } from '../util/library-arguments.js';
import type { Manifest, ManifestBackward, ManifestBinding, ManifestKernel, ManifestMap } from '../manifest/types.js';
import { PATTERN_BINDING } from '../manifest/pattern.js';
import { opData, planForwardKernels } from './manifest-programs.js';
import type { EmittedKernel } from './wgsl/kernel.js';

/** Every kernel's bindings (the contract in wgsl/kernel.ts). */
const KERNEL_BINDINGS: readonly ManifestBinding[] = [
  { binding: 0, name: 'params', type: 'read-only-storage' },
  { binding: 1, name: 'src', type: 'read-only-storage' },
  { binding: 2, name: 'dst', type: 'storage' },
  { binding: 3, name: 'dims', type: 'uniform' },
];

/** A block-sparse kernel's bindings: the contract's, and its pattern table. */
const PATTERN_KERNEL_BINDINGS: readonly ManifestBinding[] = [...KERNEL_BINDINGS, { binding: PATTERN_BINDING, name: 'pattern', type: 'read-only-storage' }];

export function buildManifest(
  module: CheckedModule,
  programs: readonly Program[],
  kernelsByMap: ReadonlyMap<string, readonly EmittedKernel[]>,
  wgslFileName: string,
  version: string,
  /** Each map's backward section (manifest-programs.ts), when the build emitted backward kernels. */
  backward?: ReadonlyMap<string, ManifestBackward>,
): Manifest {
  // A library entry (monc): what JavaScript may pass is checked by name.
  if (!(isRecord(module) && Array.isArray(module.maps))) throw argumentError('buildManifest', 'module must be a checked module (checkSource(...).module)', module);
  if (!Array.isArray(programs)) throw argumentError('buildManifest', 'programs must be an array of compiled maps (compileMap)', programs);
  if (typeof (kernelsByMap as { get?: unknown } | null)?.get !== 'function') throw argumentError('buildManifest', "kernelsByMap must be a Map of each map's emitted kernels", kernelsByMap);
  const maps = module.maps.map((map) => {
    const program = programs.find((p) => p.name === map.name);
    const kernels = kernelsByMap.get(map.name);
    invariant(program && kernels, `no program or kernels for map '${map.name}'`);
    const section = backward?.get(map.name);
    return { ...manifestMap(map, program, kernels, module.dtype), ...(section ? { backward: section } : {}) };
  });
  return {
    monc: version,
    module: module.name,
    source: baseName(module.file),
    dtype: module.dtype,
    wgsl: wgslFileName,
    enables: [...new Set([...kernelsByMap.values()].flatMap((kernels) => kernels.flatMap((k) => k.enables)))].sort(),
    maps,
  };
}

function manifestMap(map: CheckedMap, program: Program, emitted: readonly EmittedKernel[], dtype: Dtype): ManifestMap {
  const model = modelOf(map);
  const elementBytes = bytesPerElement(dtype);
  const kernels = emitted.map((k) => manifestKernel(program, k, elementBytes));
  const dense = denseCost(program.in, program.out);
  return {
    name: program.name,
    in: program.in,
    out: program.out,
    paramCount: modelCost(model).params,
    flopsPerRow: sum(kernels.map((k) => k.flopsPerRow)),
    bytesPerRow: sum(kernels.map((k) => k.bytesPerRow)),
    paramBytes: program.paramSize * elementBytes,
    dense: { paramCount: dense.params, flopsPerRow: dense.flopsPerRow },
    params: program.params.map((p) => ({ name: p.name, shape: [...p.shape], offset: p.offset })),
    paramSize: program.paramSize,
    buffers: program.buffers.map((b) => ({ name: b.name, size: b.size })),
    ops: program.ops.map((op) => opData(op)),
    kernels,
    model: modelWithoutSpans(model),
  };
}

/**
 * A kernel's costs. Bytes count each buffer the dispatch touches in memory once: the sources its
 * ops read that an earlier op of the same dispatch did not produce, the destinations they write,
 * and a destination's old contents where an op accumulates into it. An intermediate that one op
 * of a fused dispatch produces and a later one reads stays on chip (unless it is the result).
 */
function manifestKernel(program: Program, kernel: EmittedKernel, elementBytes: number): ManifestKernel {
  invariant(kernel.ops.length > 0, `kernel ${kernel.entryPoint} performs no op`);
  const ops = kernel.ops.map((i) => program.ops[i]);
  const bufferSize = (name: string): number => {
    const buffer = program.buffers.find((b) => b.name === name);
    invariant(buffer, `kernel ${kernel.entryPoint} uses undeclared buffer '${name}'`);
    return buffer.size;
  };
  const produced = new Set<string>();
  const read = new Set<string>();
  const onChip = new Set<string>();
  for (const op of ops) {
    if (op.kind !== 'bias') (produced.has(op.src) ? onChip : read).add(op.src);
    if (op.accumulate && !produced.has(op.dst)) read.add(op.dst);
    produced.add(op.dst);
  }
  onChip.delete(ops[ops.length - 1].dst);
  const written = [...produced].filter((b) => !onChip.has(b));
  // The binding rule (src, dst) is planForwardKernels's, the runtime's plan of the same kernel.
  const [{ entryPoint, ops: opIndices, src, dst, ...rest }] = planForwardKernels(program.ops, [kernel]);
  return {
    entryPoint,
    ops: opIndices,
    src,
    dst,
    bindings: kernel.pattern ? PATTERN_KERNEL_BINDINGS : KERNEL_BINDINGS,
    ...rest,
    flopsPerRow: sum(ops.map(opFlopsPerRow)),
    bytesPerRow: sum([...read, ...written].map(bufferSize)) * elementBytes,
    paramBytes: sum(ops.map(opParamElements)) * elementBytes,
  };
}

/** As dsl/cost.ts counts: 2 per multiply-add, 1 per bias add; accumulating into dst is free. */
function opFlopsPerRow(op: Op): number {
  switch (op.kind) {
    case 'ks':
      return 2 * op.a * op.b * op.c * op.d + (op.bias?.length ?? 0);
    case 'bsr':
      return 2 * op.blocks.length * op.bh * op.bw + (op.bias?.length ?? 0);
    case 'bias':
      return op.size;
    default:
      return assertNever(op, 'op');
  }
}

function opParamElements(op: Op): number {
  switch (op.kind) {
    case 'ks':
    case 'bsr':
      return op.weight.length + (op.bias?.length ?? 0);
    case 'bias':
      return op.param.length;
    default:
      return assertNever(op, 'op');
  }
}

function bytesPerElement(dtype: Dtype): number {
  return dtype === 'f16' ? 2 : 4;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
