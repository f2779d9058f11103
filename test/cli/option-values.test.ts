/**
 * An option that takes a positive integer gives one message for every value that is not one
 * (-1, 1.5 and 0 alike), so a user who follows it is not refused again with another; options that
 * accept 0 say "non-negative". Exit 2 (usage), --json kind usage.
 */
import { describe, expect, it } from 'vitest';
import { cli } from './helpers.js';

const TRAIN = ['train', 's.mon', '--map', 'f', '--params', 'p.safetensors', '--input', 'x.npy', '--target', 'y.npy', '--out', 'o.safetensors'];

describe('integer option values', () => {
  it.each([
    [[...TRAIN, '--steps'], '--steps <n>'],
    [[...TRAIN, '--batch'], '--batch <n>'],
    [['tune', 's.mon', '--max-candidates'], '--max-candidates <n>'],
    [['bench', 's.mon', '--map', 'f', '--batch'], '--batch <n>'],
  ])('%j: -1, 1.5, 0 and x all "must be a positive integer"', async (args, option) => {
    // train --steps 0 is bad input (exit 1, issue 10; grad-train.test.ts), the same words.
    for (const value of args[0] === 'train' && option === '--steps <n>' ? ['-1', '1.5', 'x'] : ['-1', '1.5', '0', 'x']) {
      const r = await cli([...args, value, '--json']);
      expect(r.code, value).toBe(2);
      expect(JSON.parse(r.stdout).error).toEqual({ kind: 'usage', message: `option '${option}' argument '${value}' is invalid. must be a positive integer.` });
    }
  });

  it('an option that accepts 0 (--seed) says "non-negative integer", and takes 0', async () => {
    const r = await cli([...TRAIN, '--seed', '-1', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error.message).toBe("option '--seed <n>' argument '-1' is invalid. must be a non-negative integer.");
    // 0 passes the parser: the command then fails on the missing spec file (exit 1), not on the option.
    expect((await cli([...TRAIN, '--seed', '0', '--backend', 'cpu'])).code).toBe(1);
  });

  it('an integer beyond 2^53 - 1 is refused as too large, not as no integer (s13 outside testers: --seed 9007199254740993)', async () => {
    for (const [args, what] of [[[...TRAIN, '--seed'], 'a non-negative integer'], [[...TRAIN, '--steps'], 'a positive integer']] as const) {
      const r = await cli([...args, '9007199254740993', '--json']);
      expect(r.code).toBe(2);
      expect(JSON.parse(r.stdout).error.message).toBe(`option '${args.at(-1)} <n>' argument '9007199254740993' is invalid. must be ${what} at most 2^53 - 1 (9007199254740991).`);
    }
    // The largest one passes the parser where a seed takes 53 bits (init's): the command then fails on the missing spec file (exit 1).
    expect((await cli(['init', 's.mon', '--map', 'f', '--out', 'p.safetensors', '--seed', '9007199254740991'])).code).toBe(1);
  });

  // QA1 s21 Q06: train's shuffle and project's random factors take 32 bits: --seed 4294967296 ran as --seed 0.
  it('train and project take seeds up to 2^32 - 1, refusing larger ones (which their generators would alias)', async () => {
    const PROJECT = ['project', 's.mon', '--map', 'f', '--dense', 'w.npy', '--out', 'o.safetensors'];
    for (const args of [TRAIN, PROJECT]) {
      const r = await cli([...args, '--seed', '4294967296', '--json']);
      expect(r.code, args[0]).toBe(2);
      expect(JSON.parse(r.stdout).error).toEqual({ kind: 'usage', message: "option '--seed <n>' argument '4294967296' is invalid. must be a non-negative integer at most 2^32 - 1 (4294967295)." });
      expect((await cli([...args, '--seed', '4294967295'])).code, args[0]).toBe(1);
    }
  });

  it('bench --tuning and --no-tuning together are refused (Commander let the last one win), in either order', async () => {
    for (const order of [['--tuning', 'db.json', '--no-tuning'], ['--no-tuning', '--tuning']]) {
      const r = await cli(['bench', 's.mon', '--map', 'f', '--batch', '4', ...order, '--json']);
      expect(r.code, order.join(' ')).toBe(2);
      expect(JSON.parse(r.stdout).error).toEqual({ kind: 'usage', message: "options '--tuning' and '--no-tuning' contradict each other; give one of them" });
    }
  });
});
