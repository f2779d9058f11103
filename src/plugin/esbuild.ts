/** `import monc from 'monc/esbuild'`, then `plugins: [monc()]` (see docs/bundler.md). */
import { monc } from './index.js';

export default monc.esbuild;
