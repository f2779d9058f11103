/**
 * `monc build FILE.mon… --out DIR [--tuning [DB.json]] [--forward-only]`. Without `--tuning` the
 * kernels take the default schedules, so identical input gives byte-identical output whatever
 * was tuned on this machine (SPEC §5); `--tuning DB.json` takes the schedules of that database,
 * and a bare `--tuning` those of the user's database (what `monc tune` writes).
 * `--forward-only` emits the forward kernels only (compile-kernels.ts `forwardOnly`): the
 * database's entries for backward kernels then go unused. `--kernel-sets` names the kernel sets
 * each map keeps (compile-kernels.ts `kernelSets`).
 */
import { realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { adapterKey } from '../../tuner/adapter-identity.js';
import { buildAdapter, scheduleLookup } from '../../tuner/lookup.js';
import { describeAdapter } from '../../runtime/device.js';
import { MONC_VERSION } from '../../version.js';
import { MoncError } from '../../util/error.js';
import { compileSpec } from '../compile-spec.js';
import { combinedSpecError } from '../load-spec.js';
import { SpecError } from '../spec-error.js';
import { note, type CommandContext, type CommandResult } from '../context.js';
import { writeTogether, type OutputFile } from '../files.js';
import { readTuning, type TuningChoice } from '../tuning.js';
import { unusableTuningNote } from '../../compile-kernels.js';
import type { BuildKernelSet } from '../../manifest/build-kernel-sets.js';
import { escapeHidden } from '../../util/hidden-chars.js';

export interface BuildOptions {
  readonly out: string;
  readonly tuning?: TuningChoice;
  /** Emit the forward kernels only (no backward, optimizer or training-step kernels). */
  readonly forwardOnly?: boolean;
  /** The kernel sets each map keeps (compile-kernels.ts `kernelSets`); default every one. */
  readonly kernelSets?: readonly BuildKernelSet[];
  /** Told each mask file a spec reads, before it is read (`--watch` watches it). */
  readonly onMaskFile?: (file: string) => void;
}

export async function buildCommand(ctx: CommandContext, given: readonly string[], opts: BuildOptions): Promise<CommandResult> {
  const files = distinctFiles(given);
  const loaded = opts.tuning === undefined ? undefined : await readTuning(ctx, opts.tuning);
  // No GPU at build time: the entries of the adapter tuned most recently (the largest batch bucket wins).
  const tuning = loaded && scheduleLookup(loaded.db);
  const adapter = loaded && buildAdapter(loaded.db);
  const tuningAdapter = adapter ? describeAdapter(adapter) : null;
  // A database of several adapters: say whose schedules the build took (a bench on this machine may time others).
  const adapters = loaded ? new Set(loaded.db.entries.filter((e) => e.compiler === MONC_VERSION).map((e) => adapterKey(e.adapter))).size : 0;
  if (adapters > 1) note(ctx, `${loaded!.path}: the schedules tuned on ${tuningAdapter} (of ${adapters} adapters in it, the one tuned most recently)`);
  // Everything compiles before anything is written: a bad spec leaves the output directory as it was.
  // Every file is compiled, so that the errors of each one are reported, not the first file's only.
  const specs = [];
  const specErrors: SpecError[] = [];
  for (const file of files) {
    try {
      specs.push(await compileSpec(ctx, file, { tuning, forwardOnly: opts.forwardOnly === true, kernelSets: opts.kernelSets, ...(opts.onMaskFile ? { onMaskFile: opts.onMaskFile } : {}) }));
    } catch (e) {
      if (!(e instanceof SpecError)) throw e;
      specErrors.push(e);
    }
  }
  if (specErrors.length > 0) throw combinedSpecError(specErrors);
  // Keyed as macOS's default file systems tell names apart: `Ffn.ts` and `ffn.ts` are one file there (and on Windows),
  // and so are a file name's two Unicode spellings, `café.ts` with é as one character (NFC) and as e + U+0301 (NFD; a
  // module named after its file keeps the file name's: QA1 s26 Q503).
  const fileKey = (name: string) => name.normalize('NFC').toLowerCase();
  const byModule = new Map<string, { readonly name: string; readonly file: string }>();
  for (const spec of specs) {
    const name = spec.module.name;
    const other = byModule.get(fileKey(name));
    if (other?.name === name) throw new MoncError('user', `${spec.file}: module '${name}' is also defined by ${other.file}; their outputs would overwrite each other`);
    if (other?.name.toLowerCase() === name.toLowerCase()) {
      throw new MoncError('user', `${spec.file}: module '${name}' and module '${other.name}' of ${other.file} differ only in case; their outputs would overwrite each other on a case-insensitive file system (macOS, Windows)`);
    }
    if (other) {
      throw new MoncError('user', `${spec.file}: module '${name}' and module '${other.name}' of ${other.file} differ only in how Unicode writes a character (NFC or NFD: é as one character or as e + U+0301)${name.normalize('NFC') === other.name.normalize('NFC') ? '' : ' and in case'}; their outputs would overwrite each other on macOS, whose file systems do not tell them apart`);
    }
    byModule.set(fileKey(name), { name, file: spec.file });
  }

  const modules = [];
  const outputFiles: OutputFile[] = [];
  for (const { file, outputs } of specs) {
    if (loaded && outputs.unusableTuning) note(ctx, unusableTuningNote(loaded.path, file, outputs.unusableTuning));
    for (const text of outputs.kernelSetNotes ?? []) note(ctx, `${file}: ${text}`);
    const written = [];
    for (const [ext, text] of [['wgsl', outputs.wgsl], ['ts', outputs.ts], ['json', outputs.manifestJson]] as const) {
      const path = join(opts.out, `${outputs.moduleName}.${ext}`);
      outputFiles.push({ path, data: text });
      written.push(path);
    }
    // --json users read stdout: the schedules the note above is about, beside the module's files.
    modules.push({
      module: outputs.moduleName,
      file,
      maps: outputs.manifest.maps.map((m) => m.name),
      files: written,
      ...(outputs.unusableTuning ? { unusableTuning: outputs.unusableTuning } : {}),
      ...(outputs.kernelSetNotes ? { kernelSetNotes: outputs.kernelSetNotes } : {}),
    });
  }
  // All modules' files or none: a failure never leaves a new .wgsl beside an old .json.
  await writeTogether(outputFiles, { inputs: [...files, ...specs.flatMap((s) => s.maskFiles), ...(loaded ? [loaded.path] : [])] });
  return {
    json: { out: opts.out, ...(loaded ? { tuning: loaded.path, tuningAdapter } : {}), ...(opts.forwardOnly ? { forwardOnly: true } : {}), ...(opts.kernelSets ? { kernelSets: opts.kernelSets } : {}), modules },
    text: modules
      .map((m) => `${escapeHidden(m.file)}: module ${escapeHidden(m.module)} (${m.maps.length} map${m.maps.length === 1 ? '' : 's'}${opts.forwardOnly ? ', forward only' : ''}) -> ${escapeHidden(m.files.join(', '))}`)
      .join('\n'),
  };
}

/**
 * The files as given, each once: `monc build a.mon a.mon` (or `a.mon ./a.mon`, or a link to it)
 * builds a.mon once, where it said module a was "also defined by" itself (s13's outside testers).
 */
function distinctFiles(files: readonly string[]): string[] {
  const seen = new Set<string>();
  return files.filter((file) => {
    const key = realPath(file);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The file's real path; a file that cannot be resolved (missing: reading it reports that) by its absolute path. */
function realPath(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return resolve(file);
  }
}
