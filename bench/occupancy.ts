/**
 * What an NVIDIA H200 can hold of a Monarch factor's kernel, from the emitted kernel alone (no
 * GPU): invocations, subgroups, workgroup memory (the WGSL's `var<workgroup>` arrays), an
 * estimate of registers per invocation, and so how many workgroups stay resident per SM (the
 * least of: 2048 invocations, 32 workgroups, 228 KiB of shared memory with 1 KiB reserved per
 * workgroup, 64K registers as four 16K banks allocated per warp in units of 256), the waves of
 * the grid over 132 SMs, the barriers each workgroup passes and the work between two of them,
 * and the bytes each workgroup moves from L2 per FLOP. bench/results/s8/occupancy.md reads it.
 *
 * Registers are an estimate (the driver's count is not observable through Dawn): accumulators
 * (a 16x16 f32 result matrix is 8 registers per lane, a 16x16 f16 operand 4; an f32 register tile
 * one per element), the operands of one multiply step, the prefetch registers the WGSL declares
 * (`var pf…`), and OVERHEAD for indices and addresses.
 *
 *   node dist/bench/occupancy.js [--plan bench/plan-s8.json] [--json]
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { GOAL_FAMILIES, H200_LIMITS, monarchOfSize, planTarget } from './goal-families.js';
import { isAmong } from '../src/codegen/wgsl/family.js';
import type { EmittedKernel, Schedule } from '../src/codegen/wgsl/kernel.js';
import type { KsOp } from '../src/ir/ir.js';
import type { StorageType } from '../src/codegen/wgsl/scaffold.js';

/** Per-SM resources of the H200 (Hopper, compute capability 9.0) and its SM count. */
export const HOPPER = { sms: 132, threads: 2048, warps: 64, workgroups: 32, sharedBytes: 228 * 1024, reservedPerWorkgroup: 1024, registers: 65536, banks: 4 } as const;
/** Registers per invocation assumed for indices, addresses and loop counters. */
const OVERHEAD = 24;

const ELEMENT_BYTES: Readonly<Record<string, number>> = { f16: 2, f32: 4, 'vec4<f16>': 8, 'vec4<f32>': 16, u32: 4 };
/** Registers one prefetch variable of a WGSL type takes (f16 pairs share a register). */
const REGISTERS: Readonly<Record<string, number>> = { f16: 1, f32: 1, 'vec4<f16>': 2, 'vec4<f32>': 4 };

/** Bytes of the kernel's `var<workgroup>` arrays. */
export function workgroupBytes(wgsl: string): number {
  let bytes = 0;
  for (const m of wgsl.matchAll(/var<workgroup>\s+\w+\s*:\s*([^;]+);/g)) bytes += typeBytes(m[1].trim());
  return bytes;
}

/** Bytes of a WGSL element type or (nested) fixed-size array of one: ks-tiled's `pl` stages arrays of planes. */
function typeBytes(type: string): number {
  const array = /^array<(.+),\s*(\d+)>$/.exec(type);
  return array ? typeBytes(array[1].trim()) * Number(array[2]) : ELEMENT_BYTES[type];
}

/** Registers of the prefetch variables (`var pf…: T;`) the staging declares. */
function prefetchRegisters(wgsl: string): number {
  let regs = 0;
  // pf…, and pg… (ks-sgmat-strided's second set with pd 2).
  for (const m of wgsl.matchAll(/var p[fg]\w+\s*:\s*([\w<>]+);/g)) regs += REGISTERS[m[1]];
  return regs;
}

const num = (s: Schedule, k: string) => s[k] as number;

/** The kernel's structure as the occupancy and barrier counts need it. */
interface Shape {
  /** Registers of accumulators, resident operands and the operands of one multiply step. */
  readonly registers: number;
  /** Barriers a workgroup passes, and the multiply-adds per invocation between two of them (FMAs, or 16x16x16 MMAs per subgroup). */
  readonly barriers: number;
  readonly workPerBarrier: number;
  readonly workUnit: 'FMA/lane' | 'MMA/subgroup';
  /** Bytes a workgroup reads and writes in global memory, and its FLOPs. */
  readonly bytes: number;
  readonly flops: number;
}

