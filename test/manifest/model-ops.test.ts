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

interface FileKernel {
  readonly ops: readonly number[];
  src: string;
}

interface FileMap {
  readonly name: string;
  readonly ops: FileOp[];
  readonly backward: { ops: (FileOp & { dy?: string })[]; kernels: FileKernel[] };
}

/** The file form (parsed JSON) of a module's manifest, forward only unless `training`. */
function manifestFile(source: string, training = false): { maps: FileMap[] } {
  const result = compileModule(source, 'flow.mon', { forwardOnly: !training });
  if (!result.outputs) throw new Error('the test spec does not compile');
  return JSON.parse(JSON.stringify(encodeManifest(result.outputs.manifest)));
}

/** The format error decodeManifest throws for the file with `edit` made to map `map`'s ops (or to the whole map, training). */
function refusal(source: string, map: number, edit: (ops: FileOp[]) => void): MoncError {
  const file = manifestFile(source);
  edit(file.maps[map].ops);
  return refusalOf(file);
}

function refusalOf(file: unknown): MoncError {
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
    // QA2's addendum: a Monarch of order 3 (one fused kernel for its three ops) the same way.
    const order3 = 'map o3 : 24 -> 24 = monarch(order: 3, radices: [2, 3, 4])\n';
    expect(route(manifestFile(order3).maps[0].ops)).toBe('x->t0 t0->t1 t1->y');
    for (const [op, src] of [[1, 'x'], [2, 'x'], [2, 't0']] as const) {
      expect(refusal(order3, 0, (ops) => (ops[op].src = src)).message).toMatch(new RegExp(`^the manifest of module 'flow': maps\\[0\\]\\.ops\\[${op}\\]: reads '${src}', not what the model's weighted factor ${op} reads \\('t${op - 1}' holds it here\\)$`));
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

  it('a backward op and its kernel reading another buffer, together: a format error naming the first op that sees another value', () => {
    const source = 'map bf : 16 -> 16 = butterfly(radix: 2)\nmap s : 4 -> 4 = monarch(nblocks: 2) + dense()\n';
    const rerouted = (map: number, op: number, field: 'src' | 'dy', to: string) => {
      const file = manifestFile(source, true);
      const { ops, kernels } = file.maps[map].backward;
      ops[op][field] = to;
      // The kernel running the op binds what it reads: `src`, or `aux` for a weight gradient's `dy`.
      for (const k of kernels.filter((k) => k.ops.includes(op))) Object.assign(k, { [field === 'src' ? 'src' : 'aux']: to });
      return refusalOf(file).message;
    };
    const backward = manifestFile(source, true).maps.map((m) => route(m.backward.ops.filter((o) => o.kind !== 'reduce')));
    expect(backward).toEqual([
      'x->v0 v0->v1 v1->v2 dy->dv2 v2->p0 dv2->dv1 v1->p1 dv1->dv0 v0->p2 dv0->dx x->p3',
      'x->v0 dy->dx x->p0 dy->dv0 v0->p1 dv0->dx+ x->p2',
    ]);
    const prefix = "the manifest of module 'flow': maps";
    // v1 recomputed from x: the first weight gradient to read a value it changed is the last stage's (reading v2).
    expect(rerouted(0, 1, 'src', 'x')).toBe(`${prefix}[0].backward.ops[4]: the weight gradient of bf.twiddle[96:128] reads 'v2' and 'dy', not the input and output gradient of a use of those weights in the model`);
    expect(rerouted(0, 6, 'src', 'dy')).toBe(`${prefix}[0].backward.ops[10]: the weight gradient of bf.twiddle[32:64] reads 'v0' and 'dv1', not the input and output gradient of a use of those weights in the model`);
    expect(rerouted(1, 2, 'src', 'v0')).toBe(`${prefix}[1].backward.ops[2]: the weight gradient of s.1.weight[0:16] reads 'v0' and 'dy', not the input and output gradient of a use of those weights in the model`);
    expect(rerouted(1, 7, 'src', 'dy')).toBe(`${prefix}[1].backward.ops: the sum they leave in 'dx' is not the model's input gradient`);
  });

  // REV s24 3: a bias gradient reading another output gradient, and two reduces' gradient slices swapped, were accepted
  // (the CPU backend's bias gradient off by 2.13, the swapped tensors' by 0.673).
  it('a bias gradient reading another buffer, or a reduce summing into another slice: a format error naming the op', () => {
    const source = 'map s : 4 -> 4 = monarch(nblocks: 2) + dense() + bias()\n';
    const file = () => manifestFile(source, true);
    const ops = file().maps[0].backward.ops as unknown as { kind: string; dy?: string; grad?: { tensor: string } }[];
    expect(ops.map((o) => o.kind).join(' ')).toBe('ks ks wgrad reduce ks wgrad reduce bgrad reduce ks wgrad reduce');
    const bgrad = file();
    const { ops: bops, kernels } = bgrad.maps[0].backward;
    (bops[7] as { dy?: string }).dy = 'dv0';
    for (const k of kernels.filter((k) => k.ops.includes(7))) Object.assign(k, { src: 'dv0' });
    expect(refusalOf(bgrad).message).toBe("the manifest of module 'flow': maps[0].backward.ops[7]: the bias gradient reads 'dv0', not the output gradient of a bias in the model");
    const swapped = file();
    const list = swapped.maps[0].backward.ops as unknown as { grad: unknown }[];
    [list[6].grad, list[11].grad] = [list[11].grad, list[6].grad];
    expect(refusalOf(swapped).message).toMatch(/^the manifest of module 'flow': maps\[0\]\.backward\.ops\[6\]: sums 'p\d' into s\.0\.blkdiag1\[0:8\], which is not the slice whose gradient that partial holds$/);
  });

  // s26 OPEN-a: an op's index map edited to another permutation (its input's transpose made the identity) decoded; the
  // CPU backend follows the op's maps, the WebGPU kernels have the compiled ones: 5.2 and 5.8 apart on y. The maps fold
  // the model's transposes (and a K factor's split of its blocks), so the ops and the model are compared through them.
  it('an index map of a forward or backward op made another permutation: a format error naming the op', () => {
    const source = [
      'map m : 16 -> 16 = monarch(nblocks: 4) @ transpose(4, 4) + lowrank(rank: 2) @ transpose(2, 8)',
      'map b : 16 -> 16 = transpose(4, 4) @ lowrank(rank: 3) + bias()',
      'map o : 24 -> 24 = monarch(radices: [2, 3, 4])',
      '',
    ].join('\n');
    type Step = { shape: number[]; perm: number[] };
    type Mapped = { kind: string; input?: { steps: Step[] }; output?: { steps: Step[] }; forward?: { input: { steps: Step[] }; output: { steps: Step[] } } };
    const file = manifestFile(source, true) as unknown as { maps: { name: string; ops: Mapped[]; backward: { ops: Mapped[] } }[] };
    const edited: string[] = [];
    for (const [m, map] of file.maps.entries()) {
      for (const program of ['ops', 'backward'] as const) {
        const ops = program === 'ops' ? map.ops : map.backward.ops;
        for (const [i, op] of ops.entries()) {
          for (const field of ['input', 'output'] as const) {
            const steps = (op.kind === 'wgrad' ? op.forward![field] : op[field])?.steps ?? [];
            const k = steps.findIndex((st) => st.perm.some((v, j) => v !== j));
            if (k < 0) continue;
            // The step's axes left in their order: its transpose undone (the identity, where it was not).
            const copy = JSON.parse(JSON.stringify(file));
            const target = (program === 'ops' ? copy.maps[m].ops : copy.maps[m].backward.ops)[i];
            const step = (op.kind === 'wgrad' ? target.forward[field] : target[field]).steps[k];
            step.perm = step.perm.map((_: number, j: number) => j);
            const error = refusalOf(copy);
            expect(error.kind).toBe('format');
            expect(error.message, `${map.name} ${program}[${i}].${field}`).toMatch(new RegExp(`^the manifest of module 'flow': maps\\[${m}\\]\\.(ops|backward\\.ops)`));
            edited.push(`${map.name} ${program === 'ops' ? 'ops' : 'backward.ops'}[${i}] ${op.kind} ${field}`);
          }
        }
      }
    }
    // Forward and backward ops, inputs and outputs, weight gradients' shapes among them.
    expect(edited.length).toBeGreaterThan(6);
    expect(edited.some((e) => e.startsWith('m ops') && e.endsWith('input'))).toBe(true);
    expect(edited.some((e) => e.includes('backward.ops') && e.includes('wgrad'))).toBe(true);
    expect(edited.some((e) => e.endsWith('output'))).toBe(true);
    // The first forward edit, as the message reads.
    const first = JSON.parse(JSON.stringify(file));
    first.maps[0].ops[0].input.steps[0].perm = [0, 1];
    expect(refusalOf(first).message).toBe("the manifest of module 'flow': maps[0].ops[0]: reads 'x' through its input index map, not what the model's weighted factor 0 reads (no buffer holds that here)");
    // As written: accepted, trained and forward-only.
    for (const training of [false, true]) expect(decodeManifest(manifestFile(source, training)).maps.map((m) => m.name)).toEqual(['m', 'b', 'o']);
  });

  // The check finds a one-step map by its digits and compares tables only where those differ (s26: 86 ms at n = 16384):
  // the same permutation written otherwise passes, another one is refused, alone of its size or among others.
  it('an index map written otherwise passes where it is the same permutation, and is refused where it is another', () => {
    const source = 'map m : 16 -> 16 = monarch(nblocks: 4) @ transpose(4, 4)\nmap r : 12 -> 12 = dense() @ transpose(3, 4)\n';
    type Step = { shape: number[]; perm: number[] };
    const file = manifestFile(source, true) as unknown as { maps: { ops: { input: { steps: Step[] } }[] }[] };
    expect(file.maps.map((m) => m.ops[0].input.steps)).toEqual([[{ shape: [4, 4], perm: [1, 0] }], [{ shape: [4, 3], perm: [1, 0] }]]);
    const withInput = (map: number, steps: Step[]) => {
      const copy = JSON.parse(JSON.stringify(file));
      copy.maps[map].ops[0].input.steps = steps;
      return copy;
    };
    const t44 = { shape: [4, 4], perm: [1, 0] };
    const same: [number, Step[]][] = [
      [0, [{ shape: [4, 2, 2], perm: [1, 2, 0] }]],
      [0, [{ shape: [2, 2, 4], perm: [2, 0, 1] }]],
      [0, [{ shape: [1, 4, 1, 4], perm: [3, 2, 0, 1] }]],
      [0, [t44, t44, t44]],
      [0, [{ shape: [2, 8], perm: [1, 0] }, { shape: [8, 2], perm: [1, 0] }, t44]],
      [1, [{ shape: [2, 6], perm: [1, 0] }, { shape: [6, 2], perm: [1, 0] }, { shape: [4, 3], perm: [1, 0] }]],
    ];
    for (const [map, steps] of same) expect(decodeManifest(withInput(map, steps)).maps.length, JSON.stringify(steps)).toBe(2);
    const other: [number, Step[]][] = [
      [0, [{ shape: [2, 8], perm: [1, 0] }]],
      [0, [{ shape: [2, 2, 2, 2], perm: [1, 0, 3, 2] }]],
      [0, [t44, t44]],
      [0, [{ shape: [2, 8], perm: [1, 0] }, { shape: [8, 2], perm: [1, 0] }]],
      [1, [{ shape: [3, 4], perm: [1, 0] }]],
      [1, [{ shape: [2, 2, 3], perm: [1, 0, 2] }]],
      [1, [{ shape: [4, 3], perm: [1, 0] }, { shape: [2, 6], perm: [1, 0] }]],
    ];
    for (const [map, steps] of other) {
      expect(refusalOf(withInput(map, steps)).message, JSON.stringify(steps)).toBe(
        `the manifest of module 'flow': maps[${map}].ops[0]: reads 'x' through its input index map, not what the model's weighted factor 0 reads (no buffer holds that here)`,
      );
    }
  });

  it('what the compiler writes passes: sums of chains, chains of sums, tied maps, transposes and biases on any term', () => {
    const source = [
      'map s : 4 -> 4 = monarch(nblocks: 2) + dense()',
      'map c : 4 -> 4 = (dense(in: 4) + dense(in: 4)) @ monarch(nblocks: 2) + bias()',
      'map t : 4 -> 4 = s @ s + s',
      'map l : 8 -> 8 = bias() + lowrank(rank: 2) + dense() @ transpose(2, 4)',
      '',
    ].join('\n');
    for (const training of [false, true]) expect(decodeManifest(manifestFile(source, training)).maps.map((m) => m.name)).toEqual(['s', 'c', 't', 'l']);
  });
});
