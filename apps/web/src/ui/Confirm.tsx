// A modal yes/no built on <dialog>, so focus is trapped and Escape cancels without extra code.
import { useModal } from './useModal.ts';
import './confirm.css';

export interface ConfirmRequest {
  title: string;
  body: string;
  /** What goes with it, one thing a line (a deletion's addresses, links, routes). */
  items?: string[];
  /** Said after the list: what can bring it back. */
  note?: string;
  confirm: string;
  danger?: boolean;
  onConfirm(): void;
}

export function Confirm({ request, onClose }: { request: ConfirmRequest | null; onClose(): void }) {
  const ref = useModal(request !== null);
  return (
    <dialog ref={ref} className="dialog" onClose={onClose} aria-labelledby="confirm-title" aria-describedby="confirm-body">
      {request && (
        <form
          method="dialog"
          onSubmit={(e) => {
            e.preventDefault();
            request.onConfirm();
            onClose();
          }}
        >
          <h2 id="confirm-title">{request.title}</h2>
          <div id="confirm-body" className="confirm-body">
            <p>{request.body}</p>
            {request.items && request.items.length > 0 && (
              <ul className="confirm-items">
                {request.items.map((item, i) => (
                  <li key={i}>{item}</li>
                ))}
              </ul>
            )}
            {request.note && <p className="confirm-note">{request.note}</p>}
          </div>
          <div className="dialog-actions">
            <button type="button" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className={request.danger ? 'danger' : 'primary'} autoFocus>
              {request.confirm}
            </button>
          </div>
        </form>
      )}
    </dialog>
  );
}