function shapeOf(op: KsOp, s: Schedule, storage: StorageType, rowsPerWorkgroup: number): Shape {
  const e = storage === 'f16' ? 2 : 4;
  const { c } = op;
  switch (s.family) {
    case 'ks-sgmat-strided': {
      const [td, tb, sb, mr, chunks, tk] = ['dtile', 'cols', 'sb', 'mr', 'chunks', 'tk'].map((k) => num(s, k));
      const rg = typeof s.rg === 'number' ? s.rg : 1;
      const ds = typeof s.ds === 'number' ? s.ds : 1;
      const nb = sb / 16;
      const wres = s.wres === true;
      const looped = s.rg !== undefined && !wres;
      const nk = c / tk;
      // Epilogue rounds: et result tiles per subgroup each (absent: one).
      const rounds = (mr * nb) / (typeof s.et === 'number' ? s.et : 1);
      // db (two source buffers): one barrier per γ chunk, none after the last.
      const perChunk = (looped ? 2 * nk : s.db === true ? nk - 1 : 2 * nk - 1) + 2 * rounds - 1;
      const rc = rg * mr * 16;
      const wBytes = td * tb * c * e;
      return {
        // acc16: f16 result matrices; ds: δ per subgroup, each with its own results (and resident W).
        registers: ds * (mr * nb * (s.acc16 === true ? 4 : 8) + (wres ? (c / 16) * nb * 4 : nb * 4) + mr * 4),
        barriers: perChunk * chunks,
        workPerBarrier: (mr * nb * (c / 16)) / perChunk,
        workUnit: 'MMA/subgroup',
        bytes: chunks * rc * td * (c + tb) * e + (wres ? wBytes : chunks * wBytes),
        flops: 2 * rowsPerWorkgroup * tb * td * c,
      };
    }
    case 'ks-sgmat': {
      const [rows, cols, td, tk] = ['rows', 'cols', 'dtile', 'tk'].map((k) => num(s, k));
      const mr = rows / 16;
      const nb = cols / 16;
      return {
        registers: td * mr * nb * 8 + (mr + nb) * 4,
        barriers: (2 * c) / tk + 2 * mr * nb,
        workPerBarrier: (td * mr * nb * (c / 16)) / ((2 * c) / tk + 2 * mr * nb),
        workUnit: 'MMA/subgroup',
        bytes: td * (rows * c + cols * c + rows * cols) * e,
        flops: 2 * rows * cols * td * c,
      };
    }
    case 'ks-tiled':
    case 'ks-dtiled':
    case 'ks-dvec': {
      const [rows, cols, td, tk, rr, rb] = ['rows', 'cols', 'dtile', 'tk', 'rr', 'rb'].map((k) => num(s, k));
      return {
        registers: rr * rb + rr + rb,
        barriers: (2 * c) / tk,
        workPerBarrier: (rr * rb * tk) / 2,
        workUnit: 'FMA/lane',
        bytes: td * (rows * c + cols * c + rows * cols) * e,
        flops: 2 * rows * cols * td * c,
      };
    }
    default:
      throw new Error(`occupancy: no model of ${s.family}`);
  }
}

export interface Occupancy {
  readonly schedule: Schedule;
  readonly threads: number;
  readonly subgroups: number;
  readonly sharedBytes: number;
  readonly registers: number;
  /** Resident workgroups per SM, and which resource bounds it. */
  readonly resident: number;
  readonly boundBy: string;
  /** Warps resident per SM over 64. */
  readonly occupancy: number;
  readonly workgroups: number;
  readonly waves: number;
  readonly barriers: number;
  readonly workPerBarrier: number;
  readonly workUnit: string;
  /** Bytes from L2 per FLOP, and the total L2 traffic over the bytes the factor must move (its input once, its output once). */
  readonly bytesPerFlop: number;
  readonly trafficRatio: number;
}

export function occupancyOf(op: KsOp, k: EmittedKernel, storage: StorageType, batch: number): Occupancy {
  const threads = k.workgroupSize[0];
  const warps = Math.ceil(threads / 32);
  invariantTiled(k);
  const shape = shapeOf(op, k.schedule, storage, k.dispatch.rowsPerWorkgroup);
  // A workgroup must fit the register file: the compiler caps a lane at 65536 / invocations
  // (128 at 512) and spills the rest to local memory (L1), which the estimate then flags.
  const cap = Math.min(255, Math.floor(HOPPER.registers / threads / 8) * 8);
  const wanted = Math.ceil((shape.registers + prefetchRegisters(k.wgsl) + OVERHEAD) / 8) * 8;
  const registers = Math.min(wanted, cap);
  const sharedBytes = workgroupBytes(k.wgsl);
  const warpsPerBank = Math.floor(HOPPER.registers / HOPPER.banks / (registers * 32));
  const limits: [string, number][] = [
    ['invocations', Math.floor(HOPPER.threads / threads)],
    ['workgroups', HOPPER.workgroups],
    ['shared memory', Math.floor(HOPPER.sharedBytes / (sharedBytes + HOPPER.reservedPerWorkgroup))],
    [wanted > cap ? `registers, ${wanted} wanted: spills` : 'registers', Math.max(1, Math.floor((warpsPerBank * HOPPER.banks) / warps))],
  ];
  const [boundBy, resident] = limits.reduce((best, l) => (l[1] < best[1] ? l : best));
  const workgroups = Math.ceil(batch / k.dispatch.rowsPerWorkgroup) * k.dispatch.workgroupsPerRowTile;
  const e = storage === 'f16' ? 2 : 4;
  const compulsory = batch * (op.a * op.c * op.d + op.a * op.b * op.d) * e + op.a * op.b * op.c * op.d * e;
  return {
    schedule: k.schedule,
    threads,
    subgroups: warps,
    sharedBytes,
    registers,
    resident,
    boundBy,
    occupancy: (resident * warps) / HOPPER.warps,
    workgroups,
    waves: workgroups / (HOPPER.sms * resident),
    barriers: shape.barriers,
    workPerBarrier: shape.workPerBarrier,
    workUnit: shape.workUnit,
    bytesPerFlop: shape.bytes / shape.flops,
    trafficRatio: (workgroups * shape.bytes) / compulsory,
  };
}

