/**
 * The commander definition of `monc`: commands, options and their parsing; no logic. Each
 * command's module loads only when it runs, so `--help` does not pay for the compiler, and
 * `check` does not pay for the TypeScript emitter or Dawn.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { MONC_VERSION } from '../version.js';
import type { CommandContext, CommandResult } from './context.js';
import type { CliIo } from './io.js';
import type { Backend } from '../runtime/map-runner.js';
import { DEFAULT_MAX_CANDIDATES } from '../tuner/budget.js';
import { BUILD_KERNEL_SETS, kernelSetsProblem, type BuildKernelSet } from '../manifest/build-kernel-sets.js';
import { MAX_SEED } from '../util/random.js';

export type Runner = (ctx: CommandContext, command: () => Promise<CommandResult>) => Promise<void>;

export function buildProgram(io: CliIo, run: Runner): Command {
  const program = new Command('monc')
    .description('compile .mon structured-matrix specs to WebGPU kernels, TypeScript bindings and a manifest')
    .version(MONC_VERSION)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showSuggestionAfterError();
  const command = (name: string, description: string) =>
    program
      .command(name)
      .description(description)
      .option('--json', 'print one JSON object on stdout instead of text')
      .exitOverride()
      .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  // One context per invocation (run and the command share its warnings), keyed by the parsed options object.
  const contexts = new WeakMap<object, CommandContext>();
  const ctx = (opts: { json?: boolean }): CommandContext => {
    const known = contexts.get(opts);
    if (known) return known;
    const made: CommandContext = { io, json: opts.json === true, warnings: [] };
    contexts.set(opts, made);
    return made;
  };

  command('check', 'parse and check a spec; print each map\'s shape, parameters and FLOPs against the dense equivalent')
    .argument('<file>', 'the .mon file')
    .option('--ir', 'also print each map\'s IR after every compiler pass')
    .action((file: string, opts: { json?: boolean; ir?: boolean }) => run(ctx(opts), async () => (await import('./commands/check.js')).checkCommand(ctx(opts), file, { ir: opts.ir === true })));

  command('build', 'write <module>.wgsl, <module>.ts and <module>.json per spec')
    .argument('<files...>', 'the .mon files')
    .requiredOption('--out <dir>', 'output directory (created if missing)')
    .option('--tuning [db]', "use tuned schedules: those of the tuning database DB (JSON), or with no DB those of the user's database (what monc tune writes); without --tuning the default schedules, so output depends on nothing but the input")
    .option('--forward-only', 'emit the forward kernels only (no backward, optimizer or training-step kernels): a smaller module that runs but cannot train')
    .option('--kernel-sets <names>', `the kernel sets each map keeps, comma-separated, of ${BUILD_KERNEL_SETS.join(', ')} (default: every set the build makes); e.g. portable,f32-storage leaves out the tensor-core and large sets: a smaller module that still runs on any GPU`, parseKernelSets)
    .option('--watch', 'rebuild whenever a spec, a mask file it reads or (with --tuning) the tuning database changes (Ctrl-C stops)')
    .addHelpText('after', '\nExamples:\n  monc build ffn.mon --out gen\n  monc build ffn.mon --out gen --tuning\n  monc build ffn.mon --out gen --tuning tuning.json\n  monc build ffn.mon --out gen --forward-only\n  monc build ffn.mon --out gen --kernel-sets portable,f32-storage')
    .action((files: string[], opts: { json?: boolean; out: string; tuning?: string | true; forwardOnly?: boolean; kernelSets?: BuildKernelSet[]; watch?: boolean }) =>
      run(ctx(opts), async () => {
        const build = { out: opts.out, tuning: opts.tuning, forwardOnly: opts.forwardOnly === true, ...(opts.kernelSets ? { kernelSets: opts.kernelSets } : {}) };
        return opts.watch
          ? (await import('./commands/build-watch.js')).buildWatchCommand(ctx(opts), files, build)
          : (await import('./commands/build.js')).buildCommand(ctx(opts), files, build);
      }),
    );

  command('init', 'write random parameters (uniform ±1/√fan_in per tensor) as safetensors')
    .argument('<file>', 'the .mon file')
    .requiredOption('--map <name>', 'the map')
    .requiredOption('--out <file>', 'output .safetensors file')
    .option('--seed <n>', 'random seed (non-negative integer)', parseCount, 0)
    .action((file: string, opts: { json?: boolean; map: string; out: string; seed: number }) =>
      run(ctx(opts), async () => (await import('./commands/init.js')).initCommand(ctx(opts), file, opts)),
    );

  command('dense', 'write the dense matrix M (out, in) of a map as float32 .npy')
    .argument('<file>', 'the .mon file')
    .requiredOption('--map <name>', 'the map')
    .requiredOption('--params <file>', 'parameters (.safetensors)')
    .requiredOption('--out <file>', 'output .npy file')
    .action((file: string, opts: { json?: boolean; map: string; params: string; out: string }) =>
      run(ctx(opts), async () => (await import('./commands/dense.js')).denseCommand(ctx(opts), file, opts)),
    );

  command('run', 'apply a map to a batch: Y = X Mᵀ')
    .argument('<file>', 'the .mon file')
    .requiredOption('--map <name>', 'the map')
    .requiredOption('--params <file>', 'parameters (.safetensors)')
    .requiredOption('--input <file>', 'X as .npy, shape (…, in): any leading dimensions, like nn.Linear')
    .requiredOption('--out <file>', 'output .npy file for Y')
    .addOption(new Option('--backend <name>', 'where to run').choices(['webgpu', 'cpu']).default('webgpu'))
    .action((file: string, opts: { json?: boolean; map: string; params: string; input: string; out: string; backend: Backend }) =>
      run(ctx(opts), async () => (await import('./commands/run.js')).runCommand(ctx(opts), file, opts)),
    );

  command('project', 'write the parameters whose M is closest to a dense W (Frobenius norm); print the relative error')
    .argument('<file>', 'the .mon file')
    .requiredOption('--map <name>', 'the map')
    .requiredOption('--dense <file>', 'W, shape (out, in): a .npy file, or a .safetensors file with --tensor')
    .option('--tensor <name>', 'the tensor of the --dense safetensors file to project, e.g. layer.weight of a PyTorch state dict (not needed when the file holds one tensor)')
    .requiredOption('--out <file>', 'output .safetensors file (the module\'s dtype)')
    .option('--seed <n>', 'seed of the randomized parts: the randomized SVD of large lowrank terms, and the random factors with orthonormal blocks a chain with a free part (dense() @ monarch(...)) is solved against', parseSeed, 0)
    .option('--rounds <n>', 'rounds of the iterative fits (sums: default 30 to 1000, more where W is smaller, stopping once converged; chain refinement: default up to 200 within a cost budget, 10 per refit inside a sum, stopping once converged; 0 skips them)', parseCount)
    .addHelpText('after', '\nExamples:\n  monc project ffn.mon --map up --dense w.npy --out up.safetensors\n  monc project ffn.mon --map up --dense model.safetensors --tensor layer.weight --out up.safetensors')
    .action((file: string, opts: { json?: boolean; map: string; dense: string; tensor?: string; out: string; seed: number; rounds?: number }) =>
      run(ctx(opts), async () => (await import('./commands/project.js')).projectCommand(ctx(opts), file, opts)),
    );

  command('export', 'write a map as an ONNX model (opset 17, input x (batch, in), output y (batch, out)) for ONNX Runtime')
    .argument('<file>', 'the .mon file')
    .requiredOption('--map <name>', 'the map')
    .requiredOption('--params <file>', 'parameters (.safetensors); they become the initializers, under the same names')
    .requiredOption('--out <file>', 'output .onnx file')
    .addOption(new Option('--sparse-form <form>', "a sparse term's blocks: per block row by Slice (no index table; the graph grows with the block rows) or by Gather/ScatterND over int64 index tables (~25 nodes whatever the pattern)").choices(['slices', 'gather']).default('slices'))
    .addHelpText('after', '\nExample:\n  monc export ffn.mon --map up --params up.safetensors --out up.onnx')
    .action((file: string, opts: { json?: boolean; map: string; params: string; out: string; sparseForm: 'slices' | 'gather' }) =>
      run(ctx(opts), async () => (await import('./commands/export.js')).exportCommand(ctx(opts), file, opts)),
    );

  command('convert', "write a map's parameters from a peer layer's weights: fly MonarchLinear, torch_butterfly Butterfly or KSMM KSLinear")
    .argument('<file>', 'the .mon file')
    .requiredOption('--map <name>', 'the map')
    .addOption(new Option('--from <peer>', 'the library the weights come from').choices(['fly', 'torch_butterfly', 'ksmm']).makeOptionMandatory())
    .requiredOption('--in <file>', 'the peer state dict (.safetensors)')
    .option('--prefix <p>', "the layer's key prefix in the state dict, e.g. encoder.fc1. (default: the only layer of that kind)")
    .requiredOption('--out <file>', 'output .safetensors file (the module\'s dtype)')
    .addHelpText('after', '\nExamples:\n  monc convert ffn.mon --map up --from fly --in model.safetensors --prefix layers.0.fc1 --out up.safetensors\n  monc convert mixer.mon --map mix --from torch_butterfly --in butterfly.safetensors --out mix.safetensors')
    .action((file: string, opts: { json?: boolean; map: string; from: 'fly' | 'torch_butterfly' | 'ksmm'; in: string; prefix?: string; out: string }) =>
      run(ctx(opts), async () => (await import('./commands/convert.js')).convertCommand(ctx(opts), file, opts)),
    );

  command('tune', 'auto-tune the kernels of a spec on this GPU and store the fastest schedules in the tuning database')
    .argument('<file>', 'the .mon file')
    .option('--map <name>', 'tune this map only (default: every map)')
    .option('--batch <n>', 'batch size to tune for (results apply to batches in the same power-of-two bucket)', parsePositive, DEFAULT_TUNE_BATCH)
    .option('--db <file>', "tuning database to update (default: $MONC_TUNING_DB, else monc/tuning.json in the user's cache directory)")
    .option('--max-candidates <n>', "schedules timed per kernel at most, unless its seeds are more: the untuned default and each family's own default are always timed", parsePositive, DEFAULT_MAX_CANDIDATES)
    .option('--forward-only', 'tune the forward kernels only, not the backward ones (for modules you build with --forward-only)')
    .addHelpText('after', '\nEach candidate is checked against the float64 reference before it is timed; progress goes to stderr.\n\nExamples:\n  monc tune ffn.mon --batch 16384\n  monc tune ffn.mon --map up --max-candidates 8 --db tuning.json')
    .action((file: string, opts: { json?: boolean; map?: string; batch: number; db?: string; maxCandidates: number; forwardOnly?: boolean }) =>
      run(ctx(opts), async () => (await import('./commands/tune.js')).tuneCommand(ctx(opts), file, opts)),
    );

  const bench = command('bench', "time a map's kernels on this GPU (the tuned schedules where the tuning database has them); print ms, GFLOP/s, GB/s")
    .argument('<file>', 'the .mon file')
    .requiredOption('--map <name>', 'the map')
    .requiredOption('--batch <n>', 'batch size (rows per call)', parsePositive)
    .option('--tuning [db]', "tuning database whose schedules to use (default, and with no DB: the user's database)")
    .option('--no-tuning', 'time the default schedules')
    .option('--repeats <n>', 'timed calls', parsePositive, 20)
    .addHelpText('after', '\nExamples:\n  monc bench ffn.mon --map up --batch 16384\n  monc bench ffn.mon --map up --batch 16384 --no-tuning --json')
    .action((file: string, opts: { json?: boolean; map: string; batch: number; tuning?: string | boolean; repeats: number }) =>
      run(ctx(opts), async () => (await import('./commands/bench.js')).benchCommand(ctx(opts), file, { ...opts, tuning: opts.tuning ?? true })),
    );
  refuseBoth(bench, 'tuning', 'no-tuning');

  command('grad', 'write the gradients of a map for a batch: ∂L/∂X = DY M and one gradient per parameter tensor (F32 safetensors)')
    .argument('<file>', 'the .mon file')
    .requiredOption('--map <name>', 'the map')
    .requiredOption('--params <file>', 'parameters (.safetensors)')
    .requiredOption('--input <file>', 'X as .npy, shape (…, in): any leading dimensions, like nn.Linear (e.g. (B, in), or (in,) for one vector)')
    .requiredOption('--grad-output <file>', 'DY = ∂L/∂Y as .npy, shape (…, out) with the leading dimensions of X')
    .requiredOption('--out <file>', "output .safetensors file: tensor 'input' (∂L/∂X) and the parameter gradients under the parameters' names")
    .addOption(new Option('--backend <name>', 'where to run').choices(['webgpu', 'cpu']).default('webgpu'))
    .action((file: string, opts: { json?: boolean; map: string; params: string; input: string; gradOutput: string; out: string; backend: Backend }) =>
      run(ctx(opts), async () => (await import('./commands/grad.js')).gradCommand(ctx(opts), file, opts)),
    );

  command('train', 'fit a map to (X, Y) by minimising mean((X Mᵀ + b − Y)²); write the trained parameters')
    .argument('<file>', 'the .mon file')
    .requiredOption('--map <name>', 'the map')
    .requiredOption('--params <file>', 'starting parameters (.safetensors), e.g. from monc init or monc project')
    .requiredOption('--input <file>', 'X as .npy, shape (B, in) (or (…, in): all leading dimensions are rows)')
    .requiredOption('--target <file>', 'Y as .npy, shape (B, out) (the leading dimensions of X)')
    .requiredOption('--out <file>', "output .safetensors file (the module's dtype)")
    .option('--steps <n>', 'optimizer steps (one per mini-batch)', parseStepCount, 100)
    .option('--lr <η>', 'learning rate', parseReal, 1e-3)
    .addOption(new Option('--optimizer <name>', 'update rule (PyTorch defaults: Adam betas 0.9/0.999, eps 1e-8; AdamW weight decay 0.01)').choices(['adam', 'adamw', 'sgd']).default('adam'))
    .option('--momentum <μ>', 'momentum of --optimizer sgd, in [0, 1) (default 0)', parseReal)
    .option('--weight-decay <λ>', 'weight decay (adam, sgd: L2 added to the gradient; adamw: decoupled)', parseReal)
    .option('--batch <n>', 'rows per step, reshuffled every epoch (default: all rows; more than the rows means all rows)', parsePositive)
    .option('--seed <n>', 'seed of the mini-batch shuffling', parseSeed, 0)
    .addOption(new Option('--backend <name>', 'where to run').choices(['webgpu', 'cpu']).default('webgpu'))
    .addHelpText('after', '\nExamples:\n  monc train ffn.mon --map up --params up.safetensors --input x.npy --target y.npy --out up2.safetensors\n  monc train ffn.mon --map up --params up.safetensors --input x.npy --target y.npy --out up2.safetensors --steps 500 --lr 3e-3 --batch 256 --json')
    .action((file: string, opts: { json?: boolean; map: string; params: string; input: string; target: string; out: string; steps: number; lr: number; optimizer: 'adam' | 'adamw' | 'sgd'; momentum?: number; weightDecay?: number; batch?: number; seed: number; backend: Backend }) =>
      run(ctx(opts), async () => (await import('./commands/train.js')).trainCommand(ctx(opts), file, opts)),
    );

  return program;
}

/**
 * Refuses options `--a` and `--b` given together: they set one value (`--tuning` and
 * `--no-tuning`), and Commander lets the last one win, so `--tuning x --no-tuning` silently timed
 * the defaults (s13's outside testers). A usage error (exit 2) naming both.
 */
