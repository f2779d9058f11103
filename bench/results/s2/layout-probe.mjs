// One-off probe: does a transposed intermediate layout make Monarch's factors faster?
// K(64,64,64,1) at B=16384 f32 with identity maps vs output map transpose(64,64) vs input map transpose.
import { nodeGpu } from '../../../dist/bench/node-gpu.js';
import { ks, checkCase, contextFor } from '../../../dist/bench/cases.js';
import { candidates } from '../../../dist/src/codegen/wgsl/families.js';
import { emitKernel } from '../../../dist/src/codegen/wgsl/families.js';
import { deviceTargetLimits } from '../../../dist/src/runtime/device.js';
import { KernelCheck } from '../../../dist/src/tuner/kernel-check.js';
import { searchSchedules } from '../../../dist/src/tuner/search.js';
import { defaultSchedule, familyDefaults } from '../../../dist/src/codegen/wgsl/families.js';
const { device } = await nodeGpu();
const limits = { ...deviceTargetLimits(device), features: [] };
const T = { size: 4096, steps: [{ shape: [64, 64], perm: [1, 0] }] };
const mk = (extra) => {
  const op = ks(64, 64, 64, 1, 'x', 'y', 'w', extra);
  return { name: 'p', ops: [op], params: [{ name: 'w', shape: [64, 64, 64], offset: 0 }], paramSize: 64 * 64 * 64, buffers: [{ name: 'x', size: 4096 }, { name: 'y', size: 4096 }], in: 4096, out: 4096, flopsPerRow: 2 * 64 * 64 * 64 };
};
const out = {};
for (const [label, extra] of [['identity', {}], ['out-transposed', { output: T }], ['in-transposed', { input: T }]]) {
  const c = mk(extra);
  const op = c.ops[0];
  const check = KernelCheck.create(device, checkCase(c, 0, 1, 'f32', 16384, 16));
  const results = [];
  await searchSchedules(candidates(op, limits), familyDefaults(op, limits), Number(process.argv[2] ?? 24), async ({ schedule }) => {
    try {
      const k = emitKernel(op, schedule, contextFor(c, 'p', 0, 'f32'));
      const err = await check.check(k);
      if (!(err < 1e-5)) { results.push({ schedule, err }); return undefined; }
      const t = await check.time(k, { repeats: 10, warmupMs: 100 });
      results.push({ schedule, ms: t.medianMs });
      return t.medianMs;
    } catch (e) { results.push({ schedule, error: String(e).slice(0, 200) }); return undefined; }
  });
  check.destroy();
  results.sort((a, b) => (a.ms ?? 1e9) - (b.ms ?? 1e9));
  out[label] = results;
  process.stderr.write(`${label}: best ${results[0].ms} ${JSON.stringify(results[0].schedule)}\n`);
}
console.log(JSON.stringify(out, null, 1));
process.exit(0);
