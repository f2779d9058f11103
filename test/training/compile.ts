/** One map compiled into a module the way `monc build` does it, backward kernels included. */
import { compileKernelsOfModule } from '../../src/compile-kernels.js';
import type { Manifest } from '../../src/manifest/types.js';
import type { CheckedMap, Dtype } from '../../src/dsl/structure.js';

export function compileModuleForTest(map: CheckedMap, dtype: Dtype = 'f32', rowsPerSplit?: number): { manifest: Manifest; wgsl: string } {
  const module = { name: 'test', file: 'test.mon', dtype, consts: {}, maps: [map] };
  const outputs = compileKernelsOfModule(module, { rowsPerSplit });
  return { manifest: outputs.manifest, wgsl: outputs.wgsl };
}
