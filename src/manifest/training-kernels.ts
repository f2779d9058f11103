/**
 * A map's `optimizers` and `trainingStep` against what every module ships (optimizer.ts, training-step.ts): one update
 * kernel per rule, in OPTIMIZER_RULES order, under its rule's entry point, dispatched one thread per packed parameter
 * (items = paramSize, one item per invocation); the four training-step kernels in the order a step runs them, each
 * under its entry point, covering one item per invocation (mse: MSE_ITEMS). The runtime dispatches them by these fields
 * and their WGSL numbers its threads by its own workgroup size, so an edited field ran other numbers on WebGPU than on
 * the CPU, which runs no kernel (QA2 s25 Q451: items 224 -> 64 left the elements past 64 of an SGD step undone; sgd's
 * and adam's entry points swapped ran Adam for SGD; the mse's itemsPerWorkgroup doubled computed half of DY), or
 * failed as a TypeError (a kernel removed). Their WGSL is the module's file, which decodeManifest does not read: an
 * update kernel's workgroup is its schedule's (check-manifest.ts, covering), a training-step kernel's the contract's
 * TRAINING_STEP_WORKGROUP (a workgroup size edited with its items left elements undone, s26 OPEN-a).
 */
import { shortJson } from './manifest-file.js';
import { OPTIMIZER_RULES, optimizerEntryPoint } from './optimizer.js';
import { MSE_ITEMS, TRAINING_STEP_KERNELS, TRAINING_STEP_WORKGROUP, trainingStepEntryPoint } from './training-step.js';
import type { ManifestMap } from './types.js';

/** The first field of the map's update or training-step kernels that is not what the module ships, as a path suffix and message. */
export function trainingKernelsProblem(map: ManifestMap): string | undefined {
  return optimizersProblem(map) ?? trainingStepProblem(map);
}

function optimizersProblem({ optimizers, paramSize }: ManifestMap): string | undefined {
  if (!optimizers) return undefined;
  const rules = optimizers.map((o) => o.rule);
  if (rules.join() !== OPTIMIZER_RULES.join()) return `.optimizers: rules ${shortJson(rules)}, where a module ships ${shortJson(OPTIMIZER_RULES)} (each once, in that order)`;
  for (const [i, { rule, entryPoint, workgroupSize, dispatch }] of optimizers.entries()) {
    const at = `.optimizers[${i}]`;
    if (entryPoint !== optimizerEntryPoint(rule)) return `${at}.entryPoint: '${entryPoint}' is not rule ${rule}'s update kernel ('${optimizerEntryPoint(rule)}')`;
    if (dispatch.kind !== 'fixed') return `${at}.dispatch.kind: '${dispatch.kind}', where an update kernel's is 'fixed' (one thread per packed parameter)`;
    if (dispatch.items !== paramSize) return `${at}.dispatch.items: ${dispatch.items}, where the map packs ${paramSize} parameters (paramSize), one thread each`;
    const problem = itemsProblem(`${at}.dispatch`, dispatch.itemsPerWorkgroup, workgroupSize, 1);
    if (problem) return problem;
  }
  return undefined;
}

function trainingStepProblem({ trainingStep }: ManifestMap): string | undefined {
  if (!trainingStep) return undefined;
  const names = trainingStep.kernels.map((k) => k.name);
  if (names.join() !== TRAINING_STEP_KERNELS.join()) return `.trainingStep.kernels: ${shortJson(names)}, where a step runs ${shortJson(TRAINING_STEP_KERNELS)} (each once, in that order)`;
  for (const [i, { name, entryPoint, workgroupSize, itemsPerWorkgroup }] of trainingStep.kernels.entries()) {
    const at = `.trainingStep.kernels[${i}]`;
    if (entryPoint !== trainingStepEntryPoint(name)) return `${at}.entryPoint: '${entryPoint}' is not the ${name} kernel ('${trainingStepEntryPoint(name)}')`;
    if (workgroupSize.join() !== `${TRAINING_STEP_WORKGROUP},1,1`) return `${at}.workgroupSize: ${shortJson(workgroupSize)}, where every training-step kernel is written for [${TRAINING_STEP_WORKGROUP},1,1]`;
    const problem = itemsProblem(at, itemsPerWorkgroup, workgroupSize, name === 'mse' ? MSE_ITEMS : 1);
    if (problem) return problem;
  }
  return undefined;
}

/** Why `items` per workgroup is not `perInvocation` items for each invocation of a `workgroupSize` workgroup, if it is not. */
function itemsProblem(at: string, items: number, workgroupSize: readonly number[], perInvocation: number): string | undefined {
  const invocations = workgroupSize.reduce((a, b) => a * b, 1);
  if (items === invocations * perInvocation) return undefined;
  return `${at}.itemsPerWorkgroup: ${items}, where its ${invocations} invocations (workgroupSize ${shortJson(workgroupSize)}) take ${perInvocation === 1 ? 'one item each' : `${perInvocation} items each`}, ${invocations * perInvocation}`;
}
