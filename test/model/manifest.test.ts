/** The manifest ships each map's model, spans dropped, tied bodies included: a runtime needs nothing else to know what a map means. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileModule } from '../../src/compile.js';
import { checkSource } from '../../src/dsl/index.js';
import { modelOf } from '../../src/model/build.js';
import { modelWithoutSpans } from '../../src/model/without-spans.js';

const file = join(import.meta.dirname, '../../examples/ffn.mon');
const source = readFileSync(file, 'utf8');

describe('manifest model', () => {
  it('is modelOf(map) without spans, for every map (ffn: a sum with bias, and a chain of two tied maps)', () => {
    const manifest = compileModule(source, file).outputs!.manifest;
    const checked = checkSource(source, file).module!;
    expect(JSON.stringify(checked.maps[0].structure)).toContain('"span"');
    for (const map of checked.maps) {
      const shipped = manifest.maps.find((m) => m.name === map.name)!.model;
      expect(JSON.stringify(shipped)).not.toContain('"span"');
      expect(shipped).toEqual(JSON.parse(JSON.stringify(modelWithoutSpans(modelOf(map)))));
    }
    const ffn = manifest.maps.find((m) => m.name === 'ffn')!.model.body;
    expect(ffn.kind === 'chain' && ffn.stages.map((s) => (s.kind === 'tied' ? s.map : s.kind))).toEqual(['up', 'down']);
  });
});
