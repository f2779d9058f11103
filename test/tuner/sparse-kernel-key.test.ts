/**
 * The tuning database keys a sparse op's block list by its count and SHA-256 (blockListKey), not
 * by the list itself: a 2^20-block op's entry stays small, two patterns with equal counts get
 * different keys, one pattern in two modules shares its entry, and an entry an earlier monc wrote
 * with the whole list still applies (and is written small on the next save), while a kernel text
 * no op has is ignored, never an error.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { compileKernels } from '../../src/compile-kernels.js';
import type { BackwardOp, Program } from '../../src/ir/ir.js';
import { compileBackward, compileMap } from '../../src/ir/pipeline.js';
import { blockListKey, emptyDb, kernelSignature, merge, parseDb, serializeDb, type TuningEntry } from '../../src/tuner/db.js';
import { scheduleLookup } from '../../src/tuner/lookup.js';
import { MONC_VERSION } from '../../src/version.js';
import { checkedMap, sparse } from '../ir/structures.js';

type Blocks = readonly (readonly [number, number])[];

const ADAPTER = { vendor: 'test', architecture: '', device: 'd', description: '', features: [], limits: { maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupStorageSize: 16384 } };

function entry(kernel: string, workgroupSize: number): TuningEntry {
  return { adapter: ADAPTER, compiler: MONC_VERSION, kernel, batchBucket: 64, schedule: { family: 'bsr-direct', workgroupSize, outputsPerThread: 1, unroll: 1 }, ms: 1, spread: 0, timed: 1, date: new Date(0).toISOString() };
}

/** A sparse map's forward program and its backward ops (the transposed bsr op, the weight gradient, …). */
function programs(n: number, bh: number, blocks: Blocks): { readonly forward: Program; readonly backward: readonly BackwardOp[] } {
  const forward = compileMap(checkedMap('s', sparse(n, n, bh, bh, blocks)), 'f32');
  return { forward, backward: compileBackward(forward, { rowsPerSplit: 8 }).ops };
}

const signatures = (p: ReturnType<typeof programs>) => [...p.forward.ops, ...p.backward].map((op) => kernelSignature([op], 'f32'));

/** The kernel text earlier monc versions wrote: a bsr op's (or a wgrad op's forward op's) whole block list. */
function legacySignature(op: BackwardOp, storage: string): string {
  const key = JSON.parse(kernelSignature([op], storage)) as { ops: { blocks?: unknown; f?: { blocks?: unknown } }[] };
  const blocks = op.kind === 'bsr' ? op.blocks : op.kind === 'wgrad' && op.forward.kind === 'bsr' ? op.forward.blocks : undefined;
  const [part] = key.ops;
  if (part!.blocks !== undefined) part!.blocks = blocks;
  if (part!.f?.blocks !== undefined) part!.f.blocks = blocks;
  return JSON.stringify(key);
}

/** A grid of g x g blocks: the distinct blocks at `picks` (indices into the row-major grid), row-major. */
function blocksAt(g: number, picks: readonly number[]): Blocks {
  return [...new Set(picks)].sort((x, y) => x - y).map((k) => [Math.floor(k / g), k % g] as const);
}

