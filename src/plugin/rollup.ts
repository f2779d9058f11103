/** `import monc from 'monc/rollup'`, then `plugins: [monc()]` (see docs/bundler.md). */
import { monc } from './index.js';

export default monc.rollup;
