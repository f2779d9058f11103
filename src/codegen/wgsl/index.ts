/** WGSL code generation: kernel families, schedules, and module assembly. */
export * from './kernel.js';
export { assembleModule, type ModuleKernels } from './module.js';
export { emitProgramKernels, entryPointName, type EmitProgramOptions, type TunedSchedule } from './program.js';
export {
  candidates,
  DEFAULT_RUN_TILE,
  defaultPartition,
  defaultRunAt,
  defaultSchedule,
  emitKernel,
  emitRunKernel,
  familiesFor,
  fusableRuns,
  fusesRun,
  greedyPartition,
  greedyRunAt,
  isValidRunSchedule,
  isValidSchedule,
  runCandidates,
  runFamilyDefaults,
  runsAt,
  type ScheduledRun,
} from './families.js';
export type { KernelFamily, RunFamily } from './family.js';
export type { KernelContext, StorageType } from './scaffold.js';
export { applyIndexMap, evaluateIndex, renderIndex, rowMajor, type IndexExpr, type IndexVar } from './index-map.js';
