/**
 * The manifest file's format 2 (src/manifest/manifest-file.ts): each distinct block list once in
 * `patterns`, referred to from every op, model node and backward op; `decodeManifest` gives back
 * exactly the in-memory manifest, with one shared array per list, and refuses another format.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { compileModule } from '../../src/compile.js';
import { encodeManifest } from '../../src/manifest/manifest-encode.js';
import { decodeManifest, MANIFEST_FORMAT, type BlockList } from '../../src/manifest/manifest-file.js';
import type { Manifest } from '../../src/manifest/types.js';
import { isMoncError } from '../../src/util/error.js';
import { patternTable } from '../../src/manifest/pattern.js';
import { executeProgram } from '../../src/runtime/cpu-executor.js';
import { programOfManifest } from '../../src/runtime/map-runner.js';
import { formatJson, formatJsonLine } from '../../src/util/json.js';
import { blockSparse, decodeManifest as checkedDecode } from '../../src/runtime/index.js';

const transpose = (blocks: BlockList): BlockList => blocks.map(([i, j]) => [j, i] as const);

/** A manifest holding `lists` where a real one holds block lists: ops, model body, backward ops (a transposed copy, a weight gradient's forward shape). */
function manifestWith(lists: readonly BlockList[]): Manifest {
  const bsr = (blocks: BlockList) => ({ kind: 'bsr', bh: 1, bw: 1, blocks, weight: { tensor: 'f.values', offset: 0, length: blocks.length } });
  const map = {
    name: 'f',
    ops: lists.map(bsr),
    model: { name: 'f', body: { kind: 'chain', stages: lists.map(bsr) } },
    backward: { ops: lists.flatMap((l) => [{ ...bsr(transpose(l)), transposed: true }, { kind: 'wgrad', forward: bsr(l) }]) },
    kernels: [{ entryPoint: 'f_op0', ops: [0], pattern: 'csr' }],
  };
  return { monc: '0.1.0', module: 'm', source: 'm.mon', dtype: 'f32', wgsl: 'm.wgsl', enables: [], maps: [map] } as unknown as Manifest;
}

/** Every `blocks` value anywhere in `value`. */
function blocksFields(value: unknown): unknown[] {
  if (Array.isArray(value)) return value.flatMap(blocksFields);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => (k === 'blocks' ? [v] : blocksFields(v)));
}

const index = fc.oneof(fc.nat(40), fc.integer({ min: 2 ** 24 - 2, max: 2 ** 32 - 1 }));
const blockList = fc.oneof(fc.constant([]), fc.array(fc.tuple(index, index), { minLength: 1, maxLength: 1 }), fc.array(fc.tuple(index, index), { maxLength: 60 }));

describe('manifest file: each block list once', () => {
  test.prop([fc.array(blockList, { minLength: 1, maxLength: 4 })], { numRuns: 200 })('round-trips any block lists (empty, one block, indices up to 2^32 - 1)', (lists) => {
    const manifest = manifestWith(lists);
    for (const text of [formatJson(encodeManifest(manifest)), formatJsonLine(encodeManifest(manifest))]) {
      const file = JSON.parse(text);
      expect(file.format).toBe(MANIFEST_FORMAT);
      // A list and its transpose are one entry, the file holds no list in place.
      const distinct = new Set<string>();
      for (const l of lists) if (!distinct.has(JSON.stringify(transpose(l)))) distinct.add(JSON.stringify(l));
      expect(file.patterns).toHaveLength(distinct.size);
      expect(blocksFields(file.maps).every((b) => !Array.isArray(b))).toBe(true);
      const decoded = decodeManifest(file);
      expect(decoded).toEqual(manifest);
      // Decoded once: the op's list is the model's and the weight gradient's array.
      type Listed = { readonly blocks: BlockList };
      const map = decoded.maps[0] as unknown as { ops: Listed[]; model: { body: { stages: Listed[] } }; backward: { ops: { forward?: Listed }[] } };
      map.ops.forEach((op, k) => {
        expect(op.blocks).toBe(map.model.body.stages[k].blocks);
        expect(op.blocks).toBe(map.backward.ops[2 * k + 1].forward!.blocks);
      });
    }
  });

  it('a sparse module: pixelfly has 3 lists (4 copies each before), and the .json decodes to the compiled manifest', () => {
    const outputs = compileModule(readFileSync(new URL('../../examples/pixelfly.mon', import.meta.url), 'utf8'), 'pixelfly.mon').outputs!;
    const file = JSON.parse(outputs.manifestJson);
    expect(file.patterns.map((flat: number[]) => flat.length / 2)).toEqual([96, 94, 64]);
    const refs = blocksFields(file.maps);
    expect(refs).toHaveLength(12);
    expect(refs.filter((r) => (r as { transposed?: boolean }).transposed)).toHaveLength(3);
    expect(decodeManifest(file)).toEqual(outputs.manifest);
  });

  it('a forward-only build: the same lists, referred to by its ops and model only', () => {
    const outputs = compileModule(readFileSync(new URL('../../examples/pixelfly.mon', import.meta.url), 'utf8'), 'pixelfly.mon', { forwardOnly: true }).outputs!;
    const file = JSON.parse(outputs.manifestJson);
    expect(file.patterns.map((flat: number[]) => flat.length / 2)).toEqual([96, 94, 64]);
    expect(blocksFields(file.maps)).toHaveLength(6);
    expect(decodeManifest(file)).toEqual(outputs.manifest);
  });

  it('a tied map shares its pattern with the map it uses', () => {
    const spec = 'module tied\nmap s : 48 -> 48 = sparse(block: 4, pattern: band(width: 2))\nmap t : 48 -> 48 = s @ s + bias()\n';
    const outputs = compileModule(spec, 'tied.mon').outputs!;
    const file = JSON.parse(outputs.manifestJson);
    expect(file.patterns).toHaveLength(1);
    expect(decodeManifest(file)).toEqual(outputs.manifest);
  });

  it('decodes a file object once, and returns a manifest without format (an earlier monc, or decoded) as it is', () => {
    const manifest = manifestWith([[[0, 1]]]);
    const file = JSON.parse(formatJson(encodeManifest(manifest)));
    expect(decodeManifest(file)).toBe(decodeManifest(file));
    expect(decodeManifest(manifest)).toBe(manifest);
  });
});

