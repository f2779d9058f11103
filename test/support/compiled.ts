/**
 * Structures compiled the way `monc build` compiles them (IR pipeline, kernels, one WGSL module,
 * the manifest), for runtime tests that start from a structure rather than from source text.
 */
import { buildManifest } from '../../src/codegen/manifest.js';
import type { ManifestMap } from '../../src/manifest/types.js';
import { assembleModule } from '../../src/codegen/wgsl/module.js';
import { emitProgramKernels, type EmitProgramOptions } from '../../src/codegen/wgsl/program.js';
import type { CheckedMap, Dtype } from '../../src/dsl/structure.js';
import type { Program } from '../../src/ir/ir.js';
import { compileMap } from '../../src/ir/pipeline.js';

export interface Compiled {
  readonly program: Program;
  readonly map: ManifestMap;
  readonly wgsl: string;
}

export function compileForTest(checked: CheckedMap, dtype: Dtype = 'f32', options: EmitProgramOptions = {}): Compiled {
  const program = compileMap(checked, dtype);
  const kernelsByMap = new Map([[program.name, emitProgramKernels(program, options)]]);
  const module = { name: 'test', file: 'test.mon', dtype, consts: {}, maps: [checked] };
  const manifest = buildManifest(module, [program], kernelsByMap, 'test.wgsl', '0.0.0-test');
  return { program, map: manifest.maps[0], wgsl: assembleModule(kernelsByMap).wgsl };
}
