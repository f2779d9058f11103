/**
 * The group and kernel markers of a module's WGSL, a contract between the build
 * (codegen/wgsl/module.ts writes them) and the runtime (runtime/module-groups.ts slices by them):
 * a header (the generated-code comment, then any `enable` directives), then groups separated by a
 * blank line, each opening with the line `// map <group>`: per map its forward kernels (`<map>`)
 * and its backward kernels (`<map> (backward)`), then the groups every map shares (the optimizer
 * updates and training-step kernels). Within a group each kernel opens with the line `// kernel
 * <entry point>`, and its declarations carry its entry point's name (EmittedKernel), so the header
 * and one kernel form a complete WGSL module: what a runner compiles for that kernel's pipeline.
 */

/** The comment that opens a group's first line; the group's name follows it. */
export const GROUP_MARKER = '// map ';

/** The first line of the group named `group`. */
export function groupMarker(group: string): string {
  return `${GROUP_MARKER}${group}`;
}

/** The comment that opens a kernel's first line within its group; its entry point follows it. */
export const KERNEL_MARKER = '// kernel ';

/** The first line of the kernel whose entry point is `entryPoint`. */
export function kernelMarker(entryPoint: string): string {
  return `${KERNEL_MARKER}${entryPoint}`;
}

/** The group of a map's backward kernels. */
export function backwardGroup(mapName: string): string {
  return `${mapName} (backward)`;
}

/** The group of the optimizer update and training-step kernels: one set serves every map. */
export const OPTIMIZER_GROUP = 'every map (optimizer updates)';
