/**
 * The runner `monc grad` and `monc train` drive: a MapRunner (webgpu or cpu, chosen and announced
 * as `monc run` does) seen through the training part of its API (backward, optimizers,
 * saveParams). The commands implement no gradient or optimizer maths of their own.
 *
 * Interim: until MapRunner has that API on both backends, a runner without `backward` is wrapped
 * by `referenceTraining`, which takes gradients from the float64 reference VJP and applies the
 * PyTorch update rules on the host.
 */
import type { KernelOutputs } from '../compile-kernels.js';
import { paramsOf } from '../dsl/params.js';
import type { CheckedMap, Dtype } from '../dsl/structure.js';
import { writeSafetensors } from '../runtime/formats/safetensors.js';
import type { Backend, MapRunner } from '../runtime/map-runner.js';
import { referenceBackward } from '../runtime/reference-backward.js';
import { assertNever } from '../util/assert.js';
import { createRunner } from './commands/run.js';
import type { CompiledSpec } from './compile-spec.js';
import type { CommandContext } from './context.js';

export type OptimizerOptions =
  | { readonly kind: 'sgd'; readonly lr: number; readonly momentum?: number; readonly weightDecay?: number }
  | { readonly kind: 'adam' | 'adamw'; readonly lr: number; readonly beta1?: number; readonly beta2?: number; readonly eps?: number; readonly weightDecay?: number };

export interface Optimizer {
  /** Applies the gradients of the runner's last backward() to its parameters. */
  step(): Promise<void>;
}

export interface Gradients {
  readonly dx: Float32Array;
  readonly grads: Map<string, Float32Array>;
}

export interface TrainingRunner {
  readonly backend: Backend;
  readonly adapterDescription: string;
  loadParams(tensors: ReadonlyMap<string, ArrayLike<number>>): void;
  forward(x: Float32Array, batch?: number): Promise<Float32Array>;
  backward(x: Float32Array, dy: Float32Array, batch?: number): Promise<Gradients>;
  createOptimizer(options: OptimizerOptions): Optimizer;
  saveParams(): Promise<Uint8Array>;
  destroy(): void;
}

/** A runner for `map` of the compiled spec on `backend` (webgpu falls back to the CPU without an adapter, saying so). */
export async function openTrainingRunner(ctx: CommandContext, spec: CompiledSpec<KernelOutputs>, map: CheckedMap, backend: Backend): Promise<TrainingRunner> {
  const manifestMap = spec.outputs.manifest.maps.find((m) => m.name === map.name)!;
  const runner = await createRunner(ctx, manifestMap, spec.outputs.wgsl, spec.module.dtype, backend);
  if (hasTrainingApi(runner)) return runner;
  return referenceTraining(runner, map, spec.module.dtype);
}

function hasTrainingApi(runner: MapRunner): runner is MapRunner & TrainingRunner {
  const r = runner as unknown as Partial<TrainingRunner>;
  return typeof r.backward === 'function' && typeof r.createOptimizer === 'function' && typeof r.saveParams === 'function';
}

/** Interim training API over a forward-only runner: float64 reference gradients, host-side updates. */
function referenceTraining(runner: MapRunner, map: CheckedMap, dtype: Dtype): TrainingRunner {
  let params = new Map<string, Float32Array>();
  let lastGrads: Map<string, Float32Array> | undefined;
  const self: TrainingRunner = {
    backend: runner.backend,
    adapterDescription: runner.adapterDescription,
    loadParams(tensors) {
      runner.loadParams(tensors);
      params = new Map([...tensors].map(([k, v]) => [k, Float32Array.from(v)]));
    },
    forward: (x, batch) => runner.forward(x, batch),
    async backward(x, dy, batch) {
      const rows = batch ?? x.length / map.in;
      const g = referenceBackward(map.structure, params, x, dy, rows);
      lastGrads = new Map([...g.grads].map(([k, v]) => [k, Float32Array.from(v)]));
      return { dx: Float32Array.from(g.dx), grads: new Map(lastGrads) };
    },
    createOptimizer(options) {
      const state = new Map<string, { m: Float64Array; v: Float64Array }>();
      let t = 0;
      return {
        async step() {
          if (!lastGrads) throw new Error('optimizer step before any backward()');
          t++;
          for (const [name, p] of params) {
            const g = lastGrads.get(name)!;
            let s = state.get(name);
            if (!s) state.set(name, (s = { m: new Float64Array(p.length), v: new Float64Array(p.length) }));
            hostUpdate(options, p, g, s.m, s.v, t);
          }
          runner.loadParams(params);
        },
      };
    },
    async saveParams() {
      const tensors = new Map(paramsOf(map.structure).map((spec) => [spec.name, { shape: spec.shape, data: params.get(spec.name)! }]));
      return writeSafetensors(tensors, { dtype: dtype === 'f16' ? 'F16' : 'F32' });
    },
    destroy: () => runner.destroy(),
  };
  return self;
}

/** PyTorch's update rules (torch.optim.SGD / Adam / AdamW), in place on `p`. */
function hostUpdate(o: OptimizerOptions, p: Float32Array, g: Float32Array, m: Float64Array, v: Float64Array, t: number): void {
  switch (o.kind) {
    case 'sgd': {
      const momentum = o.momentum ?? 0;
      const wd = o.weightDecay ?? 0;
      for (let i = 0; i < p.length; i++) {
        const gi = g[i] + wd * p[i];
        m[i] = t === 1 ? gi : momentum * m[i] + gi;
        p[i] -= o.lr * (momentum === 0 ? gi : m[i]);
      }
      return;
    }
    case 'adam':
    case 'adamw': {
      const b1 = o.beta1 ?? 0.9;
      const b2 = o.beta2 ?? 0.999;
      const eps = o.eps ?? 1e-8;
      const wd = o.weightDecay ?? (o.kind === 'adamw' ? 0.01 : 0);
      for (let i = 0; i < p.length; i++) {
        let gi = g[i];
        if (o.kind === 'adamw') p[i] *= 1 - o.lr * wd;
        else gi += wd * p[i];
        m[i] = b1 * m[i] + (1 - b1) * gi;
        v[i] = b2 * v[i] + (1 - b2) * gi * gi;
        const mHat = m[i] / (1 - b1 ** t);
        const vHat = v[i] / (1 - b2 ** t);
        p[i] -= (o.lr * mHat) / (Math.sqrt(vHat) + eps);
      }
      return;
    }
    default:
      return assertNever(o, 'optimizer');
  }
}
