// Classroom mode's part of the top bar: who is signed in, as what, where their pages are, sign out.
import { linkClick } from '../router.ts';
import type { Account } from './classroom-api.ts';
import { signOut } from './session.ts';
import './classroom.css';

export const ROLE_WORD = { admin: 'admin', instructor: 'instructor', student: 'student' } as const;

export function AccountBar({ user }: { user: Account }) {
  return (
    <div className="cr-account" role="group" aria-label="Your account">
      {user.role === 'admin' && (
        <a href="/users" onClick={linkClick('/users')} className="button small">
          Users
        </a>
      )}
      <span className="cr-who">
        <span className="cr-who-name">{user.displayName}</span>
        <span className={`pill cr-role cr-role-${user.role}`}>{ROLE_WORD[user.role]}</span>
      </span>
      <button type="button" className="small" onClick={() => void signOut()}>
        Sign out
      </button>
    </div>
  );
}

/** The top bar of the classroom pages (class, users): brand back home, a crumb, the account. */
export function ClassroomTopbar({ user, crumb }: { user: Account; crumb: string }) {
  return (
    <header className="topbar">
      <a href="/" onClick={linkClick('/')} className="brand">
        nslab
      </a>
      <span className="crumb">/ {crumb}</span>
      <AccountBar user={user} />
    </header>
  );
}
