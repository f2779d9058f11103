/**
 * The manifest as a file (`<module>.json`, and the text the generated bindings embed), format
 * MANIFEST_FORMAT. A block-sparse op's block list used to appear in its op, its model node and
 * its backward ops (four copies, ~62 bytes per block at a million blocks); the file stores each
 * distinct list once, in a module-level `patterns` table of flat `[I0, J0, I1, J1, …]` arrays,
 * and each place that holds a list says `"blocks": { "pattern": k }`, or `{ "pattern": k,
 * "transposed": true }` for the list with every block (I, J) read as (J, I) (what a backward op
 * of a transposed pattern multiplies by).
 *
 * In memory (what `compile` returns, what every executor, the reference, export, projection and
 * the tuner read) a manifest holds the lists themselves: the compiler writes the file form
 * (manifest-encode.ts), and `decodeManifest` is the one way back. The runtime's decodeManifest
 * (runtime/decode-manifest.ts, which the generated bindings call once per module) is
 * `decodeManifestWith`, with `resolvePatternRefs` only where the block-sparse support is loaded
 * (`monc/runtime/sparse`): a page whose modules have no block-sparse map bundles neither the
 * references' resolution nor the encoder.
 */
import type { Manifest } from './types.js';
import { MoncError } from '../util/error.js';
import { isJsonObject } from '../util/json.js';
import { MONC_VERSION } from '../version.js';

/** The manifest format this monc writes and reads; a manifest without `format` is from a monc before it (lists in place). */
export const MANIFEST_FORMAT = 2;

/** A block list in memory: block z = (I, J), in the op's order. */
export type BlockList = readonly (readonly [number, number])[];

/** Where a file's `blocks` are: entry `pattern` of the module's `patterns`, with I and J swapped when `transposed`. */
export interface PatternRef {
  readonly pattern: number;
  readonly transposed?: true;
}

/**
 * A manifest as its file holds it: the in-memory manifest's fields, `format`, the `patterns`
 * table, and maps whose `blocks` are PatternRefs (read them through `decodeManifest`).
 */
export interface ManifestFile extends Omit<Manifest, 'maps'> {
  readonly format: typeof MANIFEST_FORMAT;
  readonly maps: readonly unknown[];
  /** Each distinct block list once, flat: block z is (list[2z], list[2z + 1]). */
  readonly patterns: readonly (readonly number[])[];
}

/**
 * The blocks of an op or model node, checked to be a list: a map taken from a manifest file's
 * JSON without `decodeManifest` holds a reference there, which an executor must not misread.
 */
export function listedBlocks(owner: { readonly blocks: BlockList }): BlockList {
  if (Array.isArray(owner.blocks)) return owner.blocks;
  throw formatError(
    `a block-sparse op's blocks are ${shortJson(owner.blocks)}, a reference into its manifest file's 'patterns': read the file with decodeManifest`,
  );
}

const decoded = new WeakMap<object, Manifest>();

/**
 * The maps of a manifest file with their `blocks` references resolved through its `patterns`
 * table (an array); `what` names the manifest in errors.
 */
export type PatternRefResolver = (maps: readonly unknown[], patterns: readonly unknown[], what: string) => readonly unknown[];

/**
 * The in-memory manifest of a manifest file's parsed JSON: every `blocks` reference replaced by
 * its list (one array per pattern and orientation, shared by every place that refers to it),
 * decoded once per file object. A manifest without `format` (a monc before format 2, or one
 * already decoded) holds its lists in place and is returned as it is. Throws a MoncError of kind
 * `format` for another format, or a `patterns` table or reference that is malformed.
 */
export function decodeManifest(value: unknown): Manifest {
  return decodeManifestWith(value, resolvePatternRefs);
}

