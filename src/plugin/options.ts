/**
 * The plugin's options, in a module of their own: the per-bundler entries' declarations
 * (`monc/vite`…) refer to this type and the bundler's own, not to unplugin's declarations, which
 * import every bundler unplugin supports and so fail a strict user project's type-check.
 */
export interface MoncPluginOptions {
  /** Module specifier the generated code imports the runtime from (default 'monc/runtime', browser-safe). */
  readonly runtime?: string;
  /**
   * The tuning database whose schedules the kernels use: a path (relative to the project
   * root), or false for untuned defaults. Default: the database `monc tune` writes.
   */
  readonly tuning?: string | false;
  /** Write `<file>.mon.d.ts` beside each `.mon` file (default true). */
  readonly dts?: boolean;
}
