/**
 * `monc/runtime/cpu`: importing it registers the float64 CPU executor with the runtime, for
 * MapRunner's `cpu` backend and its fallback when there is no WebGPU adapter (extensions.ts).
 * A page that runs on WebGPU only does not import it, and does not bundle it.
 */
import { executeBackwardProgram, executeProgram } from './cpu-executor.js';
import { registerCpuExecutor } from './extensions.js';
import { programOfManifest } from './manifest-program.js';

registerCpuExecutor({ program: programOfManifest, forward: executeProgram, backward: executeBackwardProgram });
