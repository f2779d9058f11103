import { defineConfig } from 'vite';

// The playground compiles specs in the page (the compiler's browser-safe parts, from src/),
// so it needs no monc plugin. `npm run playground` serves it; `npm run playground:build` builds it.
export default defineConfig({
  base: './',
  build: { target: 'es2022', outDir: 'dist', chunkSizeWarningLimit: 2000 },
  server: { fs: { allow: ['../..'] } },
});
