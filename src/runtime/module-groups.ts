/**
 * The part of a module's WGSL each pipeline of a runner compiles (manifest/wgsl-groups.ts): the
 * header and one kernel. Dawn parses and validates the whole text of each module it creates, and
 * every pipeline made from a module goes through the whole module again: a module per kernel keeps
 * bringing up a runner linear in its kernels (a map of 32 kernels in one module took 113 s on
 * SwiftShader), and the same in a module of one map or of hundreds.
 */
import { GROUP_MARKER, KERNEL_MARKER } from '../manifest/wgsl-groups.js';

/** Groups are separated by a blank line; each opens with its marker. */
const GROUP_START = `\n\n${GROUP_MARKER}`;

/**
 * The WGSL module of each kernel of `wgsl` (a module's text, with its kernel set's): the header
 * (the text before the first group: the `enable` directives) and the kernel's own text, up to the
 * next kernel or group. An entry point the text does not mark (a module from a monc that did not
 * mark kernels) gets the whole text.
 */
export function kernelModuleWgsl(wgsl: string): (entryPoint: string) => string {
  const [before, ...kernels] = wgsl.split(`\n${KERNEL_MARKER}`);
  const texts = new Map(kernels.map((k) => [k.slice(0, k.indexOf('\n')), k.split(GROUP_START)[0]]));
  const header = before.split(GROUP_START)[0];
  return (entryPoint) => {
    const kernel = texts.get(entryPoint);
    return kernel === undefined ? wgsl : `${header}\n\n${KERNEL_MARKER}${kernel}`;
  };
}