function invariantTiled(k: EmittedKernel): asserts k is EmittedKernel & { dispatch: { kind: 'tiled'; rowsPerWorkgroup: number; workgroupsPerRowTile: number } } {
  if (k.dispatch.kind !== 'tiled') throw new Error(`occupancy: ${k.schedule.family} is not a tiled kernel`);
}

/** The critical-path cases of issue 11 and their batches. */
export const CASES: readonly { readonly size: string; readonly batch: number }[] = [
  { size: '4096', batch: 16384 },
  { size: '1024x4096x4', batch: 16384 },
  { size: '4096x1024x4', batch: 16384 },
  { size: '16384', batch: 4096 },
];

/** The family each factor runs on by default (untuned tensor-core set in f16; the measured f32 winners). */
const DEFAULT_FAMILY: Readonly<Record<StorageType, readonly [string, string]>> = { f16: ['ks-sgmat', 'ks-sgmat-strided'], f32: ['ks-tiled', 'ks-dtiled'] };

/** One row per default schedule of each case's two factors, then per plan entry of those keys. */
export function occupancyRows(plan: Readonly<Record<string, readonly Schedule[]>> = {}): (Occupancy & { readonly key: string; readonly planned: boolean })[] {
  const rows: (Occupancy & { readonly key: string; readonly planned: boolean })[] = [];
  for (const { size, batch } of CASES)
    for (const storage of ['f16', 'f32'] as const)
      for (const i of [0, 1]) {
        const key = `${size}/${storage}/op${i}`;
        const target = planTarget(key);
        if (typeof target === 'string') throw new Error(target);
        const op = monarchOfSize(size).ops[i];
        const def = GOAL_FAMILIES[DEFAULT_FAMILY[storage][i]].forOp(op).defaultSchedule(H200_LIMITS);
        const all = target.candidates(H200_LIMITS);
        for (const [s, planned] of [[def, false] as const, ...(plan[key] ?? []).map((p) => [p, true] as const)]) {
          if (!isAmong(s, all)) throw new Error(`${key}: not a candidate of this build (bench/plan-check.js lists them): ${JSON.stringify(s)}`);
          rows.push({ key, planned, ...occupancyOf(op, target.emit(s), storage, batch) });
        }
      }
  return rows;
}

const pct = (v: number) => `${Math.round(v * 100)}%`;

/** The rows as a markdown table. */
export function occupancyTable(rows: ReturnType<typeof occupancyRows>): string {
  const head = '| key | schedule | inv. | sg | wg mem | regs (est.) | wg/SM (bound) | warps | waves | barriers/wg | work/barrier | B/FLOP | L2 traffic |';
  const lines = rows.map((r) => {
    const { family, ...knobs } = r.schedule;
    const sched = `${r.planned ? 'plan ' : 'default '}${family} ${Object.entries(knobs).map(([k, v]) => `${k}=${v}`).join(' ')}`;
    return `| ${r.key} | ${sched} | ${r.threads} | ${r.subgroups} | ${(r.sharedBytes / 1024).toFixed(1)} KiB | ${r.registers} | ${r.resident} (${r.boundBy}) | ${pct(r.occupancy)} | ${r.waves.toFixed(2)} | ${r.barriers} | ${r.workPerBarrier.toFixed(1)} ${r.workUnit} | ${r.bytesPerFlop.toFixed(4)} | ${r.trafficRatio.toFixed(2)}x |`;
  });
  return [head, `|${'---|'.repeat(13)}`, ...lines].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  const planFile = argv.includes('--plan') ? argv[argv.indexOf('--plan') + 1] : undefined;
  const plan = planFile ? (JSON.parse(readFileSync(planFile, 'utf8')) as Record<string, Schedule[]>) : {};
  const rows = occupancyRows(plan);
  process.stdout.write(argv.includes('--json') ? JSON.stringify(rows, null, 1) + '\n' : occupancyTable(rows) + '\n');
}
