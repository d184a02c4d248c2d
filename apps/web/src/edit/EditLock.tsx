// Wraps a panel's controls: once the editor is locked (the lab was destroyed) every button, field
// and menu inside is disabled at once, by the browser (a disabled <fieldset>), none forgotten.
import type { CSSProperties, ReactNode } from 'react';
import { useLab } from '../lab/context.ts';
import { useEditorState } from '../live/useLab.ts';

// A fieldset draws a frame and indents by default; this one only groups.
const PLAIN: CSSProperties = { border: 0, margin: 0, padding: 0, minWidth: 0 };

export function EditLock({ children }: { children: ReactNode }) {
  const { editor } = useLab();
  const { locked } = useEditorState(editor);
  return (
    <fieldset className="edit-lock" style={PLAIN} disabled={locked !== null} title={locked ?? undefined}>
      {children}
    </fieldset>
  );
}
