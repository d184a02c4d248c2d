import { useSyncExternalStore } from 'react';
import type { LabState, LabStore } from './lab-store.ts';
import type { Editor, EditorState } from '../edit/editor.ts';

export function useLabState(store: LabStore): LabState {
  return useSyncExternalStore(store.subscribe, store.getState);
}

export function useEditorState(editor: Editor): EditorState {
  return useSyncExternalStore(editor.subscribe, editor.getState);
}