/** decodeManifest with the references resolved by `resolveRefs` (the runtime's: resolvePatternRefs, or a refusal of a table with lists where it lacks them). */
export function decodeManifestWith(value: unknown, resolveRefs: PatternRefResolver): Manifest {
  if (!isJsonObject(value)) throw formatError('a monc manifest is a JSON object');
  const known = decoded.get(value);
  if (known) return known;
  const file = value as Partial<ManifestFile> & { readonly format?: unknown };
  if (file.format === undefined) return file as Manifest;
  const what = `the manifest of module '${String(file.module)}'`;
  if (file.format !== MANIFEST_FORMAT) {
    const writer = typeof file.monc === 'string' ? ` (written by monc ${file.monc})` : '';
    throw formatError(
      `${what}${writer} is in format ${shortJson(file.format)}, but this runtime (monc ${MONC_VERSION}) reads format ${MANIFEST_FORMAT}: rebuild the module with this version's \`monc build\``,
    );
  }
  if (!Array.isArray(file.maps)) throw formatError(`${what} has no list of maps`);
  if (!Array.isArray(file.patterns)) throw formatError(`${what} has no 'patterns' table`);
  // A truncated or hand-edited file: refused here, not as a TypeError or a misleading message when a runner reads it.
  file.maps.forEach((map: unknown, i) => {
    // (Only an object has a list `ops`: null, numbers, strings and arrays fail the one test.)
    if (!Array.isArray((map as { ops?: unknown } | null)?.ops)) throw formatError(`${what}: maps[${i}] is not a map (an object with its list of ops)`);
  });
  const { format: _format, patterns, maps, ...rest } = file as ManifestFile;
  const manifest = { ...rest, maps: resolveRefs(maps, patterns, what) } as Manifest;
  decoded.set(value, manifest);
  return manifest;
}

/**
 * Every `blocks` reference of `maps` replaced by its list of `patterns`, each list decoded once
 * per orientation. Not checked here (every page with block-sparse maps bundles this): a reference
 * to no list of the table is left in place, and an odd or out-of-range entry makes a pair that is
 * not a block; the runtime's decodeManifest then refuses either, naming the field
 * (check-manifest.ts), and the generated bindings decode what monc wrote.
 */
export const resolvePatternRefs: PatternRefResolver = (maps, patterns) => {
  const lists = new Map<string, BlockList>();
  const resolve = (blocks: unknown): unknown => {
    const { pattern, transposed } = (blocks ?? {}) as Partial<PatternRef>;
    const flat: unknown = typeof pattern === 'number' ? patterns[pattern] : undefined;
    // (`transposed` is true or absent: anything else is left for the check to refuse.)
    if (Array.isArray(blocks) || !Array.isArray(flat) || (transposed ?? true) !== true) return blocks;
    const key = `${pattern}${transposed}`;
    let list = lists.get(key);
    if (!list) lists.set(key, (list = unflatten(flat, !!transposed)));
    return list;
  };
  return maps.map((map) => replaceBlocks(map, resolve));
};

/** Pairs of a flat list, [row, column] (swapped when `transposed`); an odd list's last pair lacks its column. */
function unflatten(flat: readonly number[], transposed: boolean): BlockList {
  const blocks = new Array<readonly [number, number]>(Math.ceil(flat.length / 2));
  for (let z = 0; z < blocks.length; z++) blocks[z] = transposed ? [flat[2 * z + 1], flat[2 * z]] : [flat[2 * z], flat[2 * z + 1]];
  return blocks;
}

/**
 * `value` with every `blocks` field (at any depth: ops, model nodes, backward ops, a weight
 * gradient's `forward`) replaced by `replace(blocks)`; objects without one are kept, not copied.
 * The lists themselves are not descended into.
 */
export function replaceBlocks(value: unknown, replace: (blocks: unknown) => unknown): unknown {
  if (Array.isArray(value)) {
    let changed = false;
    const items = value.map((item) => {
      const next = replaceBlocks(item, replace);
      changed ||= next !== item;
      return next;
    });
    return changed ? items : value;
  }
  if (value === null || typeof value !== 'object') return value;
  let changed = false;
  const entries = Object.entries(value).map(([key, item]) => {
    const next = key === 'blocks' ? replace(item) : replaceBlocks(item, replace);
    changed ||= next !== item;
    return [key, next] as const;
  });
  return changed ? Object.fromEntries(entries) : value;
}

/** `value` as JSON, cut to 60 characters (for messages). */
export function shortJson(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function formatError(message: string): MoncError {
  return new MoncError('format', message);
}
