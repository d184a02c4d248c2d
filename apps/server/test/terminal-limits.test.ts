// The pure parts of terminal limits: cap slots taken synchronously, and the per-lab input budget.
import { describe, expect, it, vi } from 'vitest';
import { InputBudget, TerminalManager } from '../src/terminals.ts';

describe('terminal slots', () => {
  it('hands out at most the cap per lab, counts slots still opening, and a slot comes back once', () => {
    const m = new TerminalManager(1000);
    const slots = Array.from({ length: 5 }, () => m.reserve('a', 3));
    expect(slots.filter(Boolean)).toHaveLength(3);
    expect(m.count('a')).toBe(3);
    expect(m.reserve('b', 3)).not.toBeNull(); // another lab has its own slots
    slots[0]!.release();
    slots[0]!.release(); // twice is once
    expect(m.count('a')).toBe(2);
    expect(m.reserve('a', 3)).not.toBeNull();
    expect(m.reserve('a', 3)).toBeNull();
  });
});

describe('input budget', () => {
  it('lets a burst through, then asks to wait as long as the rate needs to pay the excess back', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    try {
      const b = new InputBudget(1000, 500); // 1000 bytes/s, 500 at once
      expect(b.take(500)).toBe(0);
      expect(b.take(250)).toBe(250); // 250 bytes over: 250 ms
      vi.advanceTimersByTime(250);
      expect(b.take(0)).toBe(0);
      vi.advanceTimersByTime(10_000); // refills to the burst, no further
      expect(b.take(500)).toBe(0);
      expect(b.take(1)).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });
});
