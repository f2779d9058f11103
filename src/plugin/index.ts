/**
 * The monc bundler plugin (unplugin: one factory for Vite, Rollup and esbuild). A `.mon` import
 * compiles at build time into the module `monc build` writes as `<module>.ts` (kernels,
 * bindings, manifest), with its types erased; spec errors fail the build with the location of
 * the first error; the `.mon` file, its mask files and the tuning database are watched.
 * Beside every `.mon` it compiles, the plugin writes `<file>.mon.d.ts` (or `<file>.d.mon.ts`) so that editors and
 * `tsc` see the module's real types (see declarations.ts).
 */
import { dirname, resolve } from 'node:path';
import { createUnplugin, type UnpluginInstance } from 'unplugin';
import { DEFAULT_RUNTIME_IMPORT } from '../compile.js';
import { compileMonFile } from './compile-mon.js';
import { declarationPath, removeOtherForm, writeIfChanged } from './declarations.js';
import { MissingPaths } from './missing-paths.js';
import { findMonFiles } from '../node/find-mon-files.js';
import type { MoncPluginOptions } from './options.js';
import { MoncError } from '../util/error.js';
import { tuningSource, type TuningSource } from './tuning.js';
import { kernelSetsProblem } from '../manifest/build-kernel-sets.js';

export type { MoncPluginOptions } from './options.js';

const MON = /\.mon$/;

/**
 * The `.mon` file a module id asks this plugin to compile, or undefined. Bundlers may add a query
 * of their own (Vite's `?import`, `?v=…`, `?t=…`): `/a/b.mon?import` is `/a/b.mon`. Any other
 * query asks another plugin for something else (`?raw`: the spec's text, `?url`), and is left to
 * it. Only a suffix after `.mon` is a query or a hash: a directory may have `?` or `#` in its name
 * (`/proj/C#/ffn.mon` is a file as it is).
 */
