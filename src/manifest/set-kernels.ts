/**
 * A map's kernel sets (and an older monc's `fallback`) against the WGSL the manifest carries for
 * them (check-manifest.ts; docs/manifest.md). monc writes each kernel as
 * `@compute @workgroup_size(x[, y, z])` right before `fn <entryPoint>(`, and a set whose WGSL
 * extends the module's lists, beside the kernels its own text declares, kernels of the module's
 * under their own names with the module kernel's plan (kernel-sets.ts shares the same kernel). So,
 * cheaply (one search of the set's text per kernel) and with certainty:
 * - a kernel the set's text declares has the workgroup size written there: the size its dispatch's
 *   items per workgroup were checked against (an edit of both left items undone);
 * - a kernel it does not declare is the module's kernel of that name, with that kernel's ops,
 *   buffers, workgroup size, dispatch, schedule and pattern: a set naming the module's `up_op0` in
 *   place of its own `up_op0_tc` would run the module's code with the set's dispatch; a set that
 *   is a module of its own (`extendsModule: false`) declares all its kernels.
 * - a tiled kernel the set's text declares has the rows per workgroup and workgroups per row tile
 *   its WGSL numbers its workgroups by, where it does so in the forms monc writes (tiledProblem).
 * The module's WGSL is a file beside the manifest, which decodeManifest does not read: the
 * module's own kernels' workgroup sizes and tiled rules stay unchecked.
 */
import { shortJson } from './manifest-file.js';
import type { ManifestKernelPlan, ManifestMap } from './types.js';

type Plan = ManifestKernelPlan & { readonly aux?: string };

/** The plan fields a set's kernel shares with the module's kernel it names. */
const PLAN_FIELDS = ['ops', 'src', 'dst', 'aux', 'workgroupSize', 'dispatch', 'schedule', 'pattern'] as const;

interface CarriedWgsl {
  readonly extendsModule: boolean;
  readonly text: string;
}

/** The first kernel of a set that carries its WGSL that is not what that WGSL (or the module's kernel of its name) holds, as a path suffix and message. */
export function setKernelsProblem(map: ManifestMap): string | undefined {
  const carried = [
    ...(map.kernelSets ?? []).map((set, i) => ({ at: `.kernelSets[${i}]`, wgsl: set.wgsl, kernels: set.kernels, backwardKernels: set.backwardKernels })),
    ...(map.fallback ? [{ ...map.fallback, at: '.fallback', wgsl: { extendsModule: false, text: map.fallback.wgsl } }] : []),
  ];
  for (const { at, wgsl, kernels, backwardKernels } of carried) {
    if (!wgsl) continue;
    const lists = [
      ['kernels', kernels, map.kernels],
      ['backwardKernels', backwardKernels, map.backward?.kernels],
    ] as const;
    for (const [name, plans, module] of lists) {
      for (const [k, plan] of (plans ?? []).entries()) {
        const problem = kernelProblem(plan, wgsl, module ?? []);
        if (problem) return `${at}.${name}[${k}]${problem}`;
      }
    }
  }
  return undefined;
}

function kernelProblem(plan: Plan, wgsl: CarriedWgsl, module: readonly Plan[]): string | undefined {
  const ep = plan.entryPoint;
  const declared = declaredWorkgroupSize(wgsl.text, ep);
  if (declared === 'absent') {
    const shared = wgsl.extendsModule ? module.find((m) => m.entryPoint === ep) : undefined;
    if (!shared) return `.entryPoint: '${ep}' is not a kernel of its set's WGSL${wgsl.extendsModule ? ", nor of the module's" : ''}`;
    const field = PLAN_FIELDS.find((f) => !sameValue(plan[f], shared[f]));
    return field && `.${field}: ${shortJson(plan[field])} is not the ${shortJson(shared[field])} of the module's kernel '${ep}', whose code it names`;
  }
  if (declared === undefined || !sameValue(declared, plan.workgroupSize)) {
    return `.workgroupSize: ${shortJson(plan.workgroupSize)} is not the @workgroup_size its set's WGSL declares '${ep}' with (${declared ? shortJson(declared) : 'none readable'})`;
  }
  return tiledProblem(plan, wgsl.text);
}

