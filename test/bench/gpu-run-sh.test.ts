/**
 * bench/gpu/run.sh never rewrites in place what a command of another run.sh call may have loaded from its folder
 * (session 30, F30-1): each call did `cp -f` of the packed Vulkan loader over the one running processes had mapped; the
 * truncation dropped their relocated pages of it, which came back from the file unrelocated, and their next loader call
 * (vkDestroyDevice at exit) jumped to an offset: exit 139 in 8 of 27 runs with a second run.sh started meanwhile, none
 * in 99 runs without run.sh. Checked on a pack of stand-in files in a folder of the test's own ($GPU_RT): the same
 * loader again leaves the file untouched (same inode, same modification time), a changed one replaces it by a rename,
 * so a descriptor held on the old one still reads the old bytes.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, copyFileSync, fstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

const root = mkdtempSync(join(tmpdir(), 'monc-run-sh-'));
const gpu = join(root, '.gpu');
const rt = join(root, 'rt');
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A pack of stand-ins: node and node_modules as run.sh unpacks them, and `loader` as the Vulkan loader. */
function pack(loader: string): void {
  // A run.sh without $GPU_RT would unpack the stand-ins into the real /tmp/gpu-rt.
  expect(readFileSync('bench/gpu/run.sh', 'utf8')).toContain('rt=${GPU_RT:-/tmp/gpu-rt}');
  mkdirSync(join(gpu, 'stage', 'node_modules', 'm'), { recursive: true });
  writeFileSync(join(gpu, 'stage', 'node_modules', 'm', 'index.js'), '');
  writeFileSync(join(gpu, 'node'), '#!/bin/sh\n');
  execFileSync('sh', ['-c', 'xz -c node > node.xz && tar -C stage -cf - node_modules | xz > node_modules.tar.xz'], { cwd: gpu });
  writeFileSync(join(gpu, 'libvulkan.so.1'), loader);
  copyFileSync('bench/gpu/run.sh', join(gpu, 'run.sh'));
}

const runSh = () => execFileSync('bash', [join(gpu, 'run.sh'), 'true'], { env: { ...process.env, GPU_RT: rt }, stdio: 'pipe' });
const loaderPath = join(rt, 'libvulkan.so.1');

it('run.sh leaves the loader a running command may have mapped untouched, and replaces a changed one by a rename', () => {
  pack('loader one');
  runSh();
  const first = statSync(loaderPath, { bigint: true });
  const held = openSync(loaderPath, 'r');
  try {
    runSh();
    const again = statSync(loaderPath, { bigint: true });
    expect([again.ino, again.mtimeNs]).toEqual([first.ino, first.mtimeNs]);

    pack('loader two, longer');
    runSh();
    expect(readFileSync(loaderPath, 'utf8')).toBe('loader two, longer');
    expect(statSync(loaderPath).ino).not.toBe(Number(first.ino));
    const old = Buffer.alloc(Number(fstatSync(held).size));
    readSync(held, old, 0, old.length, 0);
    expect(old.toString()).toBe('loader one');
  } finally {
    closeSync(held);
  }
  expect(readFileSync(join(rt, 'node_modules', 'm', 'index.js'), 'utf8')).toBe('');
});
