// The instructor's live view of one assignment: students × steps (done, failing with which check,
// stuck, idle), pushed by the server's grid socket as checks happen; a student's lab opens
// read-only, their terminal can be watched read-only, their copy reset; progress exported.
import { useEffect, useState } from 'react';
import { labPath, linkClick } from '../router.ts';
import { Confirm, type ConfirmRequest } from '../ui/Confirm.tsx';
import { ClassroomTopbar } from './AccountBar.tsx';
import { extendedClose } from './assignment-window.ts';
import { classroomApi, type Account, type Grid, type StudentRow } from './classroom-api.ts';
import { classPath } from './ClassroomHome.tsx';
import { FormMessage } from './Field.tsx';
import { formError } from './form-error.ts';
import { applyLive, ago, cellText, gridSummary, parseLiveMessage } from './grid-live.ts';
import { relativeTime } from './join-codes.ts';
import { WatchTerminal } from './WatchTerminal.tsx';
import './classroom.css';

type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'refused';

function useLiveGrid(classId: string, id: string) {
  const [grid, setGrid] = useState<Grid | null>(null);
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let ws: WebSocket | null = null;
    let attempt = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let over = false;
    const open = () => {
      const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
      ws = new WebSocket(`${proto}//${location.host}${classroomApi.livePath(classId, id)}`);
      ws.onmessage = (ev) => {
        const m = typeof ev.data === 'string' ? parseLiveMessage(ev.data) : null;
        if (!m) return;
        if (m.type === 'error') {
          over = true;
          setStatus('refused');
          setError(m.message);
          return;
        }
        attempt = 0;
        setStatus('live');
        setGrid((g) => applyLive(g, m));
      };
      ws.onclose = () => {
        if (over) return;
        setStatus('reconnecting');
        // The socket may have been refused before opening (signed out, no such assignment): the
        // REST grid says why, and the backoff keeps a dead server from being hammered.
        classroomApi.grid(classId, id).then(
          (g) => setGrid(g),
          (e) => {
            const fe = formError(e, []);
            if ((e as { status?: number }).status === 404) {
              over = true;
              setStatus('refused');
            }
            setError(fe.message);
          },
        );
        timer = setTimeout(open, Math.min(30_000, 500 * 2 ** attempt++));
      };
    };
    open();
    return () => {
      over = true;
      clearTimeout(timer);
      ws?.close(1000);
    };
  }, [classId, id]);
  return { grid, status, error };
}

