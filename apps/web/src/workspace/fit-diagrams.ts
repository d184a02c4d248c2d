// Guide text in a narrow pane: an ASCII diagram (a code block without a language) only makes sense
// unwrapped, so it is scaled down to the pane's width instead of scrolling sideways; the CSS does
// the scaling from --cols (its widest line, in characters) and the block's container width, so a
// pane being dragged wider or narrower needs no script. Commands (a block with a language) wrap.
import { useEffect, type RefObject } from 'react';

function widest(pre: HTMLElement): number {
  // One .md-line per source line; its first text node is the line (the copy button follows it).
  let n = 0;
  pre.querySelectorAll('.md-line').forEach((l) => {
    n = Math.max(n, l.firstChild?.nodeType === Node.TEXT_NODE ? (l.firstChild.textContent ?? '').replace(/\n$/, '').length : 0);
  });
  return n;
}

export function useFitDiagrams(root: RefObject<HTMLElement | null>): void {
  useEffect(() => {
    const el = root.current;
    if (!el) return;
    let raf = 0;
    const apply = () => {
      raf = 0;
      el.querySelectorAll<HTMLElement>('.md-code pre:not([data-lang])').forEach((pre) => {
        const cols = String(Math.max(1, widest(pre)));
        if (pre.style.getPropertyValue('--cols') !== cols) pre.style.setProperty('--cols', cols);
      });
    };
    const mo = new MutationObserver(() => {
      if (!raf) raf = requestAnimationFrame(apply);
    });
    mo.observe(el, { childList: true, subtree: true });
    apply();
    return () => {
      mo.disconnect();
      cancelAnimationFrame(raf);
    };
  }, [root]);
}
