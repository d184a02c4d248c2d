// Open captures per lab for React (useSyncExternalStore): tabs, the start form's target, status
// counters. The lines themselves live outside React state (CaptureLines per capture, plus a change
// signal) because a flood would otherwise re-render the panel hundreds of times a second.
import { useSyncExternalStore } from 'react';
import type { CaptureInfo } from '@nslab/protocol';
import { api } from '../api.ts';
import { CaptureLines } from './capture-lines.ts';
import { CaptureStream, type CaptureSocket, type StreamStatus } from './capture-connection.ts';

/** What the start form is about: an interface chosen in the inspector. */
export interface CaptureTarget {
  node: string;
  iface: string;
  /** The interface's kind (a bridge gets a note on what it can see). */
  kind?: string;
}

export interface CaptureTab {
  id: string;
  lab: string;
  info: CaptureInfo;
  /** Lines the server could not send us (we were too slow, or joined late). */
  dropped: number;
  stream: StreamStatus;
  streamError: string | null;
  /** Rendering paused; lines keep arriving (the newest are kept). */
  paused: boolean;
}

export interface LabCaptures {
  tabs: readonly CaptureTab[];
  /** Capture id shown, or 'new' for the start form. */
  active: string | null;
  target: CaptureTarget | null;
  collapsed: boolean;
}

const EMPTY: LabCaptures = Object.freeze({ tabs: Object.freeze([]) as readonly CaptureTab[], active: null, target: null, collapsed: false });
const labs = new Map<string, LabCaptures>();
const listeners = new Set<() => void>();
const streams = new Map<string, CaptureStream>();
const lineStores = new Map<string, CaptureLines>();
const lineListeners = new Map<string, Set<() => void>>();

function emit(): void {
  for (const l of listeners) l();
}

function update(lab: string, f: (s: LabCaptures) => LabCaptures): void {
  labs.set(lab, f(labs.get(lab) ?? EMPTY));
  emit();
}

function patchTab(lab: string, id: string, patch: Partial<CaptureTab>): void {
  const s = labs.get(lab);
  if (!s?.tabs.some((t) => t.id === id)) return;
  update(lab, (x) => ({ ...x, tabs: x.tabs.map((t) => (t.id === id ? { ...t, ...patch } : t)) }));
}

export function subscribe(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

export function getLabCaptures(lab: string): LabCaptures {
  return labs.get(lab) ?? EMPTY;
}

export function useLabCaptures(lab: string): LabCaptures {
  return useSyncExternalStore(subscribe, () => getLabCaptures(lab));
}

/** Open the start form for an interface (from the inspector). */
export function requestCapture(lab: string, target: CaptureTarget): void {
  update(lab, (s) => ({ ...s, target, active: 'new', collapsed: false }));
}

export function cancelRequest(lab: string): void {
  update(lab, (s) => ({ ...s, target: null, active: s.active === 'new' ? (s.tabs.at(-1)?.id ?? null) : s.active }));
}

export function showCapture(lab: string, id: string): void {
  update(lab, (s) => ({ ...s, active: id, collapsed: false }));
}

export function setCollapsed(lab: string, collapsed: boolean): void {
  update(lab, (s) => ({ ...s, collapsed }));
}

export function linesOf(id: string): CaptureLines {
  let l = lineStores.get(id);
  if (!l) {
    l = new CaptureLines();
    lineStores.set(id, l);
  }
  return l;
}

/** Called whenever the lines of `id` change (new lines, cleared). */
export function onLines(id: string, cb: () => void): () => void {
  let set = lineListeners.get(id);
  if (!set) lineListeners.set(id, (set = new Set()));
  set.add(cb);
  return () => set.delete(cb);
}

function linesChanged(id: string): void {
  for (const cb of lineListeners.get(id) ?? []) cb();
}

function socketUrl(path: string): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${location.host}${path}`;
}

function attach(lab: string, info: CaptureInfo): void {
  if (streams.has(info.id)) return;
  const lines = linesOf(info.id);
  const stream = new CaptureStream(api.captureEventsPath(lab, info.id), (url) => new WebSocket(socketUrl(url)) as unknown as CaptureSocket, {
    onLines: (first, batch) => {
      lines.push(first, batch);
      linesChanged(info.id);
    },
    onStatus: (capture, dropped) => patchTab(lab, info.id, { info: capture, dropped }),
    onStream: (status, error) => patchTab(lab, info.id, { stream: status, ...(error ? { streamError: error } : {}) }),
  });
  streams.set(info.id, stream);
}

function addTab(lab: string, info: CaptureInfo, show: boolean): void {
  update(lab, (s) => {
    if (s.tabs.some((t) => t.id === info.id)) return s;
    const tab: CaptureTab = { id: info.id, lab, info, dropped: 0, stream: 'connecting', streamError: null, paused: false };
    return { ...s, tabs: [...s.tabs, tab], ...(show ? { active: info.id, target: null, collapsed: false } : {}) };
  });
  attach(lab, info);
}

/** Start a capture on the target; resolves with it, or throws the server's error (shown by the form). */
export async function startCapture(lab: string, target: CaptureTarget, opts: { filter: string; linkHeader: boolean }): Promise<CaptureInfo> {
  const info = await api.startCapture(lab, {
    node: target.node,
    interface: target.iface,
    ...(opts.filter.trim() ? { filter: opts.filter.trim() } : {}),
    ...(opts.linkHeader ? { linkHeader: true } : {}),
  });
  addTab(lab, info, true);
  return info;
}

/** Captures the server already has for this lab (started in another tab, or before a reload). */
export async function adoptCaptures(lab: string): Promise<void> {
  const list = await api.listCaptures(lab);
  for (const info of list) addTab(lab, info, false);
  const s = getLabCaptures(lab);
  if (!s.active && s.tabs.length) update(lab, (x) => ({ ...x, active: x.tabs.at(-1)!.id }));
}

export function stopCapture(lab: string, id: string): Promise<unknown> {
  return api.stopCapture(lab, id);
}

/** Close the tab and discard the capture on the server. */
export async function closeCapture(lab: string, id: string): Promise<void> {
  streams.get(id)?.close();
  streams.delete(id);
  lineStores.delete(id);
  lineListeners.delete(id);
  update(lab, (s) => {
    const i = s.tabs.findIndex((t) => t.id === id);
    const tabs = s.tabs.filter((t) => t.id !== id);
    const active = s.active !== id ? s.active : (tabs[Math.min(i, tabs.length - 1)]?.id ?? (s.target ? 'new' : null));
    return { ...s, tabs, active };
  });
  try {
    await api.discardCapture(lab, id);
  } catch {
    /* already gone (lab destroyed, server restarted): nothing to discard */
  }
}

export function setPaused(lab: string, id: string, paused: boolean): void {
  patchTab(lab, id, { paused });
}

export function clearLines(id: string): void {
  linesOf(id).clear();
  linesChanged(id);
}

/** Leaving the lab screen: stop listening (the captures themselves keep running on the server). */
export function detachLab(lab: string): void {
  for (const t of getLabCaptures(lab).tabs) {
    streams.get(t.id)?.close();
    streams.delete(t.id);
    lineStores.delete(t.id);
    lineListeners.delete(t.id);
  }
  labs.delete(lab);
  emit();
}
