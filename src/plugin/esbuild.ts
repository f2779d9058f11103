/** `import monc from 'monc/esbuild'`, then `plugins: [monc()]` (see docs/bundler.md). */
import type { Plugin } from 'esbuild';
import { monc } from './index.js';
import type { MoncPluginOptions } from './options.js';

/**
 * Typed with esbuild's own `Plugin`, written out: left to inference, the declaration tsc emits may
 * name unplugin's EsbuildPlugin alias of it instead (a clean install's build did: QA2 s17 R62),
 * and unplugin's declarations import every bundler it supports, so a project with only esbuild
 * installed would fail its type check.
 */
const esbuildPlugin: (options?: MoncPluginOptions) => Plugin = monc.esbuild;

export default esbuildPlugin;
