import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeAdapter, requestMoncDevice } from '../../src/runtime/device.js';
import { dawnProvider, holdsIcd, SWIFTSHADER_ICD, vulkanEnvironment, vulkanIcdDirs, vulkanPlan } from '../../src/runtime/node-device.js';
import { getTestMoncDevice } from '../support/gpu.js';
import { transpileForNode } from '../support/transpile-for-node.js';

describe('requestMoncDevice (Dawn)', () => {
  it('enables the optional features the adapter has and its full limits', async () => {
    const { adapter } = await dawnProvider.requestAdapter();
    expect(adapter).not.toBeNull();
    const d = await requestMoncDevice({ adapter: adapter! });
    try {
      for (const f of ['shader-f16', 'subgroups', 'timestamp-query', 'chromium-experimental-subgroup-matrix']) expect(d.device.features.has(f), f).toBe(adapter!.features.has(f));
      expect(d.features).toEqual([...d.device.features].sort());
      for (const limit of ['maxStorageBufferBindingSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup'] as const) {
        expect(d.device.limits[limit], limit).toBe(adapter!.limits[limit]);
      }
      expect(d.adapterDescription).toBe(describeAdapter(adapter!.info));
    } finally {
      d.device.destroy();
    }
  });

  it('describes the test adapter in one line', async () => {
    const { adapterDescription } = await getTestMoncDevice();
    expect(adapterDescription).toMatch(/^\S.*\S$/);
    expect(adapterDescription).not.toContain('\n');
  });
});

