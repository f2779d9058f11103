// `npm pack` / `npm publish`: build dist/, then drop compiled files whose source is gone, so the
// package never ships a module that no longer exists in src/. (package.json's `files` picks
// dist/src's .js and .d.ts; bench output and anything else in dist/ stays out of the package.)
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });

const compiled = /(\.d\.ts|\.js|\.js\.map|\.d\.ts\.map)$/;
function dropStale(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) dropStale(path);
    else if (compiled.test(entry.name)) {
      const source = join(root, relative(join(root, 'dist'), path)).replace(compiled, '.ts');
      if (!existsSync(source)) rmSync(path);
    }
  }
}
dropStale(join(root, 'dist/src'));
