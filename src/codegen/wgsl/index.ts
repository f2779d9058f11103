/** WGSL code generation: kernel families, schedules, and module assembly. */
export * from './kernel.js';
export { assembleModule, type ModuleKernels } from './module.js';
export { emitProgramKernels, entryPointName, type EmitProgramOptions } from './program.js';
export { candidates, defaultSchedule, emitKernel, familiesFor, isValidSchedule } from './families.js';
export type { KernelFamily } from './family.js';
export type { KernelContext, StorageType } from './scaffold.js';
export { applyIndexMap, evaluateIndex, renderIndex, rowMajor, type IndexExpr, type IndexVar } from './index-map.js';
