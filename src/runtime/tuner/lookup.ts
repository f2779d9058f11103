/**
 * Tuned schedules for a build: the per-op lookup the compiler takes (`TuningLookup`, op and
 * dtype -> schedule) from a tuning database. Entries of other compiler versions are ignored;
 * with an adapter given, so are other adapters' entries (a build without a GPU takes the most
 * recent entry of any adapter). Without a batch size the largest tuned bucket wins.
 */
import type { Op } from '../../ir/ir.js';
import type { Schedule } from '../../codegen/wgsl/kernel.js';
import { MONC_VERSION } from '../../version.js';
import { adapterKey, type AdapterIdentity } from './adapter-identity.js';
import { batchBucket, kernelSignature, type TuningDb } from './db.js';

export interface LookupOptions {
  readonly adapter?: AdapterIdentity;
  readonly batch?: number;
  readonly compiler?: string;
}

export function scheduleLookup(db: TuningDb, options: LookupOptions = {}): (op: Op, dtype: string) => Schedule | undefined {
  const compiler = options.compiler ?? MONC_VERSION;
  const adapter = options.adapter && adapterKey(options.adapter);
  const bucket = options.batch === undefined ? undefined : batchBucket(options.batch);
  const usable = db.entries.filter((e) => e.compiler === compiler && (adapter === undefined || adapterKey(e.adapter) === adapter) && (bucket === undefined || e.batchBucket === bucket));
  return (op, dtype) => {
    const sig = kernelSignature([op], dtype);
    const matching = usable.filter((e) => e.kernel === sig);
    if (matching.length === 0) return undefined;
    return matching.reduce((best, e) => (e.batchBucket > best.batchBucket || (e.batchBucket === best.batchBucket && e.date > best.date) ? e : best)).schedule;
  };
}
