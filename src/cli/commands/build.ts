/** `monc build FILE.mon… --out DIR [--tuning DB.json]` */
import { join } from 'node:path';
import type { TuningLookup } from '../../compile-kernels.js';
import { tuningSource } from '../../plugin/tuning.js';
import { parseDb } from '../../runtime/tuner/db.js';
import { scheduleLookup } from '../../runtime/tuner/lookup.js';
import { compileSpec } from '../compile-spec.js';
import { note, type CommandContext, type CommandResult } from '../context.js';
import { readText, writeAtomic } from '../files.js';
import { UserError } from '../user-error.js';

export async function buildCommand(ctx: CommandContext, files: readonly string[], opts: { out: string; tuning?: string }): Promise<CommandResult> {
  const tuning = await tuningLookup(ctx, opts.tuning);
  // Everything compiles before anything is written: a bad spec leaves the output directory as it was.
  const specs = [];
  for (const file of files) specs.push(await compileSpec(ctx, file, tuning));
  const byModule = new Map<string, string>();
  for (const spec of specs) {
    const other = byModule.get(spec.module.name);
    if (other !== undefined) throw new UserError(`${spec.file}: module '${spec.module.name}' is also defined by ${other}; their outputs would overwrite each other`);
    byModule.set(spec.module.name, spec.file);
  }

  const modules = [];
  for (const { file, outputs } of specs) {
    const written = [];
    for (const [ext, text] of [['wgsl', outputs.wgsl], ['ts', outputs.ts], ['json', outputs.manifestJson]] as const) {
      const path = join(opts.out, `${outputs.moduleName}.${ext}`);
      await writeAtomic(path, text);
      written.push(path);
    }
    modules.push({ module: outputs.moduleName, file, maps: outputs.manifest.maps.map((m) => m.name), files: written });
  }
  return {
    json: { out: opts.out, modules },
    text: modules.map((m) => `${m.file}: module ${m.module} (${m.maps.length} map${m.maps.length === 1 ? '' : 's'}) -> ${m.files.join(', ')}`).join('\n'),
  };
}

/**
 * The schedules to build with: from `--tuning DB.json` (which must exist and be a tuning
 * database), else from the database `monc tune` writes, as the bundler plugins do (none yet:
 * untuned defaults).
 */
async function tuningLookup(ctx: CommandContext, path: string | undefined): Promise<TuningLookup | undefined> {
  if (path === undefined) {
    const { lookup, warning } = tuningSource(process.cwd(), undefined).current();
    if (warning) note(ctx, warning);
    return lookup;
  }
  const parsed = parseDb(await readText(path));
  if ('error' in parsed) throw new UserError(`${path}: ${parsed.error}`);
  return scheduleLookup(parsed.db);
}
