// Writes dist/BUILD: `git describe --always --dirty` of the tree `npm run build` compiled (npm's postbuild). A device
// call carries a copy of dist (.gdist) to a machine whose own checkout may be another commit; its log names this
// stamp, not that checkout's git (bench/results/s8/scripts/common.sh). Not in the npm package (files: dist/src only).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

let stamp;
try {
  stamp = execFileSync('git', ['describe', '--always', '--dirty'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
} catch {
  stamp = 'unknown (not built in a git checkout)';
}
writeFileSync(new URL('../dist/BUILD', import.meta.url), `${stamp}\n`);
