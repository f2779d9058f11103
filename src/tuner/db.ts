/**
 * The tuning database: the best measured schedule per (adapter, compiler version, kernel
 * structure, batch-size bucket). Plain JSON with a schema checked on load; this module is
 * browser-safe (parsing, validation, lookup, merge); src/node/tuning-db.ts stores it on disk (Node).
 */
import type { BackwardOp } from '../ir/ir.js';
import type { Schedule } from '../codegen/wgsl/kernel.js';
import { adapterKey, type AdapterIdentity } from './adapter-identity.js';
import { argumentError } from '../util/library-arguments.js';
import { MoncError } from '../util/error.js';
import { assertNever, invariant } from '../util/assert.js';
import { oneLine } from '../util/json.js';
import { sha256Hex } from '../util/sha256.js';
import { MONC_VERSION } from '../version.js';

export const DB_FORMAT = 'monc-tuning';
export const DB_VERSION = 1;

export interface TuningEntry {
  readonly adapter: AdapterIdentity;
  readonly compiler: string;
  /** Structural signature of the kernel's ops (kernelSignature). */
  readonly kernel: string;
  readonly batchBucket: number;
  readonly schedule: Schedule;
  readonly ms: number;
  /** Relative spread of the timing samples ((p90 − p10) / median). */
  readonly spread: number;
  /** How many candidates passed the check and were timed. */
  readonly timed: number;
  readonly date: string;
}

export interface TuningDb {
  readonly format: typeof DB_FORMAT;
  readonly version: typeof DB_VERSION;
  readonly entries: readonly TuningEntry[];
}

export function emptyDb(): TuningDb {
  return { format: DB_FORMAT, version: DB_VERSION, entries: [] };
}

/** Batch sizes share tuning results within a power-of-two bucket (the next power of two ≥ batch). */
export function batchBucket(batch: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, batch)));
}

type BlockList = readonly (readonly [number, number])[];

/**
 * How a kernel signature names a sparse op's block list: its length and the SHA-256 of its blocks
 * as little-endian uint32 pairs (I, J) in list order (the order sets which stored block each one
 * is). A 2^20-block list is about 100 bytes of key instead of 12 MB of JSON, and only a SHA-256
 * collision could give two different lists one key.
 */
export interface BlockListKey {
  readonly n: number;
  readonly sha256: string;
}

// A build or a tune asks for one op's signature many times: hash each list once.
const blockListKeys = new WeakMap<BlockList, BlockListKey>();

export function blockListKey(blocks: BlockList): BlockListKey {
  const known = blockListKeys.get(blocks);
  if (known) return known;
  const bytes = new Uint8Array(8 * blocks.length);
  const view = new DataView(bytes.buffer);
  blocks.forEach(([i, j], z) => {
    if (!isBlockIndex(i) || !isBlockIndex(j)) invariant(false, `block ${z} (${i}, ${j}) is not a pair of block indices`);
    view.setUint32(8 * z, i, true);
    view.setUint32(8 * z + 4, j, true);
  });
  const key = { n: blocks.length, sha256: sha256Hex(bytes) };
  blockListKeys.set(blocks, key);
  return key;
}

const isBlockIndex = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) < 2 ** 32;

/**
 * What makes two kernels the same for tuning: op kinds, shapes, index maps, accumulation, bias,
 * storage type and parameter alignment (vec4 loads depend on it); not tensor names. Backward
 * programs' ops (transposed matmuls, batch reductions) are keyed the same way. A sparse op's
 * block list is keyed by its blockListKey, so one pattern in two modules shares the entry.
 */
export function kernelSignature(ops: readonly BackwardOp[], storage: string): string {
  const parts = ops.map((op) => {
    switch (op.kind) {
      case 'ks':
        return { k: 'ks', a: op.a, b: op.b, c: op.c, d: op.d, in: op.input.steps, out: op.output.steps, acc: op.accumulate, bias: !!op.bias, al: op.weight.offset % 4 === 0, ...(op.transposed ? { t: true } : {}) };
      case 'bsr':
        return { k: 'bsr', rows: op.rows, cols: op.cols, bh: op.bh, bw: op.bw, blocks: blockListKey(op.blocks), in: op.input.steps, out: op.output.steps, acc: op.accumulate, bias: !!op.bias, ...(op.transposed ? { t: true } : {}) };
      case 'bias':
        return { k: 'bias', size: op.size, out: op.output.steps, acc: op.accumulate };
      case 'wgrad': {
        const { weight: _weight, ...shape } = op.forward;
        // A key that is already there keeps its place: the same text as keyOfBlockLists gives an earlier version's key.
        const blocks = shape.kind === 'bsr' ? { blocks: blockListKey(shape.blocks) } : {};
        return { k: 'wgrad', f: { ...shape, ...blocks, input: shape.input.steps, output: shape.output.steps }, rps: op.rowsPerSplit };
      }
      case 'bgrad':
        return { k: 'bgrad', size: op.size, out: op.output.steps, rps: op.rowsPerSplit };
      case 'reduce':
        return { k: 'reduce', size: op.grad.length, acc: op.accumulate, rps: op.rowsPerSplit };
      default:
        return assertNever(op, 'backward op');
    }
  });
  return JSON.stringify({ storage, ops: parts });
}

