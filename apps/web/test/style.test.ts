import { describe, expect, it } from 'vitest';
import { endOffset, endOffsetAt, portRing } from '../src/graph/style.ts';

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

describe('endOffsetAt', () => {
  const label = 'd3\n10.2.3.1/24';
  it('is the plain offset for a link alone at its node', () => {
    expect(endOffsetAt(label, 0, 200, 1)).toBe(endOffset(label, 0, 200));
  });

  it('moves labels of two links that leave a node close together out until they sit side by side', () => {
    const alone = endOffsetAt(label, 0, 600, 2);
    const close = endOffsetAt(label, 0, 600, 2, 0.4);
    expect(close).toBeGreaterThan(alone);
    // Side by side: the two labels' centres are at least a label's width apart across the links.
    expect(2 * close * Math.sin(0.4 / 2)).toBeGreaterThanOrEqual(11 * 6.2);
    // Never past 45% of the link, where the other end's label is.
    expect(endOffsetAt(label, 0, 100, 2, 0.1)).toBeLessThanOrEqual(45);
  });

  it('puts the port labels of a busy bridge on a ring that grows with the ports, not in a knot', () => {
    expect(portRing(3)).toBe(0);
    expect(portRing(30)).toBeGreaterThan(100);
    expect(endOffsetAt('br7', 500, 0, 30)).toBe(portRing(30));
    expect(endOffsetAt('br7', 500, 0, 300)).toBe(Math.round(500 * 0.45));
  });
});
