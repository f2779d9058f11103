/**
 * B7: a kernel set of subgroup-matrix kernels names the configurations they use in its
 * requirements (`requires.subgroupMatrixConfigs`), so a runtime on an adapter offering only
 * others passes it over without a failed compile. The field survives the manifest file (encode,
 * JSON, decode) and a damaged one is a format error naming it; sets without such kernels have none.
 */
import { describe, expect, it } from 'vitest';
import { compileModule } from '../../src/compile.js';
import { encodeManifest } from '../../src/manifest/manifest-encode.js';
import { decodeManifest } from '../../src/runtime/index.js';
import { MoncError } from '../../src/util/error.js';

const built = compileModule('module tc\ndtype f16\nmap up : 64 -> 128 = monarch(nblocks: 4)\n', 'tc.mon');
const file = () => JSON.parse(JSON.stringify(encodeManifest(built.outputs!.manifest))) as { maps: { kernelSets: { name: string; requires: Record<string, unknown> }[] }[] };

describe("a kernel set's subgroup-matrix configurations in the manifest file", () => {
  it('the tensor-core set names f16 x f16 -> f32 at 16x16x16 and keeps it through the file; the other sets name none', () => {
    const sets = decodeManifest(file()).maps[0].kernelSets!;
    expect(sets.map((s) => [s.name, s.requires.subgroupMatrixConfigs])).toEqual([
      ['tensor-core', ['f16->f32 16x16x16']],
      ['portable', undefined],
      ['f32-storage', undefined],
    ]);
    expect(sets).toEqual(built.outputs!.manifest.maps[0].kernelSets);
  });

  it.each([['f16->f32 16x16x16'], [[16]], [null]])('set to %j: a format error naming the field', (value) => {
    const damaged = file();
    damaged.maps[0].kernelSets[0].requires.subgroupMatrixConfigs = value;
    let error: unknown;
    try {
      decodeManifest(damaged);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MoncError);
    expect((error as MoncError).kind).toBe('format');
    expect((error as MoncError).message).toContain('maps[0].kernelSets[0].requires.subgroupMatrixConfigs');
  });
});