describe('the tuning database keys a sparse op by a digest of its block list', () => {
  it('keeps a 2^20-block op\'s entries (forward, transposed, weight gradient) under 400 bytes of kernel each', () => {
    const g = 1024;
    const all = Array.from({ length: g * g }, (_, k) => [Math.floor(k / g), k % g] as const);
    const ops = programs(g, 1, all);
    const kernels = signatures(ops);
    const sparseKernels = kernels.filter((k) => k.includes('"blocks"'));
    expect(sparseKernels).toHaveLength(3);
    for (const k of sparseKernels) {
      expect(k.length).toBeLessThan(400);
      expect(k).toContain(`"n":${2 ** 20}`);
    }
    const text = serializeDb(merge(emptyDb(), kernels.map((k) => entry(k, 64))));
    expect(text.length).toBeLessThan(4 * 1024);
    // What a save writes, a load reads back to the same keys: a build finds the tuned schedules.
    const db = parseDb(text);
    if (!('db' in db)) throw new Error(db.error);
    const lookup = scheduleLookup(db.db, { adapter: ADAPTER });
    for (const op of [...ops.forward.ops, ...ops.backward]) expect(lookup([op], 'f32')?.schedule.workgroupSize).toBe(64);
  });

  // Grids of 3..9 blocks a side (odd sizes, rectangular 2 x 3 blocks) and two patterns of the same
  // count: the second moves one block of the first to a cell it does not have.
  test.prop([fc.integer({ min: 3, max: 9 }).chain((g) => fc.tuple(fc.constant(g), fc.uniqueArray(fc.nat(g * g - 1), { minLength: 1, maxLength: g * g - 1 }), fc.nat()))])(
    'gives two different patterns with equal counts different keys, in every op that walks them',
    ([g, picks, moveSeed]) => {
      const free = Array.from({ length: g * g }, (_, k) => k).filter((k) => !picks.includes(k));
      const moved = [...picks.slice(1), free[moveSeed % free.length]!];
      const [a, b] = [blocksAt(g, picks), blocksAt(g, moved)];
      expect(a.length).toBe(b.length);
      expect(blockListKey(a)).not.toEqual(blockListKey(b));
      const [sa, sb] = [signatures(programs(2 * g, 2, a)), signatures(programs(2 * g, 2, b))];
      sa.forEach((s, i) => expect(s === sb[i]).toBe(!s.includes('"blocks"')));
    },
  );

  it('shares one entry between the same pattern in two modules (other map names, other neighbours)', () => {
    const a = compileKernels('map up : 96 -> 96 = sparse(block: 4, pattern: band(width: 3))\n', 'a.mon');
    const b = compileKernels('map w : 32 -> 96 = dense()\nmap down : 96 -> 96 = sparse(block: 4, pattern: band(width: 3))\n', 'b.mon');
    const [up] = a.programs!;
    const down = b.programs![1]!;
    expect(up!.ops[0]!.kind).toBe('bsr');
    // Separately compiled: equal lists, not one array, so the key does not rest on the digest's cache.
    expect(down.ops[0]!.kind === 'bsr' && up!.ops[0]!.kind === 'bsr' && down.ops[0]!.blocks !== up!.ops[0]!.blocks).toBe(true);
    const tunedOps = [...up!.ops, ...compileBackward(up!).ops];
    const lookup = scheduleLookup(merge(emptyDb(), tunedOps.map((op) => entry(kernelSignature([op], 'f32'), 128))), { adapter: ADAPTER });
    const usedOps = [...down.ops, ...compileBackward(down).ops];
    expect(usedOps.map((op) => op.kind)).toEqual(tunedOps.map((op) => op.kind));
    for (const op of usedOps) expect(lookup([op], 'f32')?.schedule.workgroupSize).toBe(128);
  });

  it('reads an entry an earlier monc wrote with the whole block list: it applies, and the next save writes it small', () => {
    const ops = programs(40, 2, blocksAt(20, [0, 21, 22, 43, 44, 65, 199, 380, 399]));
    const all = [...ops.forward.ops, ...ops.backward];
    const legacy = all.map((op) => legacySignature(op, 'f32'));
    expect(legacy.filter((k) => k.includes('"blocks":[['))).toHaveLength(3);
    const old = JSON.stringify({ format: 'monc-tuning', version: 1, entries: legacy.map((k) => entry(k, 32)) });
    const parsed = parseDb(old);
    if (!('db' in parsed)) throw new Error(parsed.error);
    const lookup = scheduleLookup(parsed.db, { adapter: ADAPTER });
    for (const op of all) expect(lookup([op], 'f32')?.schedule.workgroupSize).toBe(32);
    expect(parsed.db.entries.map((e) => e.kernel)).toEqual(signatures(ops));
    // A newer tune of the same kernels replaces the upgraded entries instead of adding beside them.
    expect(merge(parsed.db, all.map((op) => entry(kernelSignature([op], 'f32'), 64))).entries).toHaveLength(all.length);
  });

  it('ignores, without an error, an entry whose kernel text names blocks but is no kernel of this version', () => {
    const odd = ['{"blocks":[[0,0]', '{"storage":"f32","ops":[{"k":"bsr","blocks":[[0,-1]]}]}', '{"storage":"f32","ops":"blocks\\":[["}'];
    const parsed = parseDb(JSON.stringify({ format: 'monc-tuning', version: 1, entries: odd.map((k) => entry(k, 32)) }));
    if (!('db' in parsed)) throw new Error(parsed.error);
    expect(parsed.db.entries.map((e) => e.kernel)).toEqual(odd);
    const { forward } = programs(8, 2, [[0, 0], [1, 1]]);
    expect(scheduleLookup(parsed.db, { adapter: ADAPTER })(forward.ops, 'f32')).toBeUndefined();
  });
});
