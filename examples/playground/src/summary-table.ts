/** The table of a module's maps: shape, parameters and FLOPs per row against the dense layer. */
import { denseCost, structureCost } from '../../../src/dsl/cost.js';
import type { CheckedModule } from '../../../src/dsl/structure.js';

const number = new Intl.NumberFormat('en-US');

function ratio(structured: number, dense: number): string {
  return structured === 0 ? '—' : `${(dense / structured).toFixed(1)}x`;
}

export function renderSummary(table: HTMLTableElement, module: CheckedModule, selected: string, onSelect: (map: string) => void): void {
  const head = '<thead><tr><th>map</th><th>in → out</th><th>params</th><th>dense</th><th>fewer</th><th>FLOPs/row</th><th>dense</th><th>fewer</th></tr></thead>';
  table.innerHTML = head;
  const body = table.createTBody();
  for (const map of module.maps) {
    const cost = structureCost(map.structure);
    const dense = denseCost(map.in, map.out);
    const row = body.insertRow();
    row.dataset.map = map.name;
    if (map.name === selected) row.className = 'selected';
    const cells = [
      map.name,
      `${map.in} → ${map.out}`,
      number.format(cost.params),
      number.format(dense.params),
      ratio(cost.params, dense.params),
      number.format(cost.flopsPerRow),
      number.format(dense.flopsPerRow),
      ratio(cost.flopsPerRow, dense.flopsPerRow),
    ];
    for (const text of cells) row.insertCell().textContent = text;
    row.addEventListener('click', () => onSelect(map.name));
  }
}
