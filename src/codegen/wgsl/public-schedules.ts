/**
 * The schedule helpers as the `monc` entry exports them: `candidates`, `defaultSchedule` and
 * `workgroupCount` with their arguments checked (JavaScript callers: one MoncError of kind `user`
 * naming the function and what it got, not a TypeError). The compiler calls the unchecked ones
 * (families.ts; manifest/dispatch.ts, which every runtime page bundles: no check bytes there).
 */
import type { Op } from '../../ir/ir.js';
import { workgroupCount as countWorkgroups, type DispatchRule } from '../../manifest/dispatch.js';
import { argumentError, checkLimitsArgument, isRecord } from '../../util/library-arguments.js';
import { candidates as familyCandidates, defaultSchedule as familyDefault } from './families.js';
import type { Schedule, TargetLimits } from './kernel.js';

const OP_KINDS: ReadonlySet<string> = new Set<Op['kind']>(['ks', 'bsr', 'bias']);

function checkOp(fn: string, op: unknown): void {
  if (!(isRecord(op) && typeof op.kind === 'string' && OP_KINDS.has(op.kind))) throw argumentError(fn, "op must be an op of a compiled map (compileMap(...).ops[i])", op);
}

/** Every valid schedule of every kernel family of `op` within `limits`. */
export function candidates(op: Op, limits: TargetLimits): Schedule[] {
  checkOp('candidates', op);
  checkLimitsArgument('candidates', limits);
  return familyCandidates(op, limits);
}

/** The schedule an untuned build gives `op` within `limits`. */
export function defaultSchedule(op: Op, limits: TargetLimits): Schedule {
  checkOp('defaultSchedule', op);
  checkLimitsArgument('defaultSchedule', limits);
  return familyDefault(op, limits);
}

const RULE_KINDS: ReadonlySet<string> = new Set<DispatchRule['kind']>(['flat', 'tiled', 'split', 'fixed']);

/** The workgroups a kernel's dispatch rule gives at `batch` rows. */
export function workgroupCount(rule: DispatchRule, batch: number): number {
  if (!(isRecord(rule) && typeof rule.kind === 'string' && RULE_KINDS.has(rule.kind))) throw argumentError('workgroupCount', "rule must be a kernel's dispatch rule (manifest kernels[i].dispatch)", rule);
  if (!(Number.isSafeInteger(batch) && batch >= 0)) throw argumentError('workgroupCount', 'batch must be a whole number of rows', batch);
  return countWorkgroups(rule, batch);
}
