/**
 * Tuned schedules for a build: the lookup the compiler takes (`TuningLookup`: the ops of a kernel
 * and the dtype -> schedule) from a tuning database. Entries of other compiler versions are
 * ignored; with an adapter given, so are other adapters' entries. A build without a GPU cannot
 * know its adapter: it takes the entries of one adapter, the one tuned most recently (never a
 * mix of adapters, whose schedules and limits differ). Without a batch size the largest tuned
 * bucket wins.
 *
 * A fused kernel (ops.length > 1) is only answered when it beat the separate kernels: if the
 * database also holds tuned entries for each of its ops (same adapter and bucket) and their times
 * add up to no more than the fused time, the answer is none, and the build keeps them apart.
 */
import type { BackwardOp } from '../ir/ir.js';
import type { TunedSchedule } from '../codegen/wgsl/program.js';
import { MONC_VERSION } from '../version.js';
import { adapterKey, adapterTargetLimits, type AdapterIdentity } from './adapter-identity.js';
import { batchBucket, checkDbArgument, isAdapterIdentity, kernelSignature, type TuningDb, type TuningEntry } from './db.js';
import { argumentError, checkOptionFields } from '../util/library-arguments.js';

export interface LookupOptions {
  readonly adapter?: AdapterIdentity | undefined;
  readonly batch?: number | undefined;
  readonly compiler?: string | undefined;
}

export function scheduleLookup(db: TuningDb, options: LookupOptions = {}): (ops: readonly BackwardOp[], dtype: string) => TunedSchedule | undefined {
  checkDbArgument('scheduleLookup', db);
  checkOptionFields('scheduleLookup', options, { compiler: 'string' });
  if (options.adapter !== undefined && !isAdapterIdentity(options.adapter)) throw argumentError('scheduleLookup', 'adapter must be an adapter identity (adapterIdentity(adapter, device), tuneMaps().adapter)', options.adapter);
  if (options.batch !== undefined && !(Number.isSafeInteger(options.batch) && options.batch >= 1)) throw argumentError('scheduleLookup', 'batch must be a whole number of at least 1', options.batch);
  const compiler = options.compiler ?? MONC_VERSION;
  const bucket = options.batch === undefined ? undefined : batchBucket(options.batch);
  const current = db.entries.filter((e) => e.compiler === compiler);
  const adapter = options.adapter ? adapterKey(options.adapter) : latestAdapter(current);
  const usable = current.filter((e) => adapterKey(e.adapter) === adapter && (bucket === undefined || e.batchBucket === bucket));
  const best = (entries: readonly TuningEntry[]) =>
    entries.length === 0 ? undefined : entries.reduce((b, e) => (e.batchBucket > b.batchBucket || (e.batchBucket === b.batchBucket && e.date > b.date) ? e : b));
  return (ops, dtype) => {
    const kernel = kernelSignature(ops, dtype);
    const entry = best(usable.filter((e) => e.kernel === kernel));
    if (!entry) return undefined;
    if (ops.length > 1) {
      const sameRun = usable.filter((e) => e.batchBucket === entry.batchBucket && adapterKey(e.adapter) === adapterKey(entry.adapter));
      const parts = ops.map((op) => {
        const part = kernelSignature([op], dtype);
        return best(sameRun.filter((e) => e.kernel === part));
      });
      if (parts.every((p) => p !== undefined) && parts.reduce((sum, p) => sum + p.ms, 0) <= entry.ms) return undefined;
    }
    return { schedule: entry.schedule, limits: adapterTargetLimits(entry.adapter) };
  };
}

/** The adapter a build without a GPU takes the entries of: that of the most recent entry of this monc version (undefined: none). */
export function buildAdapter(db: TuningDb, compiler: string = MONC_VERSION): AdapterIdentity | undefined {
  const key = latestAdapter(db.entries.filter((e) => e.compiler === compiler));
  return db.entries.find((e) => e.compiler === compiler && adapterKey(e.adapter) === key)?.adapter;
}

/** The adapter of the most recent entry (ISO dates compare as strings), or undefined for none. */
export function latestAdapter(entries: readonly TuningEntry[]): string | undefined {
  let latest: TuningEntry | undefined;
  for (const e of entries) if (latest === undefined || e.date > latest.date) latest = e;
  return latest && adapterKey(latest.adapter);
}
