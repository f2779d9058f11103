#!/usr/bin/env node
/**
 * `npm run examples`: every examples/*.mon end to end through the real CLI (the compiled one in
 * dist/, run in-process): check, build into out/examples, init parameters, run each map on the
 * WebGPU adapter for a small batch, and compare with the float64 reference semantics (SPEC §6:
 * relative Frobenius error ≤ 1e-5 for f32, 3e-3 for f16). Prints a table; exits 1 if any map
 * fails, or runs on another backend than the one asked for.
 *
 *   node scripts/run-examples.mjs [--backend webgpu|cpu] [example.mon …]
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
if (!existsSync(join(root, 'dist/src/cli/main.js'))) {
  console.error('run-examples: dist/ is missing: run `npm run build` first');
  process.exit(1);
}
const { main } = await import('../dist/src/cli/main.js');
const { formatCount, formatTable } = await import('../dist/src/cli/table.js');
const { checkSource } = await import('../dist/src/dsl/index.js');
const { modelOf } = await import('../dist/src/model/build.js');
const { readNpy, writeNpy } = await import('../dist/src/runtime/formats/npy.js');
const { readSafetensors } = await import('../dist/src/runtime/formats/safetensors.js');
const { referenceApply } = await import('../dist/src/runtime/reference.js');
const { relativeError } = await import('../dist/src/tuner/op-reference.js');

const TOLERANCE = { f32: 1e-5, f16: 3e-3 };
const OUT = join(root, 'out/examples');

const args = process.argv.slice(2);
const backendAt = args.indexOf('--backend');
const backend = backendAt >= 0 ? args.splice(backendAt, 2)[1] : 'webgpu';
if (backend !== 'webgpu' && backend !== 'cpu') {
  console.error(`run-examples: --backend must be webgpu or cpu, not ${backend}`);
  process.exit(2);
}
const examples = args.length > 0 ? args : readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.mon')).sort().map((f) => join('examples', f));

/** One CLI call in-process; throws with its stderr when it fails. */
async function monc(...argv) {
  let stdout = '';
  let stderr = '';
  const code = await main([...argv, '--json'], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: process.env });
  if (code !== 0) throw new Error(`monc ${argv.join(' ')} exited ${code}\n${stderr.trim()}`);
  return JSON.parse(stdout);
}

/** A small batch: 3 rows, 2 for maps 4096 wide or more (SwiftShader runs ~0.1 GFLOP/s). */
function batchFor(map) {
  return Math.max(map.in, map.out) >= 4096 ? 2 : 3;
}

const rows = [];
const adapters = new Set();
let failures = 0;
mkdirSync(OUT, { recursive: true });

for (const file of examples) {
  const name = basename(file, '.mon');
  const fail = (map, shape, reason) => {
    failures++;
    rows.push([name, map, shape, '', '', '', '', 'FAIL']);
    console.error(`✗ ${name} ${map}: ${reason}`);
  };
  let check;
  try {
    check = await monc('check', file);
    await monc('build', file, '--out', OUT);
  } catch (e) {
    fail('(all)', '', e.message);
    continue;
  }
  const module = checkSource(readFileSync(join(root, file), 'utf8'), file).module;
  for (const map of check.maps) {
    const shape = `${map.in} -> ${map.out}`;
    try {
      const model = modelOf(module.maps.find((m) => m.name === map.name));
      const prefix = join(OUT, `${check.module}.${map.name}`);
      await monc('init', file, '--map', map.name, '--out', `${prefix}.safetensors`, '--seed', '0');
      const batch = batchFor(map);
      const x = Float32Array.from({ length: batch * map.in }, (_, i) => Math.sin(0.37 * i + 1));
      writeFileSync(`${prefix}.x.npy`, writeNpy(x, [batch, map.in]));

      const started = performance.now();
      const run = await monc('run', file, '--map', map.name, '--params', `${prefix}.safetensors`, '--input', `${prefix}.x.npy`, '--out', `${prefix}.y.npy`, '--backend', backend);
      const ms = performance.now() - started;
      adapters.add(run.adapter);

      const params = new Map([...readSafetensors(readFileSync(`${prefix}.safetensors`)).tensors].map(([k, t]) => [k, t.data]));
      const y = readNpy(readFileSync(`${prefix}.y.npy`)).data;
      const error = relativeError(y, referenceApply(model, params, x, batch));
      const tolerance = TOLERANCE[check.dtype];
      const pass = run.backend === backend && error <= tolerance;
      if (!pass) failures++;
      rows.push([
        name,
        map.name,
        shape,
        `${formatCount(map.params)} / ${formatCount(map.dense.params)}`,
        `${batch}`,
        run.backend,
        `${error.toExponential(2)} (≤ ${tolerance.toExponential(0)})`,
        pass ? `ok (${Math.round(ms)} ms)` : 'FAIL',
      ]);
      console.error(`${pass ? '✓' : '✗'} ${name} ${map.name}: ${shape}, batch ${batch}, ${run.backend}, error ${error.toExponential(2)}${run.backend === backend ? '' : ` (asked for ${backend})`}`);
    } catch (e) {
      fail(map.name, shape, e.message);
    }
  }
}

console.log(`\nadapter: ${[...adapters].join('; ') || '(none)'}`);
console.log(formatTable(['example', 'map', 'shape', 'params / dense', 'batch', 'backend', 'rel. error (tol.)', 'result'], rows, [3, 4]));
console.log(failures === 0 ? `\nall ${rows.length} maps match the float64 reference` : `\n${failures} of ${rows.length} maps FAILED`);
// Exit explicitly: the WebGPU device would otherwise keep the process alive.
process.exit(failures === 0 ? 0 : 1);
