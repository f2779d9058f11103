/**
 * The part of a module's WGSL one map's runner compiles: the header, the map's forward and
 * backward groups and the shared groups (manifest/wgsl-groups.ts). A shader module then holds
 * only that map's kernels, so bringing up a runner costs the same in a module of one map or of
 * hundreds (Dawn parses and validates the whole text of each module it creates).
 */
import { backwardGroup, GROUP_MARKER, SHARED_GROUPS } from '../manifest/wgsl-groups.js';

/** Groups are separated by a blank line; each opens with its marker. */
const GROUP_START = `\n\n${GROUP_MARKER}`;

/**
 * The WGSL `mapName`'s kernels need out of the module's text `wgsl`. A text without the map's
 * group (written by a monc that did not mark groups, or not grouped by map) is returned whole.
 */
export function mapModuleWgsl(wgsl: string, mapName: string): string {
  const parts = wgsl.split(GROUP_START);
  const header = parts[0];
  const groups = new Map<string, string>();
  for (const part of parts.slice(1)) {
    const end = part.indexOf('\n');
    const name = end < 0 ? part : part.slice(0, end);
    // A name seen twice means the text is not one group per name: keep it whole rather than guess.
    if (groups.has(name)) return wgsl;
    groups.set(name, part);
  }
  if (!groups.has(mapName)) return wgsl;
  const kept = [mapName, backwardGroup(mapName), ...SHARED_GROUPS].flatMap((name) => {
    const part = groups.get(name);
    return part === undefined ? [] : [part];
  });
  return [header, ...kept].join(GROUP_START);
}
