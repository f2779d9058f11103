/**
 * The optimizer update kernels' contract (SPEC §7): a module ships one update kernel per rule
 * (listed per map in `ManifestMap.optimizers`), and the runtime only dispatches them.
 *
 * Bindings (their own layout, not the forward kernels'):
 *   @binding(0) params : storage, read_write  (storage type; updated in place)
 *   @binding(1) grads  : storage, read        (storage type; packed like params)
 *   @binding(2) state  : storage, read_write  (f32, stateWords(rule) per element: the momentum
 *                                              buffer, or Adam's m then v)
 *   @binding(3) hyper  : uniform, HYPER_BYTES: lr, beta1 (sgd: momentum), beta2, eps,
 *                        weightDecay, c1, c2 (f32), then size and decoupled (u32)
 * One thread per packed parameter element; the kernel reads the buffer's size from `hyper`, so
 * one kernel serves every map of the module.
 */

/** The update rules: `sgd` (SGD with momentum) and `adam` (Adam, and AdamW with `decoupled`). */
export type OptimizerRule = 'sgd' | 'adam';

/** Every rule, in the order a module ships their kernels (a map's `optimizers`, each once). */
export const OPTIMIZER_RULES: readonly OptimizerRule[] = ['sgd', 'adam'];

/** The entry point of `rule`'s update kernel, in the module's WGSL and every kernel set's. */
export function optimizerEntryPoint(rule: OptimizerRule): string {
  return `monc_opt_${rule}`;
}

/** Bytes of the Hyper uniform: lr, beta1 (sgd: momentum), beta2, eps, weightDecay, c1, c2, then size and decoupled (u32). */
export const HYPER_BYTES = 48;

/** Words of optimizer state per parameter element. */
export function stateWords(rule: OptimizerRule): number {
  return rule === 'sgd' ? 1 : 2;
}
