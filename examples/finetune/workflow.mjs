/**
 * The Monarch paper's dense-to-sparse fine-tuning, with the monc CLI:
 *
 *  1. a dense layer W (n × n) and sample inputs X whose spectrum decays, as real activations do;
 *  2. `monc project`: the closed-form start, the Monarch map M closest to W in Frobenius norm;
 *  3. `monc train` on (X, X Wᵀ): fine-tunes M where the inputs actually are;
 *  4. held-out inputs from the same distribution: relative output error ‖X M ᵀ − X Wᵀ‖ / ‖X Wᵀ‖
 *     of the projection and of the fine-tuned map.
 *
 * and training from scratch: a planted Monarch map M*, targets X M*ᵀ, `monc init` then
 * `monc train`, which recovers M* (held-out output error and ‖M − M*‖ / ‖M*‖ via `monc dense`).
 *
 * Everything goes through `io`, so the same workflow runs from the command line (finetune.mjs:
 * the `monc` executable and `monc/runtime`'s .npy functions) and from a test (in-process CLI).
 */

/**
 * @typedef {{ shape: readonly number[], data: ArrayLike<number> }} Array2
 * @typedef {{
 *   monc: (args: string[]) => Promise<Record<string, any>>,
 *   readNpy: (path: string) => Array2,
 *   writeNpy: (path: string, data: Float32Array, shape: number[]) => void,
 *   writeText: (path: string, text: string) => void,
 *   path: (name: string) => string,
 *   log?: (line: string) => void,
 * }} Io
 * @typedef {{ n: number, rows: number, heldOut: number, steps: number, lr: number, batch: number, decay: number, seed: number, backend: 'cpu' | 'webgpu' }} Options
 */

/** @type {Options} */
export const DEFAULTS = { n: 256, rows: 2048, heldOut: 1024, steps: 400, lr: 1e-2, batch: 256, decay: 0.8, seed: 1, backend: 'cpu' };