describe('manifest file: a malformed pattern table or reference', () => {
  // Resolution leaves what it cannot resolve (every page with block-sparse maps bundles it); the
  // runtime's decodeManifest then refuses the field by name, rather than a runner misreading it.
  const text = compileModule('module m\nmap f : 16 -> 16 = sparse(block: 2, pattern: band(width: 2))\n', 'm.mon').outputs!.manifestJson;
  const refused = (edit: (file: { patterns: unknown[]; maps: { ops: { blocks: unknown }[] }[] }) => void): string => {
    const file = JSON.parse(text);
    edit(file);
    try {
      checkedDecode(file, blockSparse);
    } catch (e) {
      expect(isMoncError(e, 'format'), String(e)).toBe(true);
      return (e as Error).message;
    }
    throw new Error('decodeManifest accepted it');
  };

  it('an odd or negative flat list: the pair that is not a block, by its field', () => {
    expect(refused((f) => (f.patterns = [[0, 0, 1]]))).toMatch(/^the manifest of module 'm': maps\[0\]\.ops\[0\]\.blocks\[1\]: \[1,null\] is not a block \[row, column\]/);
    expect(refused((f) => (f.patterns = [[0, -1]]))).toMatch(/^the manifest of module 'm': maps\[0\]\.ops\[0\]\.blocks\[0\]: \[0,-1\] is not a block/);
  });

  it('a reference to no list of the table, or not a reference: its field is not a list', () => {
    for (const blocks of [{ pattern: 1 }, null, 3, 'x', { pattern: 0, transposed: 'yes' }, { pattern: '0' }]) {
      expect(refused((f) => (f.maps[0].ops[0].blocks = blocks)), JSON.stringify(blocks)).toBe(`the manifest of module 'm': maps[0].ops[0].blocks: ${JSON.stringify(blocks)} is not a list`);
    }
  });
});

describe('manifest file: errors', () => {
  const file = () => JSON.parse(formatJson(encodeManifest(manifestWith([[[0, 1], [2, 3]]]))));
  const formatError = (value: unknown): string => {
    try {
      decodeManifest(value);
    } catch (e) {
      expect(isMoncError(e, 'format'), String(e)).toBe(true);
      return (e as Error).message;
    }
    throw new Error('decodeManifest accepted it');
  };

  it('another format version: a one-line error of kind format that says to rebuild', () => {
    expect(formatError({ ...file(), format: 3 })).toBe(
      "the manifest of module 'm' (written by monc 0.1.0) is in format 3, but this runtime (monc 0.1.0) reads format 2: rebuild the module with this version's `monc build`",
    );
    expect(formatError({ ...file(), format: '2' })).toContain('is in format "2"');
  });

  it("a map read without decodeManifest: the CPU executor and the pattern tables refuse its reference, they do not misread it", () => {
    const outputs = compileModule('module s\nmap f : 16 -> 16 = sparse(block: 2, pattern: band(width: 2))\n', 's.mon').outputs!;
    const map = JSON.parse(outputs.manifestJson).maps[0];
    const expected = /^a block-sparse op's blocks are \{"pattern":0\}, a reference into its manifest file's 'patterns': read the file with decodeManifest/;
    expect(() => executeProgram(programOfManifest(map, 'f32'), new Float32Array(map.paramSize), new Float32Array(16), 1)).toThrow(expected);
    expect(() => patternTable(map.ops[0], 'csr')).toThrow(expected);
    expect(() => patternTable(map.ops[0], 'coo')).toThrow(expected);
    // Decoded, the same map runs: y = 0 for zero parameters.
    const decoded = decodeManifest(JSON.parse(outputs.manifestJson)).maps[0];
    expect([...executeProgram(programOfManifest(decoded, 'f32'), new Float32Array(map.paramSize), new Float32Array(16).fill(1), 1)]).toEqual(new Array(16).fill(0));
  });

  it('a malformed table or reference', () => {
    expect(formatError([])).toBe('a monc manifest is a JSON object');
    expect(formatError({ ...file(), patterns: undefined })).toBe("the manifest of module 'm' has no 'patterns' table");
    const noMap = file();
    noMap.maps[0] = null;
    expect(formatError(noMap)).toBe("the manifest of module 'm': maps[0] is not a map (an object with its list of ops)");
    const noOps = file();
    delete noOps.maps[0].ops;
    expect(formatError(noOps)).toBe("the manifest of module 'm': maps[0] is not a map (an object with its list of ops)");
  });
});
