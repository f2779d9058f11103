/**
 * The plugin's options as a JavaScript config may pass them: every option is checked when the
 * plugin is created (a one-line `monc plugin: …` MoncError of kind user), and an unknown name is
 * refused, since a misspelt `forwardOnly` would silently ship every training kernel.
 */
import { describe, expect, it } from 'vitest';
import { monc } from '../../src/plugin/index.js';
import { MoncError } from '../../src/util/error.js';

const create = (options: unknown) => () => monc.rollup(options as Parameters<typeof monc.rollup>[0]);

describe('monc plugin options', () => {
  it.each([
    [{ tuning: 42 }, 'monc plugin: option tuning must be a path or false, not 42'],
    [{ tuning: true }, 'monc plugin: option tuning must be a path or false, not true'],
    [{ runtime: 5 }, 'monc plugin: option runtime must be a module specifier (a non-empty string), not 5'],
    [{ runtime: '' }, 'monc plugin: option runtime must be a module specifier (a non-empty string), not ""'],
    [{ dts: 'wrong' }, "monc plugin: option dts must be true, false or 'arbitrary-extension', not \"wrong\""],
    [{ forwardOnly: 'yes' }, 'monc plugin: option forwardOnly must be true or false, not "yes"'],
    [{ fowardOnly: true }, 'monc plugin: unknown option fowardOnly (the options are runtime, tuning, dts, forwardOnly, kernelSets)'],
    [{ kernelSets: 'portable' }, 'monc plugin: option kernelSets must be a non-empty list of kernel set names (the sets are tuned, tensor-core, large, portable, f32-storage), not "portable"'],
    [{ kernelSets: ['portable', 'tc'] }, 'monc plugin: option kernelSets must be a list of kernel set names, and "tc" is none (the sets are tuned, tensor-core, large, portable, f32-storage), not ["portable","tc"]'],
    ['forward-only', 'monc plugin: option options must be an object, not "forward-only"'],
  ])('%o is refused when the plugin is created', (options, message) => {
    let thrown: unknown;
    try {
      create(options)();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(MoncError);
    expect({ kind: (thrown as MoncError).kind, message: (thrown as MoncError).message }).toEqual({ kind: 'user', message });
  });

  it.each([undefined, {}, { runtime: 'monc/runtime', tuning: false, dts: 'arbitrary-extension', forwardOnly: true, kernelSets: ['portable', 'f32-storage'] }, { tuning: 'db.json', dts: false }])('%o is taken', (options) => {
    expect(create(options)()).toMatchObject({ name: 'monc' });
  });
});
