import { defineConfig } from 'vite';
import monc from 'monc/vite';

// `.mon` imports compile at build time (and on every change in `vite dev`).
export default defineConfig({
  plugins: [monc()],
  build: { target: 'es2022' },
});
