// One collapsible pane of the workspace: its react-resizable-panels handle, whether it is open, and
// the size it reopens at. Opening and closing by button, or by dragging its edge past its minimum,
// are remembered (pane-memory.ts); sizes the window imposes (a smaller screen) are not.
import { useCallback, useMemo, useRef, useState } from 'react';
import type { PanelImperativeHandle, PanelSize } from 'react-resizable-panels';
import { recallPane, rememberPane, type PaneId } from './pane-memory.ts';

export interface PaneDefaults {
  open: boolean;
  /** Pixels. */
  size: number;
  /** Pixels: the strip (or header) left when closed. */
  collapsedSize: number;
}

export interface Pane {
  id: PaneId;
  ref: React.RefObject<PanelImperativeHandle | null>;
  open: boolean;
  /** The learner chose this pane's state (now or in an earlier visit): defaults no longer apply. */
  touched: boolean;
  /** What the Panel starts at (pixels). */
  initialSize: number;
  collapsedSize: number;
  setOpen(open: boolean, byUser?: boolean): void;
  toggle(): void;
  /** For the Panel's onResize. */
  onResize(size: PanelSize): void;
  /** Remember the current state (after the learner dragged an edge). */
  remember(): void;
}

export function usePane(id: PaneId, defaults: PaneDefaults): Pane {
  const [initial] = useState(() => {
    const m = recallPane(id);
    return { open: m?.open ?? defaults.open, size: m?.size ?? defaults.size, touched: m !== undefined };
  });
  const ref = useRef<PanelImperativeHandle | null>(null);
  const [open, setOpenState] = useState(initial.open);
  const last = useRef(initial.size);
  const touched = useRef(initial.touched);
  const collapsedSize = defaults.collapsedSize;

  const setOpen = useCallback(
    (want: boolean, byUser = true) => {
      const p = ref.current;
      if (!p) return;
      if (want && p.isCollapsed()) p.resize(last.current);
      else if (!want && !p.isCollapsed()) p.collapse();
      if (byUser) {
        touched.current = true;
        rememberPane(id, { size: last.current, open: want });
      }
    },
    [id],
  );

  const onResize = useCallback(
    (size: PanelSize) => {
      const collapsed = ref.current?.isCollapsed() ?? size.inPixels <= collapsedSize + 1;
      if (!collapsed && size.inPixels > collapsedSize + 1) last.current = size.inPixels;
      setOpenState(!collapsed);
    },
    [collapsedSize],
  );

  const remember = useCallback(() => {
    const p = ref.current;
    if (!p) return;
    touched.current = true;
    rememberPane(id, { size: last.current, open: !p.isCollapsed() });
  }, [id]);

  return useMemo(
    () => ({
      id,
      ref,
      open,
      touched: touched.current,
      initialSize: initial.open ? initial.size : collapsedSize,
      collapsedSize,
      setOpen,
      toggle: () => setOpen(!(ref.current ? !ref.current.isCollapsed() : open)),
      onResize,
      remember,
    }),
    [id, open, initial, collapsedSize, setOpen, onResize, remember],
  );
}
