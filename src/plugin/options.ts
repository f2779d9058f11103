/**
 * The plugin's options, in a module of their own: the per-bundler entries' declarations
 * (`monc/vite`…) refer to this type and the bundler's own, not to unplugin's declarations, which
 * import every bundler unplugin supports and so fail a strict user project's type-check.
 */
import type { BuildKernelSet } from '../manifest/build-kernel-sets.js';

/** The declaration file form TypeScript reads under node16/nodenext for an import of a `.mon` file. */
export type DeclarationForm = 'arbitrary-extension';

export interface MoncPluginOptions {
  /** Module specifier the generated code imports the runtime from (default 'monc/runtime', browser-safe). */
  readonly runtime?: string | undefined;
  /**
   * The tuning database whose schedules the kernels use: a path (relative to the project
   * root), or false for untuned defaults. Default: the database `monc tune` writes.
   */
  readonly tuning?: string | false | undefined;
  /**
   * Type declarations beside each `.mon` file: true (default) writes `<file>.mon.d.ts`, which
   * `moduleResolution: bundler` reads with no compiler option; 'arbitrary-extension' writes
   * `<file>.d.mon.ts`, which an ECMAScript-module project under node16/nodenext reads (it needs
   * `allowArbitraryExtensions: true`, and so does bundler resolution then); false writes none.
   */
  readonly dts?: boolean | DeclarationForm | undefined;
  /**
   * Emit each map's forward kernels only, as `monc build --forward-only` does: a smaller bundle
   * whose maps run but cannot train (backward, fitMse, optimizers and `create({ training: true })`
   * reject). Default false: every kernel, training included.
   */
  readonly forwardOnly?: boolean | undefined;
  /**
   * The kernel sets each map keeps, as `monc build --kernel-sets` (names: tuned, tensor-core,
   * large, portable, f32-storage). E.g. `['portable', 'f32-storage']` leaves out the tensor-core
   * and large sets: a smaller bundle that runs the kernels every adapter has. Default: every set.
   */
  readonly kernelSets?: readonly BuildKernelSet[] | undefined;
}
