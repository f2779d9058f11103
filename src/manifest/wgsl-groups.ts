/**
 * The group markers of a module's WGSL, a contract between the build (codegen/wgsl/module.ts
 * writes them) and the runtime (runtime/module-groups.ts slices by them): a header (the
 * generated-code comment, then any `enable` directives), then groups separated by a blank line,
 * each opening with the line `// map <group>`: per map its forward kernels (`<map>`) and its
 * backward kernels (`<map> (backward)`), then the groups every map shares (the optimizer updates
 * and training-step kernels). Each group declares the structs and functions its kernels use, so
 * the header, one map's groups and the shared groups form a complete WGSL module.
 */

/** The comment that opens a group's first line; the group's name follows it. */
export const GROUP_MARKER = '// map ';

/** The first line of the group named `group`. */
export function groupMarker(group: string): string {
  return `${GROUP_MARKER}${group}`;
}

/** The group of a map's backward kernels. */
export function backwardGroup(mapName: string): string {
  return `${mapName} (backward)`;
}

/** The group of the optimizer update and training-step kernels: one set serves every map. */
export const OPTIMIZER_GROUP = 'every map (optimizer updates)';

/** The groups every map's kernels may use, besides its own. */
export const SHARED_GROUPS: readonly string[] = [OPTIMIZER_GROUP];