/**
 * A tiled rule against how the kernel's WGSL numbers its workgroups, where it does so in one of
 * the forms monc writes at the top of a tiled kernel: `let row_tile = group / P;` with
 * `let row0 = row_tile * R;` (R rows per workgroup, P workgroups per row tile), or
 * `let row0 = group * R;` (one workgroup per row tile). A rule that asks for more rows per
 * workgroup or fewer workgroups per row tile leaves rows or outputs undone (QA2 s14 R34: a
 * butterfly's rowsPerWorkgroup 64 -> 128 ran with errors of 1.4); fewer or more is refused too, as
 * not the kernel's numbering. Kernels written in another form are not checked.
 */
export function tiledProblem(plan: Pick<Plan, 'entryPoint' | 'dispatch'>, text: string): string | undefined {
  if (plan.dispatch.kind !== 'tiled') return undefined;
  const grid = tileGrid(text, plan.entryPoint);
  if (!grid) return undefined;
  const { rowsPerWorkgroup, workgroupsPerRowTile } = plan.dispatch;
  if (rowsPerWorkgroup !== grid.rows) return `.dispatch.rowsPerWorkgroup: ${rowsPerWorkgroup} is not the ${grid.rows} rows per workgroup its WGSL gives each workgroup of '${plan.entryPoint}' (row0 = row tile × ${grid.rows})`;
  if (workgroupsPerRowTile !== grid.perRowTile) return `.dispatch.workgroupsPerRowTile: ${workgroupsPerRowTile} is not the ${grid.perRowTile} workgroups per row tile its WGSL numbers '${plan.entryPoint}' by (row tile = workgroup / ${grid.perRowTile})`;
  return undefined;
}

/** How many characters of a kernel's body its workgroup numbering lies within (it comes first, after the bounds check). */
const PROLOGUE = 1000;

/** Rows per workgroup and workgroups per row tile as the kernel's WGSL numbers them, if it does so in a form tiledProblem knows. */
function tileGrid(text: string, entryPoint: string): { rows: number; perRowTile: number } | undefined {
  const at = text.indexOf(`fn ${entryPoint}(`);
  const end = text.indexOf('\nfn ', at + 1);
  const prologue = text.slice(at, Math.min(end < 0 ? text.length : end, at + PROLOGUE));
  const factor = (m: RegExpExecArray | null, i: number) => (m?.[i] === undefined ? 1 : Number(m[i]));
  const rowTile = /\n\s*let row_tile = group(?: \/ (\d+)u)?;/.exec(prologue);
  const row0 = /\n\s*let row0 = (row_tile|group)(?: \* (\d+)u)?;/.exec(prologue);
  if (!row0 || (row0[1] === 'row_tile') !== (rowTile !== null)) return undefined;
  return { rows: factor(row0, 2), perRowTile: rowTile ? factor(rowTile, 1) : 1 };
}

/**
 * The workgroup size written right before `fn <entryPoint>(` in `text`, as [x, y, z]; undefined
 * where none is written there as integers; 'absent' where the text declares no such function.
 */
function declaredWorkgroupSize(text: string, entryPoint: string): readonly number[] | undefined | 'absent' {
  const at = text.indexOf(`fn ${entryPoint}(`);
  if (at < 0) return 'absent';
  // The attribute and the whitespace between it and the function: a few dozen characters.
  const attribute = /@workgroup_size\(([^)]*)\)\s*$/.exec(text.slice(Math.max(0, at - 80), at));
  const sizes = attribute?.[1].split(',').map((s) => s.trim().replace(/[iu]$/, '')) ?? [];
  if (sizes.length === 0 || sizes.length > 3 || !sizes.every((s) => /^\d+$/.test(s))) return undefined;
  return [...sizes.map(Number), 1, 1].slice(0, 3);
}

/** Whether two JSON values are equal, objects' keys in any order. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object' || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
