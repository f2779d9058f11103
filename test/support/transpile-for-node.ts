/**
 * For tests that need the real modules in plain Node child processes: transpiles `entry` and the
 * relative imports it reaches, keeping their paths under `outDir` (an ES module package).
 * Returns `outDir`; the entry is at `outDir/<entry with .js>`.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import ts from 'typescript';

export function transpileForNode(outDir: string, entry: string): string {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'package.json'), '{"type": "module"}\n');
  const pending = [normalize(entry)];
  const done = new Set<string>();
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (done.has(file)) continue;
    done.add(file);
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(/from '(\.{1,2}\/[^']+)\.js'/g)) pending.push(normalize(join(dirname(file), `${m[1]}.ts`)));
    const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } }).outputText;
    const out = join(outDir, file.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, js);
  }
  return outDir;
}
