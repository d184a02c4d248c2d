// Enable / Disable for one account, as the class page (an instructor's students) and the users page
// (an admin) both offer it: disabling asks first, since it signs the person out and stops their labs.
import type { ConfirmRequest } from '../ui/Confirm.tsx';
import { classroomApi } from './classroom-api.ts';

export function AccountToggle({ username, title, who, disabled, act, confirm }: {
  username: string;
  /** The name in the question ("Disable Ada Lovelace?"). */
  title: string;
  /** The name in the explanation. */
  who: string;
  disabled: boolean;
  act(p: Promise<unknown>): void;
  confirm(r: ConfirmRequest): void;
}) {
  if (disabled) {
    return (
      <button type="button" className="small" onClick={() => act(classroomApi.enableUser(username))}>
        Enable
      </button>
    );
  }
  return (
    <button
      type="button"
      className="small"
      onClick={() =>
        confirm({
          title: `Disable ${title}?`,
          body: `${who} is signed out and cannot sign in until enabled again. Their running labs are stopped (saved, nothing is deleted).`,
          confirm: 'Disable',
          danger: true,
          onConfirm: () => act(classroomApi.disableUser(username)),
        })
      }
    >
      Disable
    </button>
  );
}
