// The lab screen's keyboard shortcuts. Single keys (N, B, C, F, /, Delete) act only while the graph
// has the keyboard — it was clicked last, or reached with Tab, or its outline (the same elements as
// a tree, for the keyboard) has focus — never while the learner types in a field, a terminal or a
// dialog, nor anywhere else: there a key is text, and swallowing it loses what was typed.
// Ctrl+Z and Esc work anywhere but in fields, terminals and dialogs.
import { useEffect, useRef } from 'react';

export type Shortcut = 'undo' | 'escape' | 'delete' | 'connect' | 'fit' | 'new-namespace' | 'new-bridge' | 'search';

export interface KeyPress {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
  defaultPrevented: boolean;
}

export interface KeyPlace {
  /** Focus is in a field, a terminal, a dialog or anything editable. */
  typing: boolean;
  /** The graph has the keyboard. */
  onCanvas: boolean;
}

const SINGLE: Record<string, Shortcut> = {
  Delete: 'delete',
  Backspace: 'delete',
  c: 'connect',
  f: 'fit',
  n: 'new-namespace',
  b: 'new-bridge',
  '/': 'search',
};

/** Pure: what a key press means where it happened, or null (left to the browser). */
export function shortcutFor(e: KeyPress, where: KeyPlace): Shortcut | null {
  if (e.defaultPrevented || where.typing) return null;
  const mod = e.ctrlKey || e.metaKey;
  if (mod && !e.shiftKey && !e.altKey && e.key.toLowerCase() === 'z') return 'undo';
  if (mod || e.altKey) return null;
  if (e.key === 'Escape') return 'escape';
  if (!where.onCanvas) return null;
  return SINGLE[e.key.length === 1 ? e.key.toLowerCase() : e.key] ?? null;
}

/** Where keys are text: fields, editable content, open dialogs, the docks (terminals, captures). */
export function typingIn(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  if (!el || !el.tagName) return false;
  return el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName) || !!el.closest('dialog[open], .nslab-dock, .xterm');
}

/** The graph's focusable frame (LabScreen gives it tabIndex), the Cytoscape container in it, the outline's tree. */
const FRAME = '.canvas-wrap';
const GRAPH = '.canvas';
const OUTLINE = '[role="tree"]';

/** Give the graph the keyboard (after a toolbar form closes, say). */
export function focusCanvas(): void {
  document.querySelector<HTMLElement>(FRAME)?.focus({ preventScroll: true });
}

/**
 * Calls `on` for each shortcut. Cytoscape blurs whatever had focus when the graph is pressed, so
 * "the graph has the keyboard" is: focus on its frame, or nothing focused since the graph was the
 * last thing pressed.
 */
export function useLabShortcuts(on: (s: Shortcut, e: KeyboardEvent) => void): void {
  const handler = useRef(on);
  handler.current = on;
  useEffect(() => {
    let pressedGraph = false;
    const onPointer = (e: PointerEvent) => {
      pressedGraph = !!(e.target as Element | null)?.closest?.(GRAPH);
    };
    const onFocus = (e: FocusEvent) => {
      if (!(e.target as Element | null)?.matches?.(FRAME)) pressedGraph = false;
    };
    const onKey = (e: KeyboardEvent) => {
      const active = document.activeElement as HTMLElement | null;
      const idle = !active || active === document.body;
      const onCanvas = !!active?.matches?.(FRAME) || !!active?.closest?.(`${GRAPH}, ${OUTLINE}`) || (idle && pressedGraph);
      const s = shortcutFor(e, { typing: typingIn(e.target), onCanvas });
      if (s) handler.current(s, e);
    };
    document.addEventListener('pointerdown', onPointer, true);
    document.addEventListener('focusin', onFocus);
    window.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('pointerdown', onPointer, true);
      document.removeEventListener('focusin', onFocus);
      window.removeEventListener('keydown', onKey);
    };
  }, []);
}
