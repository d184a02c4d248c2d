import { describe, expect, it } from 'vitest';
import { SECTION_ROWS, sectionRows, type OutlineItem } from '../src/outline/Outline.tsx';

const items = (n: number): OutlineItem[] => Array.from({ length: n }, (_, i) => ({ id: `ns${i + 1}`, group: 'nodes', label: `ns${i + 1}`, text: `ns${i + 1}` }));

describe('outline sections', () => {
  it('draws a small section whole', () => {
    expect(sectionRows(items(12), false, null).map((i) => i.id)).toEqual(items(12).map((i) => i.id));
  });

  it('draws the first rows of a big one until asked for all', () => {
    const list = items(301);
    expect(sectionRows(list, false, null)).toHaveLength(SECTION_ROWS);
    expect(sectionRows(list, false, null)[0]!.id).toBe('ns1');
    expect(sectionRows(list, true, null)).toHaveLength(301);
  });

  it('always draws the selected item, once', () => {
    const list = items(301);
    const rows = sectionRows(list, false, 'ns250');
    expect(rows).toHaveLength(SECTION_ROWS + 1);
    expect(rows.at(-1)!.id).toBe('ns250');
    expect(sectionRows(list, false, 'ns3')).toHaveLength(SECTION_ROWS);
    expect(sectionRows(list, false, 'nothing')).toHaveLength(SECTION_ROWS);
  });
});
