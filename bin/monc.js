#!/usr/bin/env node
// The `monc` command: the compiled CLI (run `npm run build` first in a checkout).
import { main } from '../dist/src/cli/main.js';

const streams = [process.stdout, process.stderr];
// A reader that stops early (`monc check --ir | head`) closes its pipe: the rest is not wanted, which is no error of
// monc's; the command still does its work (the files it writes) and exits with its own status.
for (const stream of streams) stream.on('error', (e) => { if (e.code !== 'EPIPE') throw e; });
const code = await main(process.argv.slice(2));
// Exit explicitly (an open WebGPU device would otherwise keep the process alive), once stdout and stderr are
// written: to a pipe Node writes them asynchronously, and exiting at once cut a long `--json` object short.
await Promise.all(streams.map((stream) => new Promise((written) => stream.write('', written))));
process.exit(code);
