/** The mini-batch order of `monc train`: the runtime's (fitMse draws the same rows from the same seed). */
export { gatherRows, miniBatches } from '../runtime/minibatches.js';
