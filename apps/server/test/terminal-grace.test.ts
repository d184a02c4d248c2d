// The terminal grace period: long enough for a coffee break unless configured otherwise.
import { describe, expect, it } from 'vitest';
import { DEFAULT_TERMINAL_GRACE_MS, terminalGraceMs } from '../src/terminals.ts';

describe('terminalGraceMs', () => {
  it('is 30 minutes unless NSLAB_TERMINAL_GRACE says otherwise (in seconds)', () => {
    expect(DEFAULT_TERMINAL_GRACE_MS).toBe(30 * 60_000);
    expect(terminalGraceMs({})).toBe(DEFAULT_TERMINAL_GRACE_MS);
    expect(terminalGraceMs({ NSLAB_TERMINAL_GRACE: ' ' })).toBe(DEFAULT_TERMINAL_GRACE_MS);
    expect(terminalGraceMs({ NSLAB_TERMINAL_GRACE: '2' })).toBe(2000);
    expect(terminalGraceMs({ NSLAB_TERMINAL_GRACE: '90.5' })).toBe(90_500);
  });

  it('refuses a value that is not a number of seconds, naming the variable', () => {
    for (const v of ['0', '0.5', '-5', 'ten', '1e9', 'Infinity']) {
      expect(() => terminalGraceMs({ NSLAB_TERMINAL_GRACE: v })).toThrow(`NSLAB_TERMINAL_GRACE must be a number of seconds from 1 to 604800, got "${v}"`);
    }
  });
});
