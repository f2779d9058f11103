/** `monc check FILE.mon [--ir]` */
import type { Diagnostic } from '../../dsl/diagnostics.js';
import { denseCost, formatDiagnostics, structureCost } from '../../dsl/index.js';
import { IrCompileError } from '../../ir/errors.js';
import { compileBackward, compileMap } from '../../ir/pipeline.js';
import { printBackwardProgram } from '../../ir/printer.js';
import type { CommandContext, CommandResult } from '../context.js';
import { loadSpec } from '../load-spec.js';
import { SpecError } from '../spec-error.js';
import { formatCount, formatTable } from '../table.js';

interface PassDump {
  readonly pass: string;
  readonly ir: string;
}

export async function checkCommand(ctx: CommandContext, file: string, opts: { ir: boolean }): Promise<CommandResult> {
  const spec = await loadSpec(ctx, file);
  const { module } = spec;
  // Compiling every map finds what only the IR rejects (a bare permutation term…); --ir shows the passes.
  const irErrors: Diagnostic[] = [];
  const maps = module.maps.map((map) => {
    const passes: PassDump[] = [];
    let backward: string | undefined;
    try {
      const program = compileMap(map, module.dtype, opts.ir ? { onPass: (pass, ir) => passes.push({ pass, ir }) } : {});
      // What `monc grad` / `monc train` run for this map: the backward program derived from the scheduled one.
      if (opts.ir) backward = printBackwardProgram(compileBackward(program));
    } catch (e) {
      if (!(e instanceof IrCompileError)) throw e;
      irErrors.push(e.diagnostic);
    }
    const cost = structureCost(map.structure);
    const dense = denseCost(map.in, map.out);
    return {
      name: map.name,
      in: map.in,
      out: map.out,
      params: cost.params,
      flopsPerRow: cost.flopsPerRow,
      dense: { params: dense.params, flopsPerRow: dense.flopsPerRow },
      ...(opts.ir ? { passes, backward } : {}),
    };
  });
  if (irErrors.length > 0) throw new SpecError(formatDiagnostics(irErrors, spec.source), irErrors);

  const table = formatTable(
    ['map', 'shape', 'params', 'dense params', 'FLOPs/row', 'dense FLOPs/row'],
    maps.map((m) => [m.name, `${m.in} -> ${m.out}`, formatCount(m.params), formatCount(m.dense.params), formatCount(m.flopsPerRow), formatCount(m.dense.flopsPerRow)]),
    [2, 3, 4, 5],
  );
  const irText = maps.flatMap((m) => [
    ...(m.passes ?? []).map((p) => `\n== ${m.name}: after ${p.pass} ==\n${p.ir.trimEnd()}`),
    ...(m.backward === undefined ? [] : [`\n-- backward: ${m.name} --\n${m.backward.trimEnd()}`]),
  ]);
  return {
    json: { module: module.name, file, dtype: module.dtype, maps },
    text: [`${file}: module ${module.name}, dtype ${module.dtype}, ${maps.length} map${maps.length === 1 ? '' : 's'}`, table, ...irText].join('\n'),
  };
}
