/**
 * examples/finetune at small size (n = 64) on the CPU backend, through the in-process CLI: the
 * same workflow code as the script, so the figures it prints are the ones asserted here.
 * Fine-tuning on anisotropic inputs must beat the Frobenius projection on held-out inputs
 * clearly, and training from scratch must recover a planted Monarch map.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { finetuneExample } from '../../examples/finetune/workflow.mjs';
import { readNpy, writeNpy } from '../../src/runtime/formats/npy.js';
import { cliJson, scratchDir } from '../cli/helpers.js';

const scratch = scratchDir();
afterAll(() => scratch.remove());

describe('examples/finetune at n = 64 on the CPU backend', () => {
  it('fine-tuning beats the projection on held-out inputs; a planted Monarch map is recovered from scratch', async () => {
    const lines: string[] = [];
    const figures = await finetuneExample(
      {
        monc: (args) => cliJson(args),
        readNpy: (path) => readNpy(readFileSync(path)),
        writeNpy: (path, data, shape) => writeFileSync(path, writeNpy(data, shape)),
        writeText: (path, text) => writeFileSync(path, text),
        path: scratch.path,
        log: (line) => lines.push(line),
      },
      { n: 64, rows: 512, heldOut: 256, steps: 400, lr: 1e-2, batch: 128, decay: 0.8, backend: 'cpu' },
    );
    console.log(lines.join('\n'));
    const { finetune, planted } = figures;
    expect([finetune.params, finetune.denseParams]).toEqual([1024, 4096]);
    // A random dense W is far from any Monarch map in Frobenius norm...
    expect(finetune.weightError).toBeGreaterThan(0.5);
    // ...but on inputs that live near a few directions, fine-tuning fits it far better.
    expect(finetune.finetuned).toBeLessThan(finetune.projected / 3);
    expect(finetune.lossFinal).toBeLessThan(finetune.lossInitial / 5);
    expect(planted.distanceFinal).toBeLessThan(1e-3);
    expect(planted.lossFinal).toBeLessThan(planted.lossInitial * 1e-6);
  });
});