/** @param {Io} io @param {Partial<Options>} options */
export async function finetuneExample(io, options = {}) {
  const o = { ...DEFAULTS, ...options };
  const log = io.log ?? (() => {});
  const k = Math.round(Math.sqrt(o.n));
  if (k * k !== o.n) throw new Error(`n must be a perfect square (monarch's default block count), got ${o.n}`);
  const spec = io.path('layer.mon');
  io.writeText(spec, `# the structured replacement of a dense ${o.n} x ${o.n} layer\nmap layer : ${o.n} -> ${o.n} = monarch(nblocks: ${k})\n`);
  const common = ['--map', 'layer'];
  const gauss = gaussian(o.seed);

  // 1. The dense layer and anisotropic inputs: X = Z · diag(decay^i) · Q, Q a random rotation.
  const w = Float32Array.from({ length: o.n * o.n }, () => gauss() / Math.sqrt(o.n));
  const q = randomRotation(o.n, gauss);
  const inputs = (rows) => anisotropic(rows, o.n, o.decay, q, gauss);
  const save = (name, data, shape) => {
    io.writeNpy(io.path(name), data, shape);
    return io.path(name);
  };
  const x = inputs(o.rows);
  const xTest = inputs(o.heldOut);
  const wFile = save('W.npy', w, [o.n, o.n]);
  const xFile = save('X.npy', x, [o.rows, o.n]);
  const yFile = save('Y.npy', matmulT(x, w, o.rows, o.n, o.n), [o.rows, o.n]);
  const xTestFile = save('X_test.npy', xTest, [o.heldOut, o.n]);
  const yTest = matmulT(xTest, w, o.heldOut, o.n, o.n);

  /** Held-out relative output error of a parameter file. */
  const heldOutError = async (params) => {
    const out = io.path('Y_hat.npy');
    await io.monc(['run', spec, ...common, '--params', params, '--input', xTestFile, '--out', out, '--backend', o.backend]);
    return relativeError(io.readNpy(out).data, yTest);
  };
  const train = (params, x, y, out) =>
    io.monc(['train', spec, ...common, '--params', params, '--input', x, '--target', y, '--out', out, '--steps', String(o.steps), '--lr', String(o.lr), '--batch', String(o.batch), '--seed', String(o.seed), '--backend', o.backend]);

  // 2. Projection, 3. fine-tuning.
  const projected = io.path('projected.safetensors');
  const projection = await io.monc(['project', spec, ...common, '--dense', wFile, '--out', projected]);
  const finetuned = io.path('finetuned.safetensors');
  const training = await train(projected, xFile, yFile, finetuned);
  const finetune = {
    params: projection.params,
    denseParams: projection.dense_params,
    weightError: projection.relative_error,
    projected: await heldOutError(projected),
    finetuned: await heldOutError(finetuned),
    lossInitial: training.loss_initial,
    lossFinal: training.loss_final,
  };
  log(`dense ${o.n} x ${o.n} layer -> monarch(nblocks: ${k}): ${finetune.params} of ${finetune.denseParams} parameters`);
  log(`  ‖W − M‖/‖W‖ of the projection: ${fmt(finetune.weightError)}`);
  log(`  held-out relative output error, projection (monc project):           ${fmt(finetune.projected)}`);
  log(`  held-out relative output error, fine-tuned (monc train, ${o.steps} steps): ${fmt(finetune.finetuned)}`);

  // From scratch: recover a planted Monarch map from isotropic samples.
  const truth = io.path('planted.safetensors');
  await io.monc(['init', spec, ...common, '--out', truth, '--seed', String(o.seed + 100)]);
  const zFile = save('Z.npy', Float32Array.from({ length: o.rows * o.n }, gauss), [o.rows, o.n]);
  const tFile = io.path('Z_target.npy');
  await io.monc(['run', spec, ...common, '--params', truth, '--input', zFile, '--out', tFile, '--backend', o.backend]);
  const start = io.path('scratch-init.safetensors');
  await io.monc(['init', spec, ...common, '--out', start, '--seed', String(o.seed + 200)]);
  const recovered = io.path('recovered.safetensors');
  const fromScratch = await train(start, zFile, tFile, recovered);
  const dense = async (params, name) => {
    await io.monc(['dense', spec, ...common, '--params', params, '--out', io.path(name)]);
    return io.readNpy(io.path(name)).data;
  };
  const planted = {
    lossInitial: fromScratch.loss_initial,
    lossFinal: fromScratch.loss_final,
    distanceInitial: relativeError(await dense(start, 'M_init.npy'), await dense(truth, 'M_planted.npy')),
    distanceFinal: relativeError(await dense(recovered, 'M_trained.npy'), await dense(truth, 'M_planted.npy')),
  };
  log(`from scratch on a planted monarch(nblocks: ${k}) (monc init, then monc train, ${o.steps} steps):`);
  log(`  loss ${fmt(planted.lossInitial)} -> ${fmt(planted.lossFinal)};  ‖M − M*‖/‖M*‖ ${fmt(planted.distanceInitial)} -> ${fmt(planted.distanceFinal)}`);
  return { finetune, planted };
}

/** Y = X Wᵀ for X (rows, n) and W (m, n), in float64, stored as float32. */
function matmulT(x, w, rows, n, m) {
  const y = new Float32Array(rows * m);
  for (let r = 0; r < rows; r++)
    for (let i = 0; i < m; i++) {
      let acc = 0;
      for (let j = 0; j < n; j++) acc += x[r * n + j] * w[i * n + j];
      y[r * m + i] = acc;
    }
  return y;
}

/** Rows z · diag(decay^j) · Q: most of the energy in a few directions, as in real activations. */
function anisotropic(rows, n, decay, q, gauss) {
  const x = new Float32Array(rows * n);
  const z = new Float64Array(n);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < n; j++) z[j] = gauss() * decay ** j;
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let i = 0; i < n; i++) acc += z[i] * q[i * n + j];
      x[r * n + j] = acc;
    }
  }
  return x;
}

/** A random orthogonal matrix (n, n): Gram–Schmidt on Gaussian rows. */
function randomRotation(n, gauss) {
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const row = Float64Array.from({ length: n }, gauss);
    for (let p = 0; p < i; p++) {
      let dot = 0;
      for (let j = 0; j < n; j++) dot += row[j] * q[p * n + j];
      for (let j = 0; j < n; j++) row[j] -= dot * q[p * n + j];
    }
    const norm = Math.hypot(...row);
    for (let j = 0; j < n; j++) q[i * n + j] = row[j] / norm;
  }
  return q;
}

/** ‖a − b‖_F / ‖b‖_F */
function relativeError(a, b) {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

/** Standard normal draws from a seeded generator (any seeded generator will do; this one is mulberry32). */
function gaussian(seed) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

const fmt = (v) => Number(v.toPrecision(3)).toString();