function refuseBoth(cmd: Command, a: string, b: string): void {
  const given = new Set<string>();
  cmd.on(`option:${a}`, () => given.add(a)).on(`option:${b}`, () => given.add(b));
  cmd.hook('preAction', () => {
    if (given.size === 2) cmd.error(`error: options '--${a}' and '--${b}' contradict each other; give one of them`, { code: 'commander.conflictingOption', exitCode: 2 });
  });
}

/** `monc build --kernel-sets`: names separated by commas, each a set a build makes. */
function parseKernelSets(text: string): BuildKernelSet[] {
  const names = text.split(',').map((name) => name.trim());
  const problem = kernelSetsProblem(names);
  if (problem) throw new InvalidArgumentError(`must be ${problem}.`);
  return [...new Set(names)] as BuildKernelSet[];
}

/** `monc tune`'s batch size when none is given. */
const DEFAULT_TUNE_BATCH = 4096;

/** An integer >= 1 (steps, batch sizes, repeats): one message for every value that is not one. */
function parsePositive(text: string): number {
  const n = wholeNumber(text, 'a positive integer');
  if (n === undefined || n === 0) throw new InvalidArgumentError('must be a positive integer.');
  return n;
}

/**
 * `monc train --steps`: a whole number, 0 included, which trainCommand refuses as bad input
 * (exit 1, as issue 10 puts `--steps 0` beside a negative learning rate); anything else is not a
 * step count at all (usage), with parsePositive's message.
 */
