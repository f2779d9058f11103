/**
 * Structures compiled the way `monc build` compiles them (IR pipeline, forward and backward
 * kernels, one WGSL module, the manifest with an f16 module's f32-storage fallback), for runtime
 * tests that start from a structure rather than from source text.
 */
import { compileKernelsOfModule } from '../../src/compile-kernels.js';
import type { ManifestMap } from '../../src/manifest/types.js';
import type { CheckedMap, Dtype } from '../../src/dsl/structure.js';
import type { Program } from '../../src/ir/ir.js';
import { compileMap } from '../../src/ir/pipeline.js';

export interface Compiled {
  readonly program: Program;
  readonly map: ManifestMap;
  readonly wgsl: string;
}

export function compileForTest(checked: CheckedMap, dtype: Dtype = 'f32'): Compiled {
  const program = compileMap(checked, dtype);
  const module = { name: 'test', file: 'test.mon', dtype, consts: {}, maps: [checked] };
  const { manifest, wgsl } = compileKernelsOfModule(module);
  return { program, map: manifest.maps[0], wgsl };
}
