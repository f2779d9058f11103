/** `monc check FILE.mon [--ir]` */
import type { Diagnostic } from '../../dsl/diagnostics.js';
import { denseCost, structureCost } from '../../dsl/index.js';
import { compileBackward, tryCompileMap } from '../../ir/pipeline.js';
import { printBackwardProgram } from '../../ir/printer.js';
import type { CommandContext, CommandResult } from '../context.js';
import { failOnErrors, loadSpec } from '../load-spec.js';
import { formatCount, formatTable } from '../table.js';
import { escapeHidden } from '../../util/hidden-chars.js';

interface PassDump {
  readonly pass: string;
  readonly ir: string;
}

export async function checkCommand(ctx: CommandContext, file: string, opts: { ir: boolean }): Promise<CommandResult> {
  const spec = await loadSpec(ctx, file);
  const { module } = spec;
  // Compiling every map finds what only the IR reports (a bare permutation term…); --ir shows the passes.
  const irDiagnostics: Diagnostic[] = [];
  const maps = module.maps.map((map) => {
    const passes: PassDump[] = [];
    const { result: program, diagnostics } = tryCompileMap(map, module.dtype, opts.ir ? { onPass: (pass, ir) => passes.push({ pass, ir }) } : {});
    irDiagnostics.push(...diagnostics);
    // What `monc grad` / `monc train` run for this map: the backward program derived from the scheduled one.
    const backward = opts.ir && program ? printBackwardProgram(compileBackward(program)) : undefined;
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
  failOnErrors(ctx, spec.source, irDiagnostics);

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
    text: [`${escapeHidden(file)}: module ${escapeHidden(module.name)}, dtype ${module.dtype}, ${maps.length} map${maps.length === 1 ? '' : 's'}`, table, ...irText].join('\n'),
  };
}