function parseStepCount(text: string): number {
  const n = wholeNumber(text, 'a positive integer');
  if (n === undefined) throw new InvalidArgumentError('must be a positive integer.');
  return n;
}

/** Any number, NaN and ±Infinity included: commands that take one say which values they accept (train: --lr, --momentum, --weight-decay). */
function parseReal(text: string): number {
  const t = text.trim();
  if (t.toLowerCase() === 'nan') return NaN;
  // Decimal numbers (and Infinity, NaN) only, for the range checks to judge: Number() also reads JavaScript's 0x10, 0b11
  // and 0o7 (QA s20 Q91: `--lr 0b11` trained at lr 3), which the integer options refuse.
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t) && !/^[+-]?Infinity$/.test(t)) throw new InvalidArgumentError('must be a number.');
  return Number(t);
}

/** An integer >= 0 (seeds, rounds). */
function parseCount(text: string): number {
  const n = wholeNumber(text, 'a non-negative integer');
  if (n === undefined) throw new InvalidArgumentError('must be a non-negative integer.');
  return n;
}

/** A seed of a 32-bit generator (train's shuffle, project's random factors): a larger one would run as its low 32 bits (QA1 s21 Q06). */
function parseSeed(text: string): number {
  const n = parseCount(text);
  if (n > MAX_SEED) throw new InvalidArgumentError(`must be a non-negative integer at most 2^32 - 1 (${MAX_SEED}).`);
  return n;
}

/**
 * `text` as an integer >= 0 written in decimal digits, or undefined. One beyond what a number
 * holds exactly is refused as too large (`what`: the option's kind of value), not as no integer
 * at all: 9007199254740993 is a non-negative integer (s13's outside testers).
 */
function wholeNumber(text: string, what: string): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`must be ${what} at most 2^53 - 1 (${Number.MAX_SAFE_INTEGER}).`);
  return n;
}