function entryKey(e: TuningKey): string {
  return JSON.stringify([adapterKey(e.adapter), e.compiler, e.kernel, e.batchBucket]);
}

export function lookup(db: TuningDb, adapter: AdapterIdentity, compiler: string, kernel: string, batch: number): TuningEntry | undefined {
  const key = entryKey({ adapter, compiler, kernel, batchBucket: batchBucket(batch) });
  return db.entries.find((e) => entryKey(e) === key);
}

/** What identifies an entry: the kernel on an adapter, compiler version and batch bucket. */
export type TuningKey = Pick<TuningEntry, 'adapter' | 'compiler' | 'kernel' | 'batchBucket'>;

/**
 * `db` with `entries` added (an entry replaces an older one with the same key) and the entries
 * at `retired` keys removed unless `entries` has them: fused runs a new tune timed but did not
 * keep, whose older entries the build's longest-run-first lookup would otherwise still take.
 */
export function merge(db: TuningDb, entries: readonly TuningEntry[], retired: readonly TuningKey[] = []): TuningDb {
  // `mergeTuningEntries` in the library: what JavaScript may pass is checked, by that name.
  checkDbArgument('mergeTuningEntries', db);
  checkEntriesArgument('mergeTuningEntries', 'entries', entries);
  if (!Array.isArray(retired)) throw argumentError('mergeTuningEntries', 'retired must be an array of tuning keys (tuneMaps().retired)', retired);
  retired.forEach((r, i) => {
    if (!isObj(r) || !isAdapterIdentity(r.adapter) || !isStr(r.compiler) || !isStr(r.kernel) || !isNum(r.batchBucket)) throw argumentError('mergeTuningEntries', `retired[${i}] must be a tuning key { adapter, compiler, kernel, batchBucket }`, r);
  });
  const byKey = new Map(db.entries.map((e) => [entryKey(e), e]));
  for (const r of retired) byKey.delete(entryKey(r));
  for (const e of entries) byKey.set(entryKey(e), e);
  return { format: DB_FORMAT, version: DB_VERSION, entries: [...byKey.values()].sort((a, b) => (entryKey(a) < entryKey(b) ? -1 : 1)) };
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Whether `a` has the fields of an AdapterIdentity (what entries are keyed by; adapterIdentity() makes one). */
export function isAdapterIdentity(a: unknown): a is AdapterIdentity {
  return (
    isObj(a) && isStr(a.vendor) && isStr(a.architecture) && isStr(a.device) && isStr(a.description) && Array.isArray(a.features) && a.features.every(isStr) &&
    isObj(a.limits) && isNum(a.limits.maxComputeInvocationsPerWorkgroup) && isNum(a.limits.maxComputeWorkgroupStorageSize)
  );
}

/** A database passed from code (JavaScript callers): a MoncError (kind user) naming `fn` unless it is one. */
export function checkDbArgument(fn: string, db: unknown): asserts db is TuningDb {
  if (!isObj(db) || db.format !== DB_FORMAT || db.version !== DB_VERSION) throw argumentError(fn, 'db must be a tuning database (emptyDb(), parseTuningDb(text).db)', db);
  checkEntriesArgument(fn, 'db.entries', db.entries);
}

/** Entries passed from code: an array of well-formed entries (as a database file must hold). */
function checkEntriesArgument(fn: string, what: string, entries: unknown): void {
  if (!Array.isArray(entries)) throw argumentError(fn, `${what} must be an array of tuning entries`, entries);
  entries.forEach((e, i) => {
    const problem = entryProblem(e, i);
    if (problem) throw new MoncError('user', `${fn}: ${what === 'entries' ? problem : `${what}: ${problem}`}`);
  });
}

function entryProblem(e: unknown, i: number): string | undefined {
  if (!isObj(e)) return `entries[${i}] is not an object`;
  if (!isAdapterIdentity(e.adapter)) return `entries[${i}].adapter is malformed`;
  if (!isStr(e.compiler) || !isStr(e.kernel) || !isStr(e.date)) return `entries[${i}]: compiler, kernel and date must be strings`;
  if (!isNum(e.batchBucket) || !isNum(e.ms) || !isNum(e.spread) || !isNum(e.timed)) return `entries[${i}]: batchBucket, ms, spread and timed must be numbers`;
  const s = e.schedule;
  if (!isObj(s) || !isStr(s.family) || !Object.values(s).every((v) => isStr(v) || isNum(v) || typeof v === 'boolean')) return `entries[${i}].schedule is malformed`;
  return undefined;
}

/** Entries of other compiler versions a parse left out: how many, and which versions. */
export interface DroppedEntries {
  readonly count: number;
  readonly compilers: readonly string[];
}

/**
 * Parses and validates database text: the database of `compiler`'s entries, or the reason the text
 * is not a database. The file is shared by every installed monc, so another version's entries are
 * left out unvalidated (counted in `dropped`): a newer monc's entry of a shape this one does not
 * know (a list-valued knob) costs nothing, where it made the whole file unusable.
 */
export function parseDb(text: string, compiler: string = MONC_VERSION): { readonly db: TuningDb; readonly dropped?: DroppedEntries } | { readonly error: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { error: `not JSON (${oneLine(e)})` };
  }
  if (!isObj(json) || json.format !== DB_FORMAT) return { error: `not a monc tuning database (format must be '${DB_FORMAT}')` };
  if (json.version !== DB_VERSION) return { error: `unsupported tuning database version ${String(json.version)} (expected ${DB_VERSION})` };
  if (!Array.isArray(json.entries)) return { error: 'entries must be an array' };
  const own: TuningEntry[] = [];
  const others: string[] = [];
  for (const [i, e] of json.entries.entries()) {
    if (isObj(e) && isStr(e.compiler) && e.compiler !== compiler) {
      others.push(e.compiler);
      continue;
    }
    const p = entryProblem(e, i);
    if (p) return { error: p };
    own.push(e as unknown as TuningEntry);
  }
  const entries = own.map((e) => {
    const kernel = keyOfBlockLists(e.kernel);
    return kernel === e.kernel ? e : { ...e, kernel };
  });
  const db = { ...(json as unknown as TuningDb), entries };
  return others.length === 0 ? { db } : { db, dropped: { count: others.length, compilers: [...new Set(others)].sort() } };
}