/** Re-render every so often so "3 min ago" stays true without any event. */
function useNow(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

const STATE_WORD = { done: '✓', failing: '✗', stuck: '!', idle: '' } as const;

function Row({ row, grid, now, onWatch, onReset }: { row: StudentRow; grid: Grid; now: number; onWatch(): void; onReset(): void }) {
  return (
    <tr data-student={row.username} className={row.lab ? '' : 'cr-dim'}>
      <th scope="row" className="cr-grid-student">
        {row.lab ? (
          <a href={labPath(row.lab)} onClick={linkClick(labPath(row.lab))} title={`Open ${row.displayName}'s lab (read-only)`}>
            {row.displayName}
          </a>
        ) : (
          <span>{row.displayName}</span>
        )}
        <div className="muted small-text">
          <span className="mono">{row.username}</span>
          {row.lab ? (row.lastCheckAt ? ` · checked ${ago(row.lastCheckAt, now)}` : ' · started, no check yet') : ' · not started'}
        </div>
      </th>
      {grid.steps.map((s) => {
        const cell = row.cells.find((c) => c.step === s.id);
        const t = cellText(cell, now);
        const state = row.lab ? (cell?.state ?? 'idle') : 'none';
        return (
          <td key={s.id} className={`cr-cell cr-cell-${state}`} data-step={s.id} data-state={state} title={`${s.title}: ${t.long}`}>
            {state !== 'none' && state !== 'idle' && (
              <>
                <span className="cr-cell-mark" aria-hidden>
                  {STATE_WORD[state]}
                </span>{' '}
                <span className="cr-cell-text">{t.short}</span>
              </>
            )}
            <span className="sr-only">{t.long}</span>
          </td>
        );
      })}
      <td>
        {row.lab && (
          <div className="row-actions">
            <a href={labPath(row.lab)} onClick={linkClick(labPath(row.lab))} className="button small">
              Open lab
            </a>
            <button type="button" className="small" onClick={onWatch}>
              Watch terminal
            </button>
            <button type="button" className="small danger" onClick={onReset}>
              Reset
            </button>
          </div>
        )}
      </td>
    </tr>
  );
}

export function GridPage({ classId, id, user }: { classId: string; id: string; user: Account }) {
  const { grid, status, error } = useLiveGrid(classId, id);
  const [confirmReq, setConfirmReq] = useState<ConfirmRequest | null>(null);
  const [watching, setWatching] = useState<StudentRow | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const now = useNow(15_000);
  const a = grid?.assignment;
  const [className, setClassName] = useState<string | null>(null);
  useEffect(() => {
    classroomApi.getClass(classId).then((c) => setClassName(c.class.name), () => {});
  }, [classId]);
  useEffect(() => {
    document.title = `${a?.title ?? 'Assignment'} · grid · nslab`;
  }, [a?.title]);
  const act = (p: Promise<unknown>, done?: string) =>
    void p.then(
      () => (setActionError(null), setNote(done ?? null)),
      (e) => setActionError(formError(e, []).message),
    );
  const sum = grid ? gridSummary(grid) : null;
  return (
    <div className="home">
      <ClassroomTopbar user={user} crumb={`${className ?? 'class'} / ${a?.title ?? 'assignment'}`} />
      <main className="home-main cr-page cr-grid-page">
        <a href={classPath(classId)} onClick={linkClick(classPath(classId))} className="small-text">
          ← Back to the class
        </a>
        {!grid && status !== 'refused' && <p className="muted">Loading the grid…</p>}
        {!grid && status === 'refused' && (
          <div className="missing">
            <h1>No assignment {id} in this class</h1>
            <p>{error}</p>
          </div>
        )}
        {grid && a && (
          <>
            <div className="section-head cr-grid-head">
              <h1>{a.title}</h1>
              <span className={`pill ${a.window === 'open' ? 'state-up' : a.window === 'closed' ? 'state-down' : 'state-no-carrier'}`}>{a.window}</span>
              <span className="muted" title={`opens ${a.opensAt}, closes ${a.closesAt}`}>
                {a.window === 'closed' ? `closed ${relativeTime(a.closesAt, now)}` : `closes ${relativeTime(a.closesAt, now)}`}
              </span>
              <span className={`pill status-${status === 'live' ? 'live' : status === 'refused' ? 'error' : 'reconnecting'}`} role="status" data-live={status}>
                {status === 'live' ? 'live' : status === 'refused' ? 'not available' : status === 'connecting' ? 'connecting…' : 'reconnecting…'}
              </span>
              <div className="row-actions cr-grid-actions">
                <button type="button" className="small" onClick={() => act(classroomApi.moveWindow(classId, a.id, { closesAt: extendedClose(a.closesAt, 24, Date.now()) }), 'One more day to start it.')}>
                  {a.window === 'closed' ? 'Reopen 1 day' : 'Extend 1 day'}
                </button>
                {a.window !== 'closed' && (
                  <button
                    type="button"
                    className="small danger"
                    onClick={() =>
                      setConfirmReq({
                        title: `Close ${a.title} now?`,
                        body: 'Students who have not started it can no longer start it. Copies already started stay, and so does their progress.',
                        confirm: 'Close now',
                        danger: true,
                        onConfirm: () => act(classroomApi.closeAssignment(classId, a.id), 'Closed.'),
                      })
                    }
                  >
                    Close now
                  </button>
                )}
                <a className="button small" href={classroomApi.progressUrl(classId, id, 'csv')} download>
                  Export CSV
                </a>
                <a className="button small" href={classroomApi.progressUrl(classId, id, 'json')} download>
                  Export JSON
                </a>
              </div>
            </div>
            {sum && (
              <p className="muted cr-grid-summary">
                {sum.started} of {sum.students} started · {sum.finished} finished · {sum.stuck} stuck (the same check failing for {grid.stuckMinutes} min)
              </p>
            )}
            <FormMessage message={actionError} />
            {note && (
              <p className="cr-ok" role="status">
                {note}
              </p>
            )}
            <div className="cr-scroll card cr-grid-card">
              <table className="table cr-grid" aria-label="Progress by student and step">
                <thead>
                  <tr>
                    <th scope="col">Student</th>
                    {grid.steps.map((s, i) => (
                      <th scope="col" key={s.id} title={s.title} className="cr-grid-step">
                        <span className="muted">{i + 1}.</span> {s.title}
                      </th>
                    ))}
                    <th scope="col">
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {grid.students.length === 0 && (
                    <tr>
                      <td colSpan={grid.steps.length + 2} className="muted">
                        No students in this class yet.
                      </td>
                    </tr>
                  )}
                  {grid.students.map((row) => (
                    <Row
                      key={row.userId}
                      row={row}
                      grid={grid}
                      now={now}
                      onWatch={() => setWatching(row)}
                      onReset={() =>
                        setConfirmReq({
                          title: `Reset ${row.displayName}'s lab?`,
                          body: `Their copy goes back to the start of ${a.title}: what they built is gone and their open terminals close. Their grid row starts over; the export keeps every check.`,
                          confirm: 'Reset lab',
                          danger: true,
                          onConfirm: () => act(classroomApi.resetStudent(classId, id, row.username), `${row.displayName}'s lab was reset.`),
                        })
                      }
                    />
                  ))}
                </tbody>
              </table>
            </div>
            <p className="muted small-text cr-legend">
              <span className="cr-cell-done cr-legend-swatch">✓ done</span> <span className="cr-cell-failing cr-legend-swatch">✗ failing: the check that fails</span>{' '}
              <span className="cr-cell-stuck cr-legend-swatch">! stuck</span> <span className="cr-legend-swatch cr-cell-idle">idle: not checked yet</span>
            </p>
            {watching?.lab && <WatchTerminal key={watching.lab} lab={watching.lab} student={watching.displayName} onClose={() => setWatching(null)} />}
          </>
        )}
      </main>
      <Confirm request={confirmReq} onClose={() => setConfirmReq(null)} />
    </div>
  );
}
