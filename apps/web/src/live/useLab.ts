import { useSyncExternalStore } from 'react';
import type { LabState, LabStore } from './lab-store.ts';
import type { Traffic } from './traffic.ts';
import type { Editor, EditorState } from '../edit/editor.ts';

export function useLabState(store: LabStore): LabState {
  return useSyncExternalStore(store.subscribe, store.getState);
}

export function useEditorState(editor: Editor): EditorState {
  return useSyncExternalStore(editor.subscribe, editor.getState);
}

/** Live counters and rates (re-renders about once a second while the page is visible). */
export function useTraffic(store: LabStore): Traffic {
  return useSyncExternalStore(store.subscribeTraffic, store.getTraffic);
}
