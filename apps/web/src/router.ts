// Two screens, so no router library: the path is the state, history.pushState moves between them.
import { useSyncExternalStore } from 'react';

const EVENT = 'nslab:navigate';

export type Route =
  | { screen: 'home' }
  | { screen: 'lab'; name: string }
  // Classroom mode's pages (classroom/ClassroomGate.tsx); token mode has none of them.
  | { screen: 'join' }
  | { screen: 'class'; id: string }
  | { screen: 'grid'; classId: string; id: string }
  | { screen: 'users' }
  | { screen: 'missing'; path: string };

export function parseRoute(path: string): Route {
  if (path === '/' || path === '') return { screen: 'home' };
  if (path === '/join' || path === '/join/') return { screen: 'join' };
  if (path === '/users' || path === '/users/') return { screen: 'users' };
  const c = /^\/classes\/([1-9][0-9]{0,15})\/?$/.exec(path);
  if (c) return { screen: 'class', id: c[1]! };
  const g = /^\/classes\/([1-9][0-9]{0,15})\/assignments\/([1-9][0-9]{0,15})\/?$/.exec(path);
  if (g) return { screen: 'grid', classId: g[1]!, id: g[2]! };
  const m = /^\/labs\/([^/]+)\/?$/.exec(path);
  if (m) {
    try {
      return { screen: 'lab', name: decodeURIComponent(m[1]!) };
    } catch {
      /* malformed escape: not a lab path */
    }
  }
  return { screen: 'missing', path };
}

export function labPath(name: string): string {
  return `/labs/${encodeURIComponent(name)}`;
}

export function navigate(path: string): void {
  if (path === location.pathname) return;
  history.pushState(null, '', path);
  window.dispatchEvent(new Event(EVENT));
}

function subscribe(cb: () => void): () => void {
  window.addEventListener('popstate', cb);
  window.addEventListener(EVENT, cb);
  return () => {
    window.removeEventListener('popstate', cb);
    window.removeEventListener(EVENT, cb);
  };
}

export function usePath(): string {
  return useSyncExternalStore(subscribe, () => location.pathname);
}

/** Click handler for in-app links: plain clicks navigate in place, modified clicks open tabs as usual. */
export function linkClick(path: string) {
  return (e: { button: number; metaKey: boolean; ctrlKey: boolean; shiftKey: boolean; altKey: boolean; preventDefault(): void }) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(path);
  };
}
