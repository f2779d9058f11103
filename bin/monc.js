#!/usr/bin/env node
// The `monc` command: the compiled CLI (run `npm run build` first in a checkout).
import { main } from '../dist/src/cli/main.js';

const code = await main(process.argv.slice(2));
// Exit explicitly: an open WebGPU device would otherwise keep the process alive.
process.exit(code);
