/**
 * The kernel sets a build of this monc writes, by name: what `monc build --kernel-sets`, the
 * bundler plugins' and compileModule's `kernelSets` choose among. Apart from the compiler, so that
 * the command line parses the option without loading it.
 */
import type { KernelSetName } from './types.js';

/** KernelSetName but an older monc's `module`, in the order a map lists them. */
export const BUILD_KERNEL_SETS = ['tuned', 'tensor-core', 'large', 'portable', 'f32-storage'] as const satisfies readonly KernelSetName[];
export type BuildKernelSet = (typeof BUILD_KERNEL_SETS)[number];

/** Why `value` is not a list of kernel sets to keep, as a phrase after "must be", or undefined. */
export function kernelSetsProblem(value: unknown): string | undefined {
  const names = `(the sets are ${BUILD_KERNEL_SETS.join(', ')})`;
  if (!Array.isArray(value) || value.length === 0) return `a non-empty list of kernel set names ${names}`;
  const unknown = value.filter((v) => !(BUILD_KERNEL_SETS as readonly unknown[]).includes(v));
  if (unknown.length > 0) return `a list of kernel set names, and ${unknown.map((v) => JSON.stringify(v)).join(', ')} ${unknown.length === 1 ? 'is none' : 'are none'} ${names}`;
  return undefined;
}