describe('vulkanPlan', () => {
  const linux = { platform: 'linux', icdFilenames: undefined, userIcdsFound: true, systemIcds: [], swiftShaderInstalled: true };
  const nvidia = '/usr/share/vulkan/icd.d/nvidia_icd.json';
  const lavapipe = '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json';
  it('uses SwiftShader up front without system drivers, as a retry after hardware ones', () => {
    expect(vulkanPlan(linux)).toEqual([SWIFTSHADER_ICD]);
    expect(vulkanPlan({ ...linux, systemIcds: [nvidia] })).toEqual([nvidia, SWIFTSHADER_ICD]);
  });
  it('never hands Dawn lavapipe beside other drivers (its rejection prints a warning); lavapipe only last', () => {
    expect(vulkanPlan({ ...linux, systemIcds: [nvidia, lavapipe] })).toEqual([nvidia, SWIFTSHADER_ICD, undefined]);
    expect(vulkanPlan({ ...linux, systemIcds: [lavapipe] })).toEqual([SWIFTSHADER_ICD, undefined]);
    expect(vulkanPlan({ ...linux, systemIcds: [lavapipe], swiftShaderInstalled: false })).toEqual([undefined]);
  });
  it('never overrides the user or other platforms', () => {
    expect(vulkanPlan({ ...linux, icdFilenames: '/my/icd.json', systemIcds: [nvidia, lavapipe] })).toEqual([undefined]);
    expect(vulkanPlan({ ...linux, platform: 'darwin' })).toEqual([undefined]);
  });
  it('tries nothing on Linux without any Vulkan driver (Dawn would print the loader\'s "Found no drivers!" and a source line)', () => {
    expect(vulkanPlan({ ...linux, swiftShaderInstalled: false })).toEqual([]);
    // The user's variables naming only files that do not exist (QA s12 Q1): no driver, whatever else is installed.
    expect(vulkanPlan({ ...linux, icdFilenames: '/nonexistent.json', userIcdsFound: false, systemIcds: [nvidia] })).toEqual([]);
  });
  // QA2 s22 Q153: an empty variable, a folder without ICD files or a file that is none started Dawn, which printed the loader's
  // "Found no drivers!" and a source line on stderr, and the note blamed Dawn.
  it("reads the user's variables as the loader does: empty is unset, only ICD files (or folders of them) are drivers", () => {
    const dir = mkdtempSync(join(tmpdir(), 'monc-icd-'));
    try {
      const icd = join(dir, 'drivers', 'sw_icd.json');
      mkdirSync(join(dir, 'drivers'));
      writeFileSync(icd, JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: 'libvk_swiftshader.so', api_version: '1.0.5' } }));
      writeFileSync(join(dir, 'other.json'), '{"layer": {}}');
      writeFileSync(join(dir, 'text'), 'not json');
      expect([icd, join(dir, 'drivers'), dir, join(dir, 'other.json'), join(dir, 'text'), join(dir, 'missing.json')].map(holdsIcd)).toEqual([true, true, false, false, false, false]);
      // The loader skips an ICD whose library path (with a '/', relative to the file) does not exist; a bare name is the linker's to find.
      const libs = join(dir, 'libs');
      mkdirSync(libs);
      const withLibrary = (name: string, library: string) => {
        writeFileSync(join(libs, name), JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: library, api_version: '1.0.5' } }));
        return holdsIcd(join(libs, name));
      };
      writeFileSync(join(libs, 'libvk_here.so'), '');
      expect([withLibrary('gone.json', '/nonexistent/libvk.so'), withLibrary('moved.json', './libvk_swiftshader.so'), withLibrary('here.json', './libvk_here.so'), withLibrary('bare.json', 'libvulkan_radeon.so')]).toEqual([false, false, true, true]);

      const home = join(dir, 'home'); // no ICDs of its own; the system's as on this machine
      const unset = vulkanEnvironment({}, home, 'linux');
      expect(unset).toMatchObject({ icdFilenames: undefined, userIcdsFound: true });
      for (const name of ['VK_ICD_FILENAMES', 'VK_DRIVER_FILES', 'VK_ADD_DRIVER_FILES']) {
        expect(vulkanEnvironment({ [name]: '' }, home, 'linux'), `${name} empty`).toEqual(unset);
        for (const path of [dir, join(dir, 'text'), join(dir, 'other.json')]) {
          const env = vulkanEnvironment({ [name]: path }, home, 'linux');
          if (name !== 'VK_ADD_DRIVER_FILES' || env.systemIcds.length === 0) expect(vulkanPlan(env), `${name}=${path}`).toEqual([]);
        }
        expect(vulkanPlan(vulkanEnvironment({ [name]: `${join(dir, 'text')}:${join(dir, 'drivers')}` }, home, 'linux')), name).toEqual([undefined]);
      }
      // The loader takes VK_DRIVER_FILES over VK_ICD_FILENAMES.
      expect(vulkanEnvironment({ VK_DRIVER_FILES: icd, VK_ICD_FILENAMES: join(dir, 'text') }, home, 'linux')).toMatchObject({ icdFilenames: icd, userIcdsFound: true });
      // QA2 s26 Q552: and ignores VK_ADD_DRIVER_FILES beside either (a usable ICD there started Dawn: "Found no drivers!").
      for (const name of ['VK_ICD_FILENAMES', 'VK_DRIVER_FILES']) {
        for (const path of [join(dir, 'text'), join(dir, 'missing.json'), dir]) {
          const env = vulkanEnvironment({ [name]: path, VK_ADD_DRIVER_FILES: icd }, home, 'linux');
          expect([env.userIcdsFound, vulkanPlan(env)], `${name}=${path} beside VK_ADD_DRIVER_FILES`).toEqual([false, []]);
        }
        expect(vulkanPlan(vulkanEnvironment({ [name]: join(dir, 'drivers'), VK_ADD_DRIVER_FILES: join(dir, 'text') }, home, 'linux'))).toEqual([undefined]);
      }
      expect(vulkanEnvironment({ VK_ADD_DRIVER_FILES: icd }, home, 'linux')).toMatchObject({ icdFilenames: icd, userIcdsFound: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  // REV s22 1: an empty variable beside the user's own choice stayed set, and the loader took VK_DRIVER_FILES= as no driver
  // ("Found no drivers!" from Dawn, no adapter). A process of its own: the loader reads the variables once per process.
  it('removes an empty VK_DRIVER_FILES also when VK_ICD_FILENAMES names the driver', () => {
    const dist = resolve(import.meta.dirname, '../../dist/src/runtime');
    const script = `const { requestMoncDevice } = await import(${JSON.stringify(join(dist, 'device.js'))});
      await import(${JSON.stringify(join(dist, 'node-device.js'))});
      const { adapter } = await requestMoncDevice(); console.log('adapter', adapter !== null); process.exit(0);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, VK_DRIVER_FILES: '', VK_ICD_FILENAMES: SWIFTSHADER_ICD }, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).not.toContain('Found no drivers');
    expect(r.stdout.trim()).toBe('adapter true');
  });
  it('looks for ICD files where the Vulkan loader does', () => {
    expect(vulkanIcdDirs({}, '/home/u')).toEqual([
      '/home/u/.config/vulkan/icd.d', '/etc/xdg/vulkan/icd.d', '/usr/local/etc/vulkan/icd.d', '/etc/vulkan/icd.d',
      '/home/u/.local/share/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/usr/share/vulkan/icd.d',
    ]);
    expect(vulkanIcdDirs({ XDG_DATA_DIRS: '/opt/share:/usr/share', XDG_CONFIG_DIRS: '/etc', XDG_DATA_HOME: '/d' }, '/home/u')).toEqual([
      '/home/u/.config/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/etc/vulkan/icd.d', '/d/vulkan/icd.d', '/opt/share/vulkan/icd.d', '/usr/share/vulkan/icd.d',
    ]);
  });
});

// QA2 s26 Q554: without XDG_RUNTIME_DIR every process that started Dawn made /tmp/monc-xdg-XXXXXX and left it (2,437 there
// in a day). Processes of their own (the variable is set once per process), with the node-device module as it is now.
describe('XDG_RUNTIME_DIR for Dawn where it is unset', () => {
  const root = resolve(import.meta.dirname, '../..');
  const dir = mkdtempSync(join(tmpdir(), 'monc-xdg-test-'));
  const lib = transpileForNode(join(dir, 'lib'), join(root, 'src/runtime/node-device.ts'));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  const script = `const { dawnProvider } = await import(${JSON.stringify(join(lib, root, 'src/runtime/node-device.js'))});
    const { adapter } = await dawnProvider.requestAdapter(); (await adapter.requestDevice()).destroy();
    console.log(process.env.XDG_RUNTIME_DIR);`;
  /** The XDG_RUNTIME_DIR a process that starts Dawn with TMPDIR `tmp` (and the variable `xdg`, undefined: unset) ran with. */
  const started = (tmp: string, xdg?: string) => {
    const { XDG_RUNTIME_DIR: _, ...env } = process.env;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...env, TMPDIR: tmp, ...(xdg ? { XDG_RUNTIME_DIR: xdg } : {}) }, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.trim();
  };
  const uid = process.getuid!();

  it("is one private directory per user, made once and reused: processes leave none of their own", () => {
    const tmp = join(dir, 'a');
    mkdirSync(tmp);
    for (let run = 0; run < 2; run++) expect(started(tmp)).toBe(join(tmp, `monc-xdg-${uid}`));
    expect(readdirSync(tmp)).toEqual([`monc-xdg-${uid}`]);
    expect(statSync(join(tmp, `monc-xdg-${uid}`)).mode & 0o777).toBe(0o700);
  });

  it("where that name is a directory others may enter, or a file: a private one of the process's own, removed at exit", () => {
    const open = join(dir, 'b');
    mkdirSync(join(open, `monc-xdg-${uid}`), { recursive: true });
    chmodSync(join(open, `monc-xdg-${uid}`), 0o755);
    const file = join(dir, 'c');
    mkdirSync(file);
    writeFileSync(join(file, `monc-xdg-${uid}`), '');
    for (const tmp of [open, file]) {
      expect(started(tmp)).toMatch(new RegExp(`^${tmp}/monc-xdg-(?!${uid}$)`));
      expect(readdirSync(tmp)).toEqual([`monc-xdg-${uid}`]);
    }
  });

  it("one the user set is used as it is: nothing made", () => {
    const tmp = join(dir, 'd');
    mkdirSync(tmp);
    expect(started(tmp, '/run/user/elsewhere')).toBe('/run/user/elsewhere');
    expect(readdirSync(tmp)).toEqual([]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
});
