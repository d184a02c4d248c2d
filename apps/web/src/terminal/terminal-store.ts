// Open terminals per lab, as plain immutable data for React (useSyncExternalStore). The xterm.js
// instances and sockets live in terminal-view.ts, keyed by the same ids; this module stays free of
// the DOM and xterm.js so other code (and node tests) can import it cheaply.
import { useSyncExternalStore } from 'react';
import type { TerminalStatus } from './terminal-connection.ts';

export type { TerminalStatus };

export interface TerminalInfo {
  id: string;
  lab: string;
  node: string;
  /** Tab title: the node name, numbered when a node has several terminals. */
  title: string;
  /** Server session id once the shell started (used to reattach after a dropped connection). */
  session: string | null;
  status: TerminalStatus;
  /** Why the shell is gone (status 'exited'). */
  exitReason: string | null;
}

export interface LabTerminals {
  terminals: readonly TerminalInfo[];
  /** The tab shown in the dock. */
  active: string | null;
  collapsed: boolean;
  /** Bumped by openTerminal/focus: the dock moves keyboard focus into the active terminal. */
  focusRequest: number;
}

const EMPTY: LabTerminals = Object.freeze({ terminals: Object.freeze([]) as readonly TerminalInfo[], active: null, collapsed: false, focusRequest: 0 });
const labs = new Map<string, LabTerminals>();
const listeners = new Set<() => void>();
const closeHooks = new Set<(t: TerminalInfo) => void>();
let seq = 0;

function emit(): void {
  for (const l of listeners) l();
}

function update(lab: string, f: (s: LabTerminals) => LabTerminals): void {
  labs.set(lab, f(labs.get(lab) ?? EMPTY));
  persist(lab);
  emit();
}

// A page reload keeps the tabs: their shells outlive the page (the server keeps a dropped terminal
// for its grace period), so the live ones are remembered per browser tab and re-attached.
const STORAGE_PREFIX = 'nslab.terminals.';

interface SavedTerminal {
  node: string;
  title: string;
  session: string;
}

function storage(): Storage | null {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage;
  } catch {
    return null; // storage disabled
  }
}

function persist(lab: string): void {
  const saved: SavedTerminal[] = getLabTerminals(lab)
    .terminals.filter((t) => t.session && t.status !== 'exited')
    .map((t) => ({ node: t.node, title: t.title, session: t.session! }));
  try {
    if (saved.length) storage()?.setItem(STORAGE_PREFIX + lab, JSON.stringify(saved));
    else storage()?.removeItem(STORAGE_PREFIX + lab);
  } catch {
    /* full or disabled: a reload then starts without tabs */
  }
}

/**
 * Bring back the tabs this browser tab had open on `lab` before a reload (once per page load); each
 * re-attaches to its shell. Sessions that ended meanwhile come back as exited tabs saying why.
 */
export function restoreTerminals(lab: string): void {
  if (labs.has(lab)) return;
  let saved: SavedTerminal[] = [];
  try {
    const v = JSON.parse(storage()?.getItem(STORAGE_PREFIX + lab) ?? '[]') as unknown;
    if (Array.isArray(v)) {
      saved = v.filter((x): x is SavedTerminal => typeof x?.node === 'string' && typeof x?.title === 'string' && typeof x?.session === 'string');
    }
  } catch {
    /* unreadable: start without tabs */
  }
  if (!saved.length) return;
  const terminals = saved.map((t): TerminalInfo => ({ id: `t${++seq}`, lab, node: t.node, title: t.title, session: t.session, status: 'connecting', exitReason: null }));
  // No emit: this runs while the lab screen first renders, before anything shows its terminals.
  labs.set(lab, { terminals, active: terminals.at(-1)!.id, collapsed: false, focusRequest: 0 });
}

export function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Stable snapshot for a lab (same object until something changes). */
export function getLabTerminals(lab: string): LabTerminals {
  return labs.get(lab) ?? EMPTY;
}

export function useLabTerminals(lab: string): LabTerminals {
  return useSyncExternalStore(subscribe, () => getLabTerminals(lab));
}

/** Open a new terminal on `node` (a namespace, or "host") and show it in the dock. */
export function openTerminal(lab: string, node: string): void {
  const id = `t${++seq}`;
  update(lab, (s) => {
    const same = s.terminals.filter((t) => t.node === node).length;
    const t: TerminalInfo = { id, lab, node, title: same ? `${node} (${same + 1})` : node, session: null, status: 'connecting', exitReason: null };
    return { terminals: [...s.terminals, t], active: id, collapsed: false, focusRequest: s.focusRequest + 1 };
  });
}

/** Terminals on `node` whose shell is still alive (connecting, open or reconnecting). */
export function openTerminalCount(lab: string, node: string): number {
  return getLabTerminals(lab).terminals.filter((t) => t.node === node && t.status !== 'exited').length;
}

/** openTerminalCount that re-renders the component when the count changes. */
export function useOpenTerminalCount(lab: string, node: string): number {
  return useSyncExternalStore(subscribe, () => openTerminalCount(lab, node));
}

export function findTerminal(id: string): TerminalInfo | undefined {
  for (const s of labs.values()) {
    const t = s.terminals.find((x) => x.id === id);
    if (t) return t;
  }
  return undefined;
}

/** Close a terminal's tab; its shell ends for good. */
export function closeTerminal(id: string): void {
  const t = findTerminal(id);
  if (!t) return;
  update(t.lab, (s) => {
    const i = s.terminals.findIndex((x) => x.id === id);
    const terminals = s.terminals.filter((x) => x.id !== id);
    // Show the neighbour of the closed tab when it was the active one.
    const active = s.active !== id ? s.active : (terminals[Math.min(i, terminals.length - 1)]?.id ?? null);
    return { ...s, terminals, active };
  });
  for (const h of closeHooks) h(t);
}

/** Show (and expand the dock to) a terminal; the dock moves keyboard focus into it. */
export function focus(id: string): void {
  const t = findTerminal(id);
  if (t) update(t.lab, (s) => ({ ...s, active: id, collapsed: false, focusRequest: s.focusRequest + 1 }));
}

export function setCollapsed(lab: string, collapsed: boolean): void {
  if (getLabTerminals(lab).collapsed !== collapsed) update(lab, (s) => ({ ...s, collapsed }));
}

/** Connection state changes, from terminal-view.ts. */
export function updateTerminal(id: string, patch: Partial<Pick<TerminalInfo, 'session' | 'status' | 'exitReason'>>): void {
  const t = findTerminal(id);
  if (!t) return;
  update(t.lab, (s) => ({ ...s, terminals: s.terminals.map((x) => (x.id === id ? { ...x, ...patch } : x)) }));
}

/** Called when a terminal is closed (terminal-view.ts disposes its xterm and socket). */
export function onTerminalClosed(hook: (t: TerminalInfo) => void): () => void {
  closeHooks.add(hook);
  return () => closeHooks.delete(hook);
}

// For tests and for the rest of the app's own tests: open a terminal without the graph.
declare global {
  interface Window {
    __nslab_openTerminal?: (lab: string, node: string) => void;
    __nslab_terminals?: (lab: string) => LabTerminals;
  }
}
if (typeof window !== 'undefined') {
  window.__nslab_openTerminal = openTerminal;
  window.__nslab_terminals = getLabTerminals;
}
