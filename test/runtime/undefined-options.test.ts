/**
 * R50 (QA2 s16): an optional option given as `undefined` is absent, for the type checker as for the
 * runtime. Under `exactOptionalPropertyTypes` a field declared `x?: T` refuses `undefined`, so
 * passing a value that may be undefined through (`create({ device: maybeDevice })`) failed to
 * compile while the runtime takes it; the runtime's option types now admit it. Each call below
 * runs with every optional option undefined, and the same calls type-check in a strict project.
 */
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileModule } from '../../src/compile.js';
import { initParams } from '../../src/runtime/init.js';
import { MapRunner, requestMoncDevice } from '../../src/runtime/node.js';
import { TINY_SOURCE } from '../codegen/tiny-module.js';
import { formatDiagnostics, scratchDir, typeCheck } from '../support/typescript.js';

/** The calls, as a user writes them: every optional option of the runtime given as `undefined`. */
const CALLS = `export async function calls(runner: MapRunner, x: Float32Array, target: Float32Array): Promise<void> {
  await runner.forward(x, { batch: undefined, out: undefined, chunkRows: undefined });
  await runner.fitMse(x, target, { steps: 1, optimizer: { kind: 'sgd', lr: 0.01, momentum: undefined, weightDecay: undefined }, batch: undefined, seed: undefined, onProgress: undefined, progressPoints: undefined });
  runner.createOptimizer({ kind: 'adam', lr: 0.01, beta1: undefined, beta2: undefined, eps: undefined, weightDecay: undefined });
}`;

describe('optional options given as undefined', () => {
  const dir = scratchDir('undefined-options');

  it('type-check under exactOptionalPropertyTypes (create, forward, fitMse, optimizers, requestMoncDevice)', () => {
    writeFileSync(
      `${dir}/user.ts`,
      `import { MapRunner, requestMoncDevice, type ManifestMap } from 'monc/runtime';
export async function create(map: ManifestMap, wgsl: string, device: GPUDevice | undefined): Promise<MapRunner> {
  await requestMoncDevice({ powerPreference: undefined, adapter: undefined });
  return MapRunner.create(map, wgsl, { backend: undefined, device, dtype: undefined, training: undefined });
}
${CALLS}
`,
    );
    expect(formatDiagnostics(typeCheck([`${dir}/user.ts`]))).toBe('');
  });

  it('run as absent on the CPU backend, and requestMoncDevice takes them', async () => {
    const outputs = compileModule(TINY_SOURCE, 'tiny.mon').outputs!;
    const map = outputs.manifest.maps[0];
    const runner = await MapRunner.create(map, outputs.wgsl, { backend: 'cpu', device: undefined, dtype: undefined, training: undefined });
    try {
      runner.loadParams(initParams(map.model.params, 1));
      const x = new Float32Array(2 * map.in).fill(0.5);
      const target = new Float32Array(2 * map.out);
      expect(await runner.forward(x, { batch: undefined, out: undefined, chunkRows: undefined })).toHaveLength(2 * map.out);
      const result = await runner.fitMse(x, target, {
        steps: 1,
        optimizer: { kind: 'sgd', lr: 0.01, momentum: undefined, weightDecay: undefined },
        batch: undefined,
        seed: undefined,
        onProgress: undefined,
        progressPoints: undefined,
      });
      expect(result.steps).toBe(1);
      runner.createOptimizer({ kind: 'adam', lr: 0.01, beta1: undefined, beta2: undefined, eps: undefined, weightDecay: undefined });
    } finally {
      runner.destroy();
    }
    const { device } = await requestMoncDevice({ powerPreference: undefined, adapter: undefined });
    device.destroy();
  });
});
