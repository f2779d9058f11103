#!/usr/bin/env node
/**
 * Dense-to-Monarch fine-tuning and training from scratch, with the monc CLI (see workflow.mjs).
 *
 *   npm run build
 *   node examples/finetune/finetune.mjs [--n 256] [--rows 2048] [--held-out 1024] [--steps 400] [--lr 1e-2] [--batch 256] [--backend cpu|webgpu] [--out DIR]
 *
 * Writes its files (W.npy, X.npy, the parameter files…) to DIR (default out/finetune) and prints
 * the held-out output error of the projection and of the fine-tuned map.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { readNpy, writeNpy } from 'monc/runtime';
import { DEFAULTS, finetuneExample } from './workflow.mjs';

const MONC = fileURLToPath(new URL('../../bin/monc.js', import.meta.url));
const { values } = parseArgs({
  options: {
    n: { type: 'string' },
    rows: { type: 'string' },
    'held-out': { type: 'string' },
    steps: { type: 'string' },
    lr: { type: 'string' },
    batch: { type: 'string' },
    backend: { type: 'string' },
    out: { type: 'string', default: 'out/finetune' },
  },
});
const number = (name, flag = name) => (values[flag] === undefined ? DEFAULTS[name] : Number(values[flag]));
mkdirSync(values.out, { recursive: true });

const run = promisify(execFile);
/** One `monc … --json` call; its progress (stderr) is shown as it is. */
async function monc(args) {
  const { stdout, stderr } = await run(process.execPath, [MONC, ...args, '--json'], { maxBuffer: 1 << 26 }).catch((e) => {
    throw new Error(`monc ${args[0]} failed: ${e.stderr || e.message}`);
  });
  if (stderr) process.stderr.write(stderr);
  return JSON.parse(stdout);
}

const io = {
  monc,
  readNpy: (path) => readNpy(readFileSync(path)),
  writeNpy: (path, data, shape) => writeFileSync(path, writeNpy(data, shape)),
  writeText: (path, text) => writeFileSync(path, text),
  path: (name) => join(values.out, name),
  log: (line) => console.log(line),
};
try {
  await finetuneExample(io, { n: number('n'), rows: number('rows'), heldOut: number('heldOut', 'held-out'), steps: number('steps'), lr: number('lr'), batch: number('batch'), backend: values.backend ?? DEFAULTS.backend });
} catch (e) {
  console.error(`finetune: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
