/**
 * `monc/runtime/cpu`: importing it registers the float64 CPU executor with the runtime, for
 * MapRunner's `cpu` backend and its fallback when there is no WebGPU adapter (extensions.ts).
 * A page that runs on WebGPU only does not import it, and does not bundle it.
 */
import { executeBackwardProgram, executeProgram } from './cpu-executor.js';
import { registerCpuExecutor } from './extensions.js';
import { programOfManifest } from './manifest-program.js';

/** Whether a runner already fell back to the CPU in this process (the warning is printed once). */
let warnedFallback = false;

registerCpuExecutor({
  program: programOfManifest,
  forward: executeProgram,
  backward: executeBackwardProgram,
  description: 'cpu (float64 reference executor)',
  fallbackNote(noAdapter) {
    // No backend asked for and no adapter: run like `monc run` does, and say so once.
    const note = `${noAdapter.message}; running on the CPU executor`;
    if (!warnedFallback) console.warn(`monc: ${note}`);
    warnedFallback = true;
    return note;
  },
});
