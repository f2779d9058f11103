/**
 * The compile entries of `monc` called from JavaScript with arguments of the wrong kind: each is
 * one MoncError of kind `user` naming the function, the argument and the value, never a TypeError
 * from inside or an option silently ignored (`forwardOnly: 'yes'` built training kernels).
 */
import { describe, expect, it } from 'vitest';
import * as monc from '../../src/index.js';
import { checkSource, compileBackward, formatDiagnostics, compileKernels, compileMap, compileModule, compileModuleIr, isMoncError, modelOf, optimizeMap, tryCompileMap } from '../../src/index.js';

const SOURCE = 'map up : 12 -> 20 = monarch(nblocks: 4) + bias()\n';
const module = checkSource(SOURCE, 'a.mon').module!;
const map = module.maps[0];
const program = compileMap(map, module.dtype);

function refusal(call: () => unknown): Error {
  try {
    call();
  } catch (e) {
    expect(isMoncError(e, 'user'), String(e)).toBe(true);
    return e as Error;
  }
  throw new Error('not refused');
}

describe('compile entries refuse arguments of the wrong kind by name', () => {
  it('compileModule, compileKernels, checkSource: their options', () => {
    const cases: [() => unknown, string][] = [
      [() => compileModule(SOURCE, 'a.mon', 5 as never), 'compileModule: options must be an object, got 5'],
      [() => compileModule(SOURCE, 'a.mon', { tuning: 5 as never }), 'compileModule: tuning must be a function, got 5'],
      [() => compileModule(SOURCE, 'a.mon', { forwardOnly: 'yes' as never }), 'compileModule: forwardOnly must be true or false, got "yes"'],
      [() => compileModule(SOURCE, 'a.mon', { runtimeImport: 5 as never }), 'compileModule: runtimeImport must be a string, got 5'],
      [() => compileModule(SOURCE, 'a.mon', { resolveMask: 'mask.npy' as never }), 'compileModule: resolveMask must be a function, got "mask.npy"'],
      [() => compileKernels(SOURCE, 'a.mon', { tuning: {} as never }), 'compileKernels: tuning must be a function, got {}'],
      [() => checkSource(SOURCE, 'a.mon', 'strict' as never), 'checkSource: options must be an object, got "strict"'],
    ];
    for (const [call, message] of cases) expect(refusal(call).message).toBe(message);
    const checked = checkSource('map m : 4 -> 4 = nothing()\n', 'b.mon');
    expect(refusal(() => formatDiagnostics(checked as never, 'map m : 4 -> 4 = nothing()\n')).message).toMatch(/^formatDiagnostics: diagnostics must be checkSource\(\.\.\.\)'s diagnostics array, got \{/);
    expect(refusal(() => formatDiagnostics(checked.diagnostics, undefined as never)).message).toBe('formatDiagnostics: source must be the spec text the diagnostics are of, got undefined');
    expect(formatDiagnostics(checked.diagnostics, 'map m : 4 -> 4 = nothing()\n')).toMatch(/^b\.mon:1:/);
    // Absent options and options of the right kinds still compile.
    expect(compileModule(SOURCE, 'a.mon').outputs).toBeDefined();
    expect(compileModule(SOURCE, 'a.mon', { forwardOnly: true, runtimeImport: 'monc/runtime' }).outputs!.manifest.forwardOnly).toBe(true);
  });

  it('compileMap, tryCompileMap, optimizeMap, compileModuleIr: the map, the dtype, the options', () => {
    for (const [name, fn] of [['compileMap', compileMap], ['tryCompileMap', tryCompileMap], ['optimizeMap', optimizeMap]] as const) {
      expect(refusal(() => fn(undefined as never, 'f32')).message).toBe(`${name}: map must be a checked map (checkSource(...).module.maps[i]), got undefined`);
      expect(refusal(() => fn(module as never, 'f32')).message).toMatch(new RegExp(`^${name}: map must be a checked map`));
      expect(refusal(() => fn(map, 'f64' as never)).message).toBe(`${name}: dtype must be 'f32' or 'f16' (the module's dtype), got "f64"`);
      expect(refusal(() => fn(map, 'f32', { onPass: true } as never)).message).toBe(`${name}: onPass must be a function, got true`);
    }
    expect(refusal(() => compileModuleIr(map as never)).message).toMatch(/^compileModuleIr: module must be a checked module/);
    expect(refusal(() => modelOf(undefined as never)).message).toBe('modelOf: map must be a checked map (checkSource(...).module.maps[i]), got undefined');
    expect(modelOf(map).params.map((p) => p.name)).toEqual(compileMap(map, 'f32').params.map((p) => p.name));
    expect(compileModuleIr(module).map((p) => p.name)).toEqual(['up']);
  });

  // R63 (QA2 s17): a misspelt `onPas` was accepted and the IR dump stayed silently off (R36's rule, as compileModule's).
  it('compileMap, tryCompileMap, optimizeMap, compileModuleIr: an option name they do not know', () => {
    for (const [name, fn] of [['compileMap', compileMap], ['tryCompileMap', tryCompileMap], ['optimizeMap', optimizeMap]] as const) {
      expect(refusal(() => fn(map, 'f32', { onPas: () => {} } as never)).message).toBe(`${name} has no option 'onPas' (its options are onPass)`);
    }
    expect(refusal(() => compileModuleIr(module, { onPas: () => {} } as never)).message).toBe("compileModuleIr has no option 'onPas' (its options are onPass)");
    // A module of no maps is refused too (the option is the call's, not its maps').
    expect(refusal(() => compileModuleIr({ ...module, maps: [] }, { bogus: 1 } as never)).message).toBe("compileModuleIr has no option 'bogus' (its options are onPass)");
    const passes: string[] = [];
    compileModuleIr(module, { onPass: (name) => passes.push(name) });
    expect(passes).toContain('schedule');
  });

  it('compileBackward: a forward program, rowsPerSplit a whole number', () => {
    expect(refusal(() => compileBackward(undefined as never)).message).toBe('compileBackward: program must be a compiled map (compileMap), got undefined');
    expect(refusal(() => compileBackward(map as never)).message).toMatch(/^compileBackward: program must be a compiled map \(compileMap\), got \{/);
    const backward = compileBackward(program);
    expect(refusal(() => compileBackward(backward as never)).message).toBe("compileBackward: program must be a compiled map (compileMap), got a backward program of map 'up'");
    expect(refusal(() => compileBackward(program, { rowsPerSplit: 0 })).message).toBe('compileBackward: rowsPerSplit must be a whole number of at least 1, got 0');
    expect(compileBackward(program, { rowsPerSplit: 3 }).rowsPerSplit).toBe(3);
    // R63 (QA2 s17): unknown option names were accepted.
    expect(refusal(() => compileBackward(program, { bogus: 1 } as never)).message).toBe("compileBackward has no option 'bogus' (its options are onPass, rowsPerSplit)");
    expect(refusal(() => compileBackward(program, { rowPerSplit: 2 } as never)).message).toBe("compileBackward has no option 'rowPerSplit' (its options are onPass, rowsPerSplit)");
    expect(compileBackward(program, { onPass: () => {}, rowsPerSplit: undefined }).rowsPerSplit).toBeGreaterThan(0);
  });

  it("the lower-level exports (A5's list, compile side): emitProgramKernels, buildManifest, emitBindings, assembleModule, checkTuneBatch, renderDiagnostic, the IR printers, candidates, defaultSchedule, workgroupCount", () => {
    const misuses: [string, () => unknown][] = [
      ['emitProgramKernels', () => monc.emitProgramKernels(undefined as never)],
      ['emitProgramKernels', () => monc.emitProgramKernels(program, { limits: 5 as never })],
      ['emitProgramKernels', () => monc.emitProgramKernels(program, { schedules: {} as never })],
      ['buildManifest', () => monc.buildManifest(undefined as never, [], new Map(), 'a.wgsl', '0')],
      ['buildManifest', () => monc.buildManifest(module, {} as never, new Map(), 'a.wgsl', '0')],
      ['buildManifest', () => monc.buildManifest(module, [program], {} as never, 'a.wgsl', '0')],
      ['emitBindings', () => monc.emitBindings(undefined as never, '', { runtimeImport: 'monc/runtime' })],
      ['emitBindings', () => monc.emitBindings(compileModule(SOURCE, 'a.mon').outputs!.manifest, 5 as never, { runtimeImport: 'monc/runtime' })],
      ['emitBindings', () => monc.emitBindings(compileModule(SOURCE, 'a.mon').outputs!.manifest, '', undefined as never)],
      ['assembleModule', () => monc.assembleModule(undefined as never)],
      // R10 (QA2 s12): objects that are not groups of kernels were a TypeError ("ks.map is not a function").
      ['assembleModule', () => monc.assembleModule(new Uint8Array(3) as never)],
      ['assembleModule', () => monc.assembleModule({ up: 5 } as never)],
      ['assembleModule', () => monc.assembleModule(new Map([['up', [{}]]]) as never)],
      ['assembleModule', () => monc.assembleModule([null] as never)],
      ['checkTuneBatch', () => monc.checkTuneBatch(undefined as never, [], 8)],
      ['renderDiagnostic', () => monc.renderDiagnostic(undefined as never, '')],
      ['printIrMap', () => monc.printIrMap(undefined as never)],
      ['printProgram', () => monc.printProgram(undefined as never)],
      ['printIrExpr', () => monc.printIrExpr(null as never)],
      ['printIrExpr', () => monc.printIrExpr({} as never, {} as never)],
      ['printIrExpr', () => monc.printIrExpr({ kind: 'x' } as never)],
      ['printIrExpr', () => monc.printIrExpr({ kind: 'chain' } as never)],
      ['printIrExpr', () => monc.printIrExpr(optimizeMap(map, 'f32').result!.body, -1)],
      ['printIndexMap', () => monc.printIndexMap({} as never)],
      ['printSlice', () => monc.printSlice('x' as never)],
      ['candidates', () => monc.candidates(undefined as never, monc.DEFAULT_LIMITS)],
      ['candidates', () => monc.candidates(program.ops[0], undefined as never)],
      ['defaultSchedule', () => monc.defaultSchedule({ kind: 'toString' } as never, monc.DEFAULT_LIMITS)],
      ['workgroupCount', () => monc.workgroupCount(undefined as never, 4)],
      ['workgroupCount', () => monc.workgroupCount({ kind: 'flat', itemsPerRow: 4, itemsPerWorkgroup: 64 }, -1)],
    ];
    for (const [name, call] of misuses) expect(refusal(call).message, name).toMatch(new RegExp(`^${name}: .*, got `));
    // The right kinds still work.
    const ir = optimizeMap(map, 'f32').result!;
    expect(monc.printIrMap(ir)).toMatch(/^map up : 12 -> 20 f32\n/);
    expect(monc.printIrMap(ir)).toContain(monc.printIrExpr(ir.body));
    expect(monc.printProgram(program)).toMatch(/^program up : 12 -> 20 f32\n/);
    expect(monc.emitProgramKernels(program).length).toBeGreaterThan(0);
    expect(monc.assembleModule(monc.emitProgramKernels(program)).wgsl).toContain('@compute');
    expect(monc.candidates(program.ops[0], monc.DEFAULT_LIMITS)).toContainEqual(monc.defaultSchedule(program.ops[0], monc.DEFAULT_LIMITS));
    expect(monc.workgroupCount({ kind: 'flat', itemsPerRow: 4, itemsPerWorkgroup: 64 }, 33)).toBe(3);
  });
});
