// A modal yes/no built on <dialog>, so focus is trapped and Escape cancels without extra code.
import { useModal } from './useModal.ts';

export interface ConfirmRequest {
  title: string;
  body: string;
  confirm: string;
  danger?: boolean;
  onConfirm(): void;
}

export function Confirm({ request, onClose }: { request: ConfirmRequest | null; onClose(): void }) {
  const ref = useModal(request !== null);
  return (
    <dialog ref={ref} className="dialog" onClose={onClose} aria-labelledby="confirm-title">
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
          <p>{request.body}</p>
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
