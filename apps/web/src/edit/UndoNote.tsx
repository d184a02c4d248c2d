// What became of the last undo when the lab had moved past it (another tab already reverted it):
// shown under the toolbar until dismissed or the next undo, so the learner knows why nothing
// happened and that older undo steps still work.
import { useLab } from '../lab/context.ts';
import { useEditorState } from '../live/useLab.ts';
import './undo-note.css';

export function UndoNote() {
  const { editor } = useLab();
  const { note } = useEditorState(editor);
  if (!note) return null;
  return (
    <div className="undo-note" role="status">
      <span>{note}</span>
      <button type="button" className="small" onClick={() => editor.dismissNote()}>
        Dismiss
      </button>
    </div>
  );
}
