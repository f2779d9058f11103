/** `import monc from 'monc/vite'`, then `plugins: [monc()]` (see docs/bundler.md). */
import { monc } from './index.js';

export default monc.vite;
