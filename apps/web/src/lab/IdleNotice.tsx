// The lab page's word about an idle stop (idle-return.ts): while the lab starts again, once it
// runs (with the terminals opened again), or why it could not start.
import type { IdleNotice as Notice } from './idle-return.ts';

const clock = (iso: string) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
const minutes = (n: number) => `${n} minute${n === 1 ? '' : 's'}`;

export function IdleNotice({ notice, onDismiss }: { notice: Notice | null; onDismiss: () => void }) {
  if (!notice) return null;
  const { stop } = notice;
  const why = `Your lab was stopped at ${clock(stop.stoppedAt)} after ${minutes(stop.idleMinutes)} with nobody using it`;
  if (notice.phase === 'restoring') {
    return (
      <div className="banner info idle-notice" role="status" data-phase="restoring">
        {why}; its state was saved. Starting it again as you left it…
      </div>
    );
  }
  if (notice.phase === 'failed') {
    return (
      <div className="banner danger idle-notice" role="alert" data-phase="failed">
        {why}, and it could not be started again: {notice.message}
      </div>
    );
  }
  return (
    <div className="banner info idle-notice" role="status" data-phase="restored">
      <p style={{ margin: 0, flex: 1 }}>
        {why}, and it has been started again as you left it: namespaces, links, addresses, routes and firewall rules.
        {notice.reopened.length > 0 && (
          <>
            {' '}
            Terminals opened again: <strong>{notice.reopened.join(', ')}</strong>. The programs that were running in them stopped with the lab.
          </>
        )}
      </p>
      <button type="button" className="small" onClick={onDismiss}>
        Dismiss
      </button>
    </div>
  );
}
