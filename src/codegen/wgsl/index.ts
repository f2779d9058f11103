/** WGSL code generation: kernel families, schedules, and module assembly. */
export * from './kernel.js';
export { assembleModule, type ModuleKernels } from './module.js';
export { emitProgramKernels, entryPointName, type EmitProgramOptions, type TunedSchedule } from './program.js';
export {
  candidates,
  defaultSchedule,
  emitFusedKernel,
  emitKernel,
  familiesFor,
  fusablePairs,
  fusedCandidates,
  fusedDefaultSchedule,
  fusesAt,
  isValidFusedSchedule,
  isValidSchedule,
} from './families.js';
export type { KernelFamily } from './family.js';
export type { KernelContext, StorageType } from './scaffold.js';
export { applyIndexMap, evaluateIndex, renderIndex, rowMajor, type IndexExpr, type IndexVar } from './index-map.js';