function monFileOf(id: string): string | undefined {
  if (MON.test(id)) return id;
  const m = /^(.*?\.mon)([?#].*)$/.exec(id);
  if (!m) return undefined;
  const [, file, suffix] = m;
  const query = suffix!.startsWith('?') ? suffix!.slice(1).split('#')[0]! : '';
  return [...new URLSearchParams(query).keys()].every((key) => BUNDLER_QUERY.has(key)) ? file : undefined;
}

/** Query parameters a bundler adds to a module id for itself (Vite: `import`, `v`, `t`). */
const BUNDLER_QUERY = new Set(['import', 'v', 't']);

export const monc: UnpluginInstance<MoncPluginOptions | undefined, false> = createUnplugin<MoncPluginOptions | undefined, false>((given) => {
  const options = checkedOptions(given);
  const runtimeImport = options.runtime ?? DEFAULT_RUNTIME_IMPORT;
  const forwardOnly = options.forwardOnly === true;
  const { kernelSets } = options;
  const dts = options.dts ?? true;
  const form = dts === 'arbitrary-extension' ? dts : undefined;
  let root = process.cwd();
  let tuningCache: TuningSource | undefined;
  // Opened on first use: by then Vite has told the project root that a relative path is against.
  const tuning = () => (tuningCache ??= tuningSource(root, options.tuning));
  // Vite's dev server turns a module's watch files into imports, which must exist; it follows
  // the tuning database through its own watcher instead (configureServer).
  let devServer = false;
  // `vite build --watch` and `rollup -w`: their watchers skip paths that do not exist yet (Rollup's, where the folder
  // does not exist either: QA2 s21 Q51); they are followed here.
  let missing: MissingPaths | undefined;
  // `vite dev`: the specs whose declarations each file feeds (the spec itself, the masks it reads), so that an edit
  // rewrites them when it happens, not when a page next requests the module (QA2 s23 Q252: with no page open, never).
  const declaredFrom = new Map<string, Set<string>>();
  const followDeclarations = (file: string, dependencies: readonly string[]) => {
    if (!devServer || !dts) return;
    for (const input of [file, ...dependencies]) {
      const specs = declaredFrom.get(input) ?? new Set<string>();
      declaredFrom.set(input, specs.add(file));
    }
  };

  /** One `.mon` file compiled for the bundler: the result, the files to watch, the warnings; writes its declarations. */
  const load = (file: string) => {
    const source = tuning();
    const { lookup, warning: tuningWarning } = source.current();
    const result = compileMonFile(file, { runtimeImport, tuning: lookup, forwardOnly, kernelSets, ...(source.path ? { tuningPath: source.path } : {}) });
    // The spec itself too: Rollup's watcher does not follow modules that a plugin loads.
    const watched = [file, ...result.dependencies, ...(source.path && !devServer ? [source.path] : [])];
    followDeclarations(file, result.dependencies);
    const dtsWarning = result.ok && dts ? writeDeclarations(file, result.declarations) : undefined;
    const warnings = [...(tuningWarning ? [tuningWarning] : []), ...result.warnings, ...(dtsWarning ? [dtsWarning] : [])];
    return { result, watched, warnings };
  };

  /**
   * Writes a spec's declarations beside it. They are for the editor: one that cannot be written
   * (a read-only directory) is a warning, returned, and never fails the import of a spec that
   * compiled.
   */
  const writeDeclarations = (file: string, declarations: string): string | undefined => {
    try {
      writeIfChanged(declarationPath(file, form), declarations);
      removeOtherForm(file, form);
      return undefined;
    } catch (e) {
      if (e instanceof MoncError) return `no declarations for ${file}: ${e.message}`;
      throw e;
    }
  };

  return {
    name: 'monc',
    enforce: 'pre',

    loadInclude: (id) => monFileOf(id) !== undefined,

    load(id) {
      const file = monFileOf(id);
      if (file === undefined) return null; // not ours: another plugin's query (`?raw`), or not a spec
      const { result, watched, warnings } = load(file);
      for (const dependency of watched) this.addWatchFile(dependency);
      if (missing?.follow(watched)) this.addWatchFile(missing.trigger());
      for (const warning of warnings) this.warn(warning);
      if (!result.ok) {
        this.error(result.error);
        return { code: 'export {};' }; // Rollup and Vite throw in error(); a bundler that collects errors gets an empty module
      }
      return { code: result.code, map: null };
    },

    // esbuild loads `.mon` files through its own onLoad instead of the hook above (whose filter
    // matches nothing here): only a native message carries the source line (lineText) that
    // esbuild frames under a located error; through the hook its frame showed an empty line.
    esbuild: {
      onLoadFilter: /^$/, // no path (a Go regular expression: esbuild has no lookahead)
      setup(build) {
        // The project root a relative `tuning` path is against: esbuild's working directory when the build sets one.
        root = build.initialOptions.absWorkingDir ?? root;
        build.onLoad({ filter: MON }, (args) => {
          const { result, watched, warnings } = load(args.path);
          const common = { watchFiles: watched, warnings: warnings.map((text) => ({ text })), resolveDir: dirname(args.path), loader: 'js' as const };
          if (result.ok) return { ...common, contents: result.code };
          const { message, loc, lineText, byteColumn } = result.error;
          return { ...common, contents: 'export {};', errors: [{ text: message, location: { ...loc, column: byteColumn, lineText } }] };
        });
      },
    },

    rollup: {
      buildStart() {
        if (this.meta.watchMode) missing ??= new MissingPaths();
      },
      closeWatcher() {
        missing?.close();
      },
    },

    vite: {
      // Vite bundles a Web Worker with `worker.plugins`, not `plugins`: a spec imported there was parsed as JavaScript in
      // `vite build` (QA2 s22 Q154; `vite dev` serves workers through `plugins`). Vite appends these to the user's own.
      config: () => ({ worker: { plugins: () => [monc.vite(given)] } }),
      configResolved(config) {
        root = config.root;
        devServer = config.command === 'serve';
        if (config.command === 'build' && config.build.watch) missing = new MissingPaths();
      },
      closeWatcher() {
        missing?.close();
      },
      // The dev server's close (its watcher is not the bundler's): the followed paths' trigger folder goes with it.
      closeBundle() {
        if (devServer) missing?.close();
      },
      configureServer(server) {
        const { path: tuningPath } = tuning();
        // The dev server's watcher misses a path that does not exist when it meets it: a tuning database whose folder is
        // not made yet (QA2 s30 Q958: the default one before the first `monc tune` made ~/.cache/monc), a mask a spec names
        // before it is written (Q959: its import fails, and the file's appearance reloaded nothing). Such paths are followed
        // as the build watchers follow them (load() hands them over too); once one appears, every spec recompiles.
        // The follower itself says when one appeared (its trigger serves the build watchers).
        const reloadSpecs = () => {
          for (const module of server.moduleGraph.idToModuleMap.values()) if (module.id && monFileOf(module.id) !== undefined) server.moduleGraph.invalidateModule(module);
          server.ws.send({ type: 'full-reload' });
        };
        // A path that appeared: the watcher is given it (the database's later edits, a mask's: QA2 s31 Q959, the watcher
        // reported nothing in a folder made after it started, and the mask's load added it only outside the root).
        const follow: MissingPaths = new MissingPaths(() => {
          server.watcher.add(follow.takeAppeared());
          reloadSpecs();
        });
        missing = follow;
        server.httpServer?.once('close', () => follow.close());
        if (tuningPath) {
          server.watcher.add(tuningPath);
          follow.follow([tuningPath]);
        }
        server.watcher.on('all', (_event, changed) => {
          if (resolve(changed) === tuningPath) reloadSpecs();
        });
        // Types for every spec of the project up front, so the editor has them before the page
        // imports anything, and again when a spec or a mask it reads changes. A convenience: a spec that cannot be read
        // (over the size limit) or declarations that cannot be written are a warning, and the server goes on (the page
        // may never import that spec; one it imports fails or warns in load()).
        if (!dts) return;
        const declare = (file: string) => {
          let warning: string | undefined;
          try {
            const result = compileMonFile(file, { runtimeImport, tuning: tuning().current().lookup, forwardOnly, kernelSets });
            followDeclarations(file, result.dependencies);
            // A mask outside the root, of a spec no page imports: Vite's watcher does not follow it otherwise.
            server.watcher.add(result.dependencies);
            if (result.ok) warning = writeDeclarations(file, result.declarations);
          } catch (e) {
            if (!(e instanceof MoncError)) throw e;
            warning = `no declarations for ${file}: ${e.message}`;
          }
          if (warning) server.config.logger.warn(`monc: ${warning}`);
        };
        const unreadable = (dir: string, reason: string) => server.config.logger.warn(`monc: no declarations for the specs in ${dir}: cannot list it: ${reason}`);
        for (const file of findMonFiles(root, unreadable)) declare(file);
        server.watcher.on('all', (event, changed) => {
          if (event === 'add' || event === 'change') for (const file of declaredFrom.get(resolve(changed)) ?? []) declare(file);
        });
      },
    },
  };
});

/** The plugin's options: a record of every key, so an option added to MoncPluginOptions and not here fails the type-check. */
const OPTIONS: { readonly [K in keyof Required<MoncPluginOptions>]: true } = { runtime: true, tuning: true, dts: true, forwardOnly: true, kernelSets: true };
const OPTION_NAMES: readonly string[] = Object.keys(OPTIONS);

/**
 * The options as a JavaScript config may pass them (anything: `process.env.FORWARD_ONLY`, a
 * number, a misspelt name), checked up front: a wrong value failed later with a Node TypeError or
 * an odd resolve error, and `forwardOnly: 'yes'` or a misspelt `fowardOnly` silently built every
 * training kernel, the mistake the option exists to avoid.
 */
function checkedOptions(given: unknown): MoncPluginOptions {
  if (given === undefined) return {};
  if (typeof given !== 'object' || given === null) throw badOption('options', 'an object', given);
  const unknown = Object.keys(given).filter((name) => !OPTION_NAMES.includes(name));
  if (unknown.length > 0) throw new MoncError('user', `monc plugin: unknown option ${unknown.join(', ')} (the options are ${OPTION_NAMES.join(', ')})`);
  const o = given as Record<string, unknown>;
  if (o.runtime !== undefined && (typeof o.runtime !== 'string' || o.runtime === '')) throw badOption('runtime', 'a module specifier (a non-empty string)', o.runtime);
  if (o.tuning !== undefined && o.tuning !== false && (typeof o.tuning !== 'string' || o.tuning === '')) throw badOption('tuning', 'a path or false', o.tuning);
  if (o.dts !== undefined && typeof o.dts !== 'boolean' && o.dts !== 'arbitrary-extension') throw badOption('dts', "true, false or 'arbitrary-extension'", o.dts);
  if (o.forwardOnly !== undefined && typeof o.forwardOnly !== 'boolean') throw badOption('forwardOnly', 'true or false', o.forwardOnly);
  const setsProblem = o.kernelSets === undefined ? undefined : kernelSetsProblem(o.kernelSets);
  if (setsProblem) throw badOption('kernelSets', setsProblem, o.kernelSets);
  return o as MoncPluginOptions;
}

function badOption(name: string, what: string, value: unknown): MoncError {
  return new MoncError('user', `monc plugin: option ${name} must be ${what}, not ${JSON.stringify(value) ?? String(value)}`);
}

export default monc;
