import { describe, expect, it } from 'vitest';
import { endOffset } from '../src/graph/style.ts';

describe('endOffset', () => {
  const label = 'veth-01\n10.1.5.10/24';
  it('clears the label\'s width along a level edge and only its height along an upright one', () => {
    const level = endOffset(label, 200, 0);
    const upright = endOffset(label, 0, -200);
    expect(level).toBe(Math.round(12 * 6.2 / 2 + 12));
    expect(upright).toBe(Math.round(2 * 12.5 / 2 + 12));
    expect(upright).toBeLessThan(level);
    const diagonal = endOffset(label, 100, 100);
    expect(diagonal).toBeGreaterThan(upright);
    expect(diagonal).toBeLessThan(level);
  });

  it('copes with no label and a zero-length edge', () => {
    expect(endOffset(undefined, 0, 0)).toBe(12);
  });
});