/**
 * An entry's kernel as this version keys it. Earlier monc builds wrote a sparse op's whole
 * block list into the kernel (12 MB of JSON for 2^20 blocks); such a list is replaced by
 * its blockListKey, so the entry still applies and the next save writes it small. Any other text
 * is kept as it is (a kernel no op has never matches: it is ignored, never an error).
 */
function keyOfBlockLists(kernel: string): string {
  if (!kernel.includes('"blocks":[')) return kernel;
  let signature: unknown;
  try {
    signature = JSON.parse(kernel);
  } catch {
    return kernel;
  }
  if (!isObj(signature) || !Array.isArray(signature.ops)) return kernel;
  for (const op of signature.ops) {
    // A bsr op's list is its own; a wgrad op's, its forward op's (f).
    const shape = isObj(op) && isObj(op.f) ? op.f : op;
    if (isObj(shape) && isBlockList(shape.blocks)) shape.blocks = blockListKey(shape.blocks);
  }
  return JSON.stringify(signature);
}

const isBlockList = (v: unknown): v is BlockList => Array.isArray(v) && v.every((b) => Array.isArray(b) && b.length === 2 && isBlockIndex(b[0]) && isBlockIndex(b[1]));

export function serializeDb(db: TuningDb): string {
  checkDbArgument('serializeTuningDb', db);
  return JSON.stringify(db, null, 1) + '\n';
}

const utf8Bytes = (text: string): number => new TextEncoder().encode(text).length;

/**
 * `db` within `maxBytes` of serializeDb text, so that a database monc writes is one it can read
 * back (its reader refuses larger files): `db` itself when it fits, else without as few of its
 * oldest entries (by date, the newest kept) as it takes. `evicted`: how many were left out.
 */
export function fitDb(db: TuningDb, maxBytes: number): { readonly db: TuningDb; readonly evicted: number } {
  let total = utf8Bytes(serializeDb(db));
  if (total <= maxBytes) return { db, evicted: 0 };
  // An entry's share of the text: its own lines, each indented two more, and the ",\n" after it.
  const share = (e: TuningEntry) => {
    const text = JSON.stringify(e, null, 1);
    return utf8Bytes(text) + 2 * text.split('\n').length + 2;
  };
  const oldestFirst = db.entries.map((e, i) => ({ date: e.date, i })).sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.i - b.i));
  const left = new Set<number>();
  let fitted = db;
  // The shares make the first cut exact but for the array's own brackets; the loop settles any rest.
  while (total > maxBytes && left.size < db.entries.length) {
    for (const { i } of oldestFirst) {
      if (total <= maxBytes) break;
      if (left.has(i)) continue;
      left.add(i);
      total -= share(db.entries[i]);
    }
    fitted = { ...db, entries: db.entries.filter((_, i) => !left.has(i)) };
    total = utf8Bytes(serializeDb(fitted));
  }
  return { db: fitted, evicted: left.size };
}
