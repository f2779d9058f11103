/**
 * decodeManifest on a map whose ops compute the model's weighted factors in order but with another data flow
 * (src/manifest/model-ops.ts): an op reading another buffer than the value its factor applies to, or a term written
 * where it never reaches `y`. The CPU backend follows the ops' `src` and `dst`, the fused WebGPU kernels compute the
 * model: such a file ran other numbers on each (QA2 s24 Q351).
 */
import { describe, expect, it } from 'vitest';
import { compileModule } from '../../src/compile.js';
import { encodeManifest } from '../../src/manifest/manifest-encode.js';
import { decodeManifest } from '../../src/runtime/index.js';
import { MoncError } from '../../src/util/error.js';

interface FileOp {
  readonly kind: string;
  src?: string;
  dst: string;
  accumulate: boolean;
}

/** The file form (parsed JSON) of a module's manifest, forward only. */
function manifestFile(source: string): { maps: { name: string; ops: FileOp[] }[] } {
  const result = compileModule(source, 'flow.mon', { forwardOnly: true });
  if (!result.outputs) throw new Error('the test spec does not compile');
  return JSON.parse(JSON.stringify(encodeManifest(result.outputs.manifest)));
}

/** The format error decodeManifest throws for the file with `edit` made to map `map`'s ops. */
function refusal(source: string, map: number, edit: (ops: FileOp[]) => void): MoncError {
  const file = manifestFile(source);
  edit(file.maps[map].ops);
  try {
    decodeManifest(file);
  } catch (e) {
    if (e instanceof MoncError) return e;
    throw e;
  }
  throw new Error('decodeManifest accepted the edited file');
}

const route = (ops: readonly FileOp[]) => ops.map((o) => `${o.src ?? ''}->${o.dst}${o.accumulate ? '+' : ''}`).join(' ');

describe('ops whose data flow is not the model’s', () => {
  it('a chain stage reading the input or an older stage’s result: a format error naming the op and where its value is', () => {
    const source = 'map bf : 16 -> 16 = butterfly(radix: 2)\n';
    expect(route(manifestFile(source).maps[0].ops)).toBe('x->t0 t0->t1 t1->t0 t0->y');
    const cases: [number, string, string][] = [
      [2, 'x', "maps[0].ops[2]: reads 'x', not what the model's weighted factor 2 reads ('t1' holds it here)"],
      [3, 'x', "maps[0].ops[3]: reads 'x', not what the model's weighted factor 3 reads ('t0' holds it here)"],
      [3, 't1', "maps[0].ops[3]: reads 't1', not what the model's weighted factor 3 reads ('t0' holds it here)"],
    ];
    for (const [op, src, message] of cases) {
      const error = refusal(source, 0, (ops) => (ops[op].src = src));
      expect([error.kind, error.message]).toEqual(['format', `the manifest of module 'flow': ${message}`]);
    }
  });

  it('a sum’s term reading a chain’s intermediate result, where every written value is still read: a format error', () => {
    const source = 'map s : 4 -> 4 = monarch(nblocks: 2) + dense()\n';
    expect(route(manifestFile(source).maps[0].ops)).toBe('x->t0 t0->y x->y+');
    const error = refusal(source, 0, (ops) => (ops[2].src = 't0'));
    expect(error.message).toBe("the manifest of module 'flow': maps[0].ops[2]: reads 't0', not what the model's weighted factor 2 reads ('x' holds it here)");
  });

  it('a sum’s term stored where no op reads it, leaving it out of y: a format error', () => {
    const source = 'map s : 4 -> 4 = monarch(nblocks: 2) + dense()\n';
    const error = refusal(source, 0, (ops) => Object.assign(ops[2], { dst: 't0', accumulate: false }));
    expect(error.message).toBe("the manifest of module 'flow': maps[0].ops: the sum they leave in 'y' is not the model's (a term is missing, repeated or written elsewhere)");
  });

  it('what the compiler writes passes: sums of chains, chains of sums, tied maps, transposes and biases on any term', () => {
    const source = [
      'map s : 4 -> 4 = monarch(nblocks: 2) + dense()',
      'map c : 4 -> 4 = (dense(in: 4) + dense(in: 4)) @ monarch(nblocks: 2) + bias()',
      'map t : 4 -> 4 = s @ s + s',
      'map l : 8 -> 8 = bias() + lowrank(rank: 2) + dense() @ transpose(2, 4)',
      '',
    ].join('\n');
    expect(decodeManifest(manifestFile(source)).maps.map((m) => m.name)).toEqual(['s', 'c', 't', 'l']);
  });
});
