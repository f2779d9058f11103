/**
 * The tuner from code, through the package entry `monc` (src/index.ts): tuneMaps on a device gives
 * checked, timed winners per kernel; merged into a database they are what compileModule builds
 * with (scheduleLookup), and the built map still computes the float64 reference. A batch whose
 * buffers do not fit the device is a user error before any work.
 */
import { describe, expect, it } from 'vitest';
import * as monc from '../../src/index.js';
import {
  adapterIdentity,
  checkSource,
  compileBackward,
  compileMap,
  compileModule,
  deviceTargetLimits,
  emptyDb,
  initParams,
  isMoncError,
  MapRunner,
  mergeTuningEntries,
  modelOf,
  paramsOf,
  parseTuningDb,
  referenceApply,
  requestMoncDevice,
  scheduleLookup,
  serializeTuningDb,
  tuneBackwardProgram,
  tuneMaps,
  tuneProgram,
} from '../../src/index.js';
import { getTestMoncDevice } from '../support/gpu.js';

const SOURCE = 'map m : 32 -> 24 = blockdiag(nblocks: 4) + bias()\n';

describe('tuneMaps (monc)', () => {
  it('the package entry exports the tuner and its database helpers', () => {
    for (const name of ['tuneMaps', 'checkTuneBatch', 'tuneProgram', 'tuneBackwardProgram', 'compileBackward', 'adapterIdentity', 'deviceTargetLimits', 'emptyDb', 'mergeTuningEntries', 'parseTuningDb', 'serializeTuningDb', 'scheduleLookup'] as const) {
      expect(typeof (monc as Record<string, unknown>)[name], name).toBe('function');
    }
  });

  it('tunes a module from code; compileModule with the merged database takes the winners and still computes M', async () => {
    const gpu = await getTestMoncDevice();
    const { module } = checkSource(SOURCE, 'lib.mon');
    const programs = module!.maps.map((m) => compileMap(m, module!.dtype));
    const lines: string[] = [];
    const result = await tuneMaps(gpu, programs, { batch: 8, maxCandidates: 2, repeats: 1, forwardOnly: true, onProgress: (p) => lines.push(p.line) });
    expect(result.backward).toEqual([]);
    expect(result.forward.map((f) => f.program.name)).toEqual(['m']);
    expect(lines.length).toBeGreaterThan(0);
    const winners = result.forward[0].kernels.filter((k) => k.best);
    expect(winners.length).toBeGreaterThan(0);
    expect(result.entries.length).toBeGreaterThan(0);
    for (const e of result.entries) expect(e.adapter).toEqual(result.adapter);

    // A database on disk is JSON text: it round-trips.
    const db = mergeTuningEntries(emptyDb(), result.entries, result.retired);
    const reread = parseTuningDb(serializeTuningDb(db));
    expect('db' in reread && reread.db.entries).toEqual(db.entries);

    const built = compileModule(SOURCE, 'lib.mon', { tuning: scheduleLookup(db, { adapter: result.adapter }) });
    const map = built.outputs!.manifest.maps[0];
    // The build's kernels (its tuned set where it has several): each single-op winner is the schedule of the kernel of that op.
    const kernels = [...(map.kernels ?? []), ...(map.kernelSets ?? []).flatMap((set) => set.kernels ?? [])];
    let matched = 0;
    for (const k of winners.filter((w) => w.ops.length === 1)) {
      const mine = kernels.filter((b) => b.ops.length === 1 && b.ops[0] === k.ops[0]).map((b) => b.schedule);
      if (mine.length === 0) continue; // the build fused this op into a run
      expect(mine).toContainEqual(k.best!.schedule);
      matched++;
    }
    expect(matched).toBeGreaterThan(0);

    const runner = await MapRunner.create(map, built.outputs!.wgsl, { device: gpu.device });
    try {
      const params = initParams(paramsOf(module!.maps[0].structure), 2);
      runner.loadParams(params);
      const x = Float32Array.from({ length: 5 * 32 }, (_, i) => Math.sin(i));
      const y = await runner.forward(x, 5);
      const want = referenceApply(modelOf(module!.maps[0]), params, x, 5);
      let num = 0;
      let den = 0;
      for (let i = 0; i < want.length; i++) {
        num += (y[i] - want[i]) ** 2;
        den += want[i] ** 2;
      }
      expect(Math.sqrt(num / den)).toBeLessThan(1e-5);
    } finally {
      runner.destroy();
    }
  });

  it('refuses options monc tune refuses, naming the option and the value, before any work', async () => {
    const gpu = await getTestMoncDevice();
    const { module } = checkSource(SOURCE, 'lib.mon');
    const programs = module!.maps.map((m) => compileMap(m, module!.dtype));
    const cases: [Record<string, unknown>, RegExp][] = [
      [{}, /^tuneMaps: batch must be a whole number of at least 1, got undefined$/],
      [{ batch: -3 }, /batch must be a whole number of at least 1, got -3$/],
      [{ batch: 1.5 }, /batch .* got 1\.5$/],
      [{ batch: Number.NaN }, /batch .* got NaN$/],
      [{ batch: 0 }, /batch .* got 0$/],
      [{ batch: '64' }, /batch .* got "64"$/],
      [{ batch: 8, maxCandidates: 0 }, /maxCandidates must be a whole number of at least 1, got 0$/],
      [{ batch: 8, repeats: 2.5 }, /repeats .* got 2\.5$/],
      [{ batch: 8, forwardOnly: 'yes' }, /forwardOnly must be true or false, got "yes"$/],
      // A misspelt name (QA2 s14 R36: maxCandidate was ignored and 24 candidates timed); the forward program's own options too.
      [{ batch: 8, maxCandidate: 1 }, /^tuneMaps has no option 'maxCandidate' \(its options are batch, maxCandidates, repeats, forwardOnly, onProgress\)$/],
      [{ batch: 8, limits: {} }, /^tuneMaps has no option 'limits'/],
    ];
    for (const [options, message] of cases) {
      const error = await tuneMaps(gpu, programs, options as never).catch((e: unknown) => e);
      expect(isMoncError(error, 'user'), JSON.stringify(options)).toBe(true);
      expect((error as Error).message).toMatch(message);
    }
  });

  it('tuneProgram and tuneBackwardProgram refuse what tuneMaps refuses, and arguments of the wrong kind, naming them', async () => {
    const gpu = await getTestMoncDevice();
    const { module } = checkSource(SOURCE, 'lib.mon');
    const program = compileMap(module!.maps[0], module!.dtype);
    const backward = compileBackward(program);
    const adapter = adapterIdentity(gpu.adapter, gpu.device);
    const limits = deviceTargetLimits(gpu.device);
    const ok = { batch: 8, limits };
    // [device, adapter, program, options, message]; each tried on both functions (the backward one with its program).
    const cases: [unknown, unknown, unknown, unknown, RegExp][] = [
      [gpu.device, adapter, program, { limits }, /batch must be a whole number of at least 1, got undefined$/],
      [gpu.device, adapter, program, { ...ok, batch: -3 }, /batch .* got -3$/],
      [gpu.device, adapter, program, { ...ok, batch: 1.5 }, /batch .* got 1\.5$/],
      [gpu.device, adapter, program, { ...ok, batch: Number.NaN }, /batch .* got NaN$/],
      [gpu.device, adapter, program, { ...ok, batch: 0 }, /batch .* got 0$/],
      [gpu.device, adapter, program, { ...ok, maxCandidates: 0 }, /maxCandidates must be a whole number of at least 1, got 0$/],
      [gpu.device, adapter, program, { ...ok, repeats: -1 }, /repeats .* got -1$/],
      [gpu.device, adapter, program, { ...ok, onProgress: 3 }, /onProgress must be a function, got 3$/],
      [gpu.device, adapter, program, { batch: 8 }, /limits must be the device's target limits \(deviceTargetLimits\(device\), or DEFAULT_LIMITS\), got undefined$/],
      [gpu.device, adapter, program, { ...ok, storage: 'f64' }, /storage must be 'f32' or 'f16', got "f64"$/],
      [gpu.device, adapter, program, { ...ok, known: {} }, /known must be a Map/],
      [gpu.device, gpu.adapter, program, ok, /the adapter must be its identity \(adapterIdentity\(adapter, device\)\)/],
      [gpu, adapter, program, ok, /the device must be a GPUDevice/],
      [gpu.device, adapter, module!.maps[0], ok, /program must be a/],
      [gpu.device, adapter, program, 8, /options must be an object with a batch, got 8$/],
      [gpu.device, adapter, program, { ...ok, batch: 2 ** 31 - 1 }, /^map 'm'.* at batch 2,147,483,647 needs a buffer over this adapter's limit/],
    ];
    for (const [device, id, forward, options, message] of cases) {
      const forwardError = await tuneProgram(device as never, id as never, forward as never, options as never).catch((e: unknown) => e);
      const backwardError = await tuneBackwardProgram(device as never, id as never, (forward === program ? backward : forward) as never, options as never).catch((e: unknown) => e);
      for (const [fn, error] of [['tuneProgram', forwardError], ['tuneBackwardProgram', backwardError]] as const) {
        expect(isMoncError(error, 'user'), `${fn} ${String(error)}`).toBe(true);
        expect((error as Error).message, fn).toMatch(message);
        if (!(error as Error).message.startsWith('map ')) expect((error as Error).message.startsWith(`${fn}: `), fn).toBe(true);
      }
    }
    // Option names: the same for both (`known` carries what one call tuned to the next; s17 R60 removed the backward's `tuned`); neither takes tuneMaps' forwardOnly.
    const named = async (fn: typeof tuneProgram | typeof tuneBackwardProgram, p: unknown, options: object) => (await fn(gpu.device, adapter, p as never, { ...ok, ...options } as never).catch((e: unknown) => e)) as Error;
    const forwardNames = 'batch, limits, storage, maxCandidates, repeats, onProgress, known';
    expect((await named(tuneProgram, program, { repeat: 1 })).message).toBe(`tuneProgram has no option 'repeat' (its options are ${forwardNames})`);
    expect((await named(tuneProgram, program, { tuned: new Set() })).message).toBe(`tuneProgram has no option 'tuned' (its options are ${forwardNames})`);
    expect((await named(tuneBackwardProgram, backward, { forwardOnly: true })).message).toBe(`tuneBackwardProgram has no option 'forwardOnly' (its options are ${forwardNames})`);
    expect((await named(tuneBackwardProgram, backward, { tuned: new Set() })).message).toBe(`tuneBackwardProgram has no option 'tuned' (its options are ${forwardNames})`);
    expect(isMoncError(await named(tuneBackwardProgram, backward, { maxCandidate: 1 }), 'user')).toBe(true);
    // adapterIdentity: the adapter is a GPUAdapter (not the device, not nothing), the device one or nothing.
    for (const args of [[], [gpu.device], [gpu], [gpu.adapter, {}], [gpu.adapter, gpu.adapter.info]]) {
      const thrown = (() => {
        try {
          adapterIdentity(...(args as [never, never]));
        } catch (e) {
          return e;
        }
      })();
      expect(isMoncError(thrown, 'user'), String(thrown)).toBe(true);
      expect((thrown as Error).message).toMatch(/^adapterIdentity: the (adapter must be a GPUAdapter|device must be a GPUDevice or left out)/);
    }
    expect(adapterIdentity(gpu.adapter)).toMatchObject({ vendor: adapter.vendor, limits: adapter.limits });
    // The forward program is not a backward one, nor the other way round.
    const error = await tuneBackwardProgram(gpu.device, adapter, program as never, ok).catch((e: unknown) => e);
    expect(isMoncError(error, 'user')).toBe(true);
    expect((error as Error).message).toBe("tuneBackwardProgram: program must be a backward program (compileBackward(compileMap(...))), got a forward program of map 'm'");
    const swapped = await tuneProgram(gpu.device, adapter, backward as never, ok).catch((e: unknown) => e);
    expect(isMoncError(swapped, 'user')).toBe(true);
    expect((swapped as Error).message).toBe("tuneProgram: program must be a compiled map (compileMap), got a backward program of map 'm'");
    // And the well-formed call still tunes.
    const tuned = await tuneBackwardProgram(gpu.device, adapter, backward, { ...ok, maxCandidates: 1, repeats: 1 });
    expect(tuned.entries.length).toBeGreaterThan(0);
  });

  it('the database helpers refuse what is not a database, an entry or a key, by name', () => {
    const db = emptyDb();
    const cases: [() => unknown, RegExp][] = [
      [() => scheduleLookup(null as never), /^scheduleLookup: db must be a tuning database \(emptyDb\(\), parseTuningDb\(text\)\.db\), got null$/],
      [() => scheduleLookup({ entries: [] } as never), /^scheduleLookup: db must be a tuning database/],
      [() => scheduleLookup(db, { batch: 0 }), /^scheduleLookup: batch must be a whole number of at least 1, got 0$/],
      [() => scheduleLookup(db, { adapter: {} as never }), /^scheduleLookup: adapter must be an adapter identity/],
      [() => scheduleLookup(db, 'latest' as never), /^scheduleLookup: options must be an object, got "latest"$/],
      [() => mergeTuningEntries(null as never, []), /^mergeTuningEntries: db must be a tuning database/],
      [() => mergeTuningEntries(db, null as never), /^mergeTuningEntries: entries must be an array of tuning entries, got null$/],
      [() => mergeTuningEntries(db, [{}] as never), /^mergeTuningEntries: entries\[0\]\.adapter is malformed$/],
      [() => mergeTuningEntries(db, [], [{ kernel: 'k' }] as never), /^mergeTuningEntries: retired\[0\] must be a tuning key/],
      [() => mergeTuningEntries({ ...db, entries: [5] } as never, []), /^mergeTuningEntries: db\.entries: entries\[0\] is not an object$/],
      [() => serializeTuningDb(undefined as never), /^serializeTuningDb: db must be a tuning database/],
    ];
    for (const [call, message] of cases) {
      const error = (() => {
        try {
          call();
        } catch (e) {
          return e;
        }
      })();
      expect(isMoncError(error, 'user'), String(error)).toBe(true);
      expect((error as Error).message).toMatch(message);
    }
    // The right kinds still work: an empty database round-trips and answers nothing.
    expect(scheduleLookup(mergeTuningEntries(db, []), { batch: 8 })([], 'f32')).toBeUndefined();
    expect(parseTuningDb(serializeTuningDb(db))).toEqual({ db });
  });

  it('refuses a batch whose buffers pass the device limit, before any work', async () => {
    const gpu = await getTestMoncDevice();
    const { module } = checkSource(SOURCE, 'lib.mon');
    const programs = module!.maps.map((m) => compileMap(m, module!.dtype));
    const error = await tuneMaps(gpu, programs, { batch: 2 ** 31 - 1, maxCandidates: 1 }).catch((e: unknown) => e);
    expect(isMoncError(error, 'user')).toBe(true);
    expect((error as Error).message).toMatch(/^map 'm' at batch 2,147,483,647 needs a buffer over this adapter's limit/);
  });

  // QA2 s21 Q54: on a lost device tuneMaps resolved, every candidate "rejected" with an empty message.
  it('rejects with the loss (kind device) on a device lost before the call (forward and backward) or during the search', async () => {
    const gpu = await requestMoncDevice();
    gpu.device.destroy();
    await gpu.device.lost;
    const { module } = checkSource(SOURCE, 'lib.mon');
    const programs = module!.maps.map((m) => compileMap(m, module!.dtype));
    for (const forwardOnly of [true, false]) {
      const error = await tuneMaps(gpu, programs, { batch: 4, maxCandidates: 1, repeats: 1, forwardOnly }).catch((e: unknown) => e);
      expect(isMoncError(error, 'device'), String(error)).toBe(true);
      expect((error as Error).message).toMatch(/^WebGPU device lost \(destroyed\)/);
    }
    // Lost during the search (destroyed at the first candidate's progress line): the next candidate's failure ends it.
    const live = await requestMoncDevice();
    const during = await tuneMaps(live, programs, { batch: 4, maxCandidates: 4, repeats: 1, forwardOnly: true, onProgress: () => live.device.destroy() }).catch((e: unknown) => e);
    expect(isMoncError(during, 'device'), String(during)).toBe(true);
    expect((during as Error).message).toMatch(/^WebGPU device lost \(destroyed\)/);
    const backward = compileBackward(programs[0]);
    const error = await tuneBackwardProgram(gpu.device, adapterIdentity(gpu.adapter, gpu.device), backward, { batch: 4, maxCandidates: 1, repeats: 1, limits: deviceTargetLimits(gpu.device) }).catch((e: unknown) => e);
    expect(isMoncError(error, 'device'), String(error)).toBe(true);
  });
});
