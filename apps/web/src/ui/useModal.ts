import { useEffect, useRef, type RefObject } from 'react';

/** A native <dialog> shown as a modal while `open` holds (Escape and backdrop come for free). */
export function useModal(open: boolean): RefObject<HTMLDialogElement | null> {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return ref;
}
