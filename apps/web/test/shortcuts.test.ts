import { describe, expect, it } from 'vitest';
import { shortcutFor, type KeyPress, type KeyPlace } from '../src/lab/shortcuts.ts';

const key = (k: string, mods: Partial<KeyPress> = {}): KeyPress => ({ key: k, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, defaultPrevented: false, ...mods });
const canvas: KeyPlace = { typing: false, onCanvas: true };
const elsewhere: KeyPlace = { typing: false, onCanvas: false };
const typing: KeyPlace = { typing: true, onCanvas: false };

describe('shortcutFor', () => {
  it('single keys act while the graph has the keyboard', () => {
    expect(['n', 'N', 'b', 'c', 'C', 'f', '/', 'Delete', 'Backspace'].map((k) => shortcutFor(key(k), canvas))).toEqual([
      'new-namespace',
      'new-namespace',
      'new-bridge',
      'connect',
      'connect',
      'fit',
      'search',
      'delete',
      'delete',
    ]);
  });

  it('single keys do nothing anywhere else: they are text, or meant for what has focus', () => {
    for (const k of ['n', 'b', 'c', 'f', '/', 'Delete', 'Backspace']) {
      expect(shortcutFor(key(k), elsewhere)).toBeNull();
      expect(shortcutFor(key(k), typing)).toBeNull();
    }
  });

  it('Ctrl+Z and Esc work anywhere but while typing', () => {
    expect(shortcutFor(key('z', { ctrlKey: true }), elsewhere)).toBe('undo');
    expect(shortcutFor(key('z', { metaKey: true }), canvas)).toBe('undo');
    expect(shortcutFor(key('Escape'), elsewhere)).toBe('escape');
    // In a terminal Ctrl+Z suspends the foreground job; in a field it undoes typing.
    expect(shortcutFor(key('z', { ctrlKey: true }), typing)).toBeNull();
    expect(shortcutFor(key('Escape'), typing)).toBeNull();
  });

  it('leaves modified keys and handled events alone', () => {
    expect(shortcutFor(key('z', { ctrlKey: true, shiftKey: true }), canvas)).toBeNull();
    expect(shortcutFor(key('n', { ctrlKey: true }), canvas)).toBeNull();
    expect(shortcutFor(key('c', { altKey: true }), canvas)).toBeNull();
    expect(shortcutFor(key('n', { defaultPrevented: true }), canvas)).toBeNull();
    expect(shortcutFor(key('x'), canvas)).toBeNull();
  });
});
