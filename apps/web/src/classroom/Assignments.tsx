// The class page's assignments: publish a guided lab of the catalog or an uploaded lab folder for
// a window, extend or close it, and open its live grid. Students start their copies from their home page (MyAssignments).
import { useCallback, useEffect, useState } from 'react';
import { api, type GuideLab } from '../api.ts';
import { linkClick } from '../router.ts';
import type { ConfirmRequest } from '../ui/Confirm.tsx';
import { checkWindow, extendedClose, isoToLocal, localToIso } from './assignment-window.ts';
import { classroomApi, type Assignment, type UploadedLab } from './classroom-api.ts';
import { LabUpload, UploadedLabs } from './LabUpload.tsx';
import { FormMessage } from './Field.tsx';
import { formError } from './form-error.ts';
import { relativeTime } from './join-codes.ts';
import { useForm } from './useForm.ts';

export const gridPath = (classId: string | number, id: string | number) => `/classes/${encodeURIComponent(String(classId))}/assignments/${encodeURIComponent(String(id))}`;

const WEEK = 7 * 24 * 3_600_000;

function Publish({ classId, uploads, initialLab, onDone, onCancel }: { classId: string; uploads: UploadedLab[]; initialLab?: string; onDone(): void; onCancel(): void }) {
  const [catalog, setCatalog] = useState<GuideLab[] | null>(null);
  const [lab, setLab] = useState(initialLab ?? '');
  const [opens, setOpens] = useState(() => isoToLocal(new Date().toISOString()));
  const [closes, setCloses] = useState(() => isoToLocal(new Date(Date.now() + WEEK).toISOString()));
  const form = useForm(['lab', 'opensAt', 'closesAt']);
  useEffect(() => {
    api.catalog().then(
      (c) => {
        // Only labs this machine can run are offered.
        const runnable = c.filter((l) => l.missing.length === 0 && l.missingTools.length === 0);
        setCatalog(runnable);
        setLab((cur) => cur || runnable[0]?.id || '');
      },
      () => setCatalog([]),
    );
  }, []);
  const o = localToIso(opens);
  const cl = localToIso(closes);
  const local = 'problem' in o ? { field: 'opensAt', problem: `Opens ${o.problem}.` } : 'problem' in cl ? { field: 'closesAt', problem: `Closes ${cl.problem}.` } : null;
  const win = !local && 'iso' in o && 'iso' in cl ? checkWindow(o.iso, cl.iso, Date.now()) : null;
  const problem = local ?? (win ? { field: win.field, problem: `${win.field === 'opensAt' ? 'Opens' : 'Closes'} ${win.problem}.` } : null);
  const errFor = (f: string) => (problem?.field === f ? problem.problem : form.errorFor(f));
  return (
    <form
      className="cr-publish"
      aria-label="Publish an assignment"
      onSubmit={(e) => {
        e.preventDefault();
        if (problem || !('iso' in o) || !('iso' in cl)) return;
        void form.run(async () => {
          await classroomApi.publish(classId, { lab, opensAt: o.iso, closesAt: cl.iso });
          onDone();
        });
      }}
    >
      <div className="field cr-field">
        <label htmlFor="publish-lab">Guided lab</label>
        <select id="publish-lab" name="lab" value={lab} onChange={(e) => setLab(e.target.value)} disabled={!catalog || (catalog.length === 0 && uploads.length === 0)}>
          <optgroup label="Catalog">
            {(catalog ?? []).map((l) => (
              <option key={l.id} value={l.id}>
                {l.title} ({l.steps.length} steps)
              </option>
            ))}
          </optgroup>
          {uploads.length > 0 && (
            <optgroup label="Uploaded">
              {uploads.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.title} (uploaded)
                </option>
              ))}
            </optgroup>
          )}
        </select>
        {form.errorFor('lab') && (
          <div className="field-hint cr-field-error" data-field="lab" role="alert">
            {form.errorFor('lab')}
          </div>
        )}
      </div>
      <WhenField label="Opens" name="opensAt" value={opens} onChange={setOpens} error={errFor('opensAt')} />
      <WhenField label="Closes" name="closesAt" value={closes} onChange={setCloses} error={errFor('closesAt')} />
      <button type="submit" className="primary" disabled={form.busy || !lab || problem !== null}>
        {form.busy ? 'Publishing…' : 'Publish'}
      </button>
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
      <FormMessage message={form.formMessage} />
    </form>
  );
}

function WhenField({ label, name, value, onChange, error }: { label: string; name: string; value: string; onChange(v: string): void; error: string | null }) {
  const id = `when-${name}`;
  return (
    <div className="field cr-field">
      <label htmlFor={id}>{label}</label>
      <input id={id} name={name} type="datetime-local" value={value} onChange={(e) => onChange(e.target.value)} aria-invalid={error ? true : undefined} aria-describedby={error ? `${id}-error` : undefined} />
      {error && (
        <div className="field-hint cr-field-error" id={`${id}-error`} data-field={name} role="alert">
          {error}
        </div>
      )}
    </div>
  );
}

const WINDOW_CLASS = { open: 'state-up', upcoming: 'state-no-carrier', closed: 'state-down' } as const;

export function AssignmentRow({ classId, a, onChanged, confirm, setError }: { classId: string; a: Assignment; onChanged(): void; confirm(r: ConfirmRequest): void; setError(m: string | null): void }) {
  const now = Date.now();
  const act = (p: Promise<unknown>) => void p.then(() => (setError(null), onChanged()), (e) => setError(formError(e, []).message));
  return (
    <tr data-assignment={a.id}>
      <th scope="row">
        <a href={gridPath(classId, a.id)} onClick={linkClick(gridPath(classId, a.id))}>
          {a.title}
        </a>
        <div className="muted small-text mono">
          {a.lab}
          {a.uploaded ? ' · uploaded' : ''}
        </div>
      </th>
      <td>
        <span className={`pill ${WINDOW_CLASS[a.window]}`}>{a.window}</span>
      </td>
      <td title={`opens ${a.opensAt}, closes ${a.closesAt}`}>
        {a.window === 'upcoming' ? `opens ${relativeTime(a.opensAt, now)}, ` : ''}
        {a.window === 'closed' ? `closed ${relativeTime(a.closesAt, now)}` : `closes ${relativeTime(a.closesAt, now)}`}
      </td>
      <td>
        <div className="row-actions">
          <a href={gridPath(classId, a.id)} onClick={linkClick(gridPath(classId, a.id))} className="button small primary">
            Grid
          </a>
          <button type="button" className="small" title="One more day to start it" onClick={() => act(classroomApi.moveWindow(classId, a.id, { closesAt: extendedClose(a.closesAt, 24, Date.now()) }))}>
            {a.window === 'closed' ? 'Reopen 1 day' : '+1 day'}
          </button>
          {a.window !== 'closed' && (
            <button
              type="button"
              className="small danger"
              onClick={() =>
                confirm({
                  title: `Close ${a.title} now?`,
                  body: 'Students who have not started it can no longer start it. Copies already started stay, and so does their progress.',
                  confirm: 'Close now',
                  danger: true,
                  onConfirm: () => act(classroomApi.closeAssignment(classId, a.id)),
                })
              }
            >
              Close
            </button>
          )}
          <button
            type="button"
            className="small danger"
            onClick={() =>
              confirm({
                title: `Delete ${a.title}?`,
                body: "Every student's copy of this lab is destroyed, running or stopped, and the recorded checks and grid go with it. Export the progress first if you need it.",
                confirm: 'Delete assignment',
                danger: true,
                onConfirm: () => act(classroomApi.deleteAssignment(classId, a.id)),
              })
            }
          >
            Delete
          </button>
        </div>
      </td>
    </tr>
  );
}

export function Assignments({ classId, confirm }: { classId: string; confirm(r: ConfirmRequest): void }) {
  const [list, setList] = useState<Assignment[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [publishing, setPublishing] = useState<false | { lab?: string }>(false);
  const [uploading, setUploading] = useState(false);
  const [uploads, setUploads] = useState<UploadedLab[]>([]);
  const refresh = useCallback(() => {
    classroomApi.assignments(classId).then(setList, (e) => setError(formError(e, []).message));
    classroomApi.uploads().then(setUploads, (e) => setError(formError(e, []).message));
  }, [classId]);
  useEffect(refresh, [refresh]);
  return (
    <section aria-labelledby="assignments-title" className="card cr-section">
      <div className="section-head">
        <h2 id="assignments-title">Assignments</h2>
        {!publishing && !uploading && (
          <div className="row-actions">
            <button type="button" className="small" onClick={() => setUploading(true)}>
              Upload a lab
            </button>
            <button type="button" className="small primary" onClick={() => setPublishing({})}>
              Publish a lab
            </button>
          </div>
        )}
      </div>
      <p className="muted">A guided lab of the catalog, or a lab folder you upload, for a window of time: each student starts their own copy from their home page, and the grid shows every student's steps live.</p>
      {uploading && (
        <LabUpload
          onUploaded={(u) => {
            setUploading(false);
            setUploads((cur) => [u, ...cur.filter((x) => x.id !== u.id)]);
            setPublishing({ lab: u.id });
          }}
          onCancel={() => setUploading(false)}
        />
      )}
      {publishing && (
        <Publish
          key={publishing.lab ?? ''}
          classId={classId}
          uploads={uploads}
          {...(publishing.lab ? { initialLab: publishing.lab } : {})}
          onDone={() => {
            setPublishing(false);
            refresh();
          }}
          onCancel={() => setPublishing(false)}
        />
      )}
      <FormMessage message={error} />
      {list && list.length === 0 && !publishing && !uploading && <p className="muted">Nothing published yet.</p>}
      {list && list.length > 0 && (
        <div className="cr-scroll">
          <table className="table cr-assignments">
            <thead>
              <tr>
                <th scope="col">Lab</th>
                <th scope="col">Window</th>
                <th scope="col">When</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {[...list].reverse().map((a) => (
                <AssignmentRow key={a.id} classId={classId} a={a} onChanged={refresh} confirm={confirm} setError={setError} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <UploadedLabs uploads={uploads} onChanged={refresh} onPublish={(lab) => (setUploading(false), setPublishing({ lab }))} confirm={confirm} />
    </section>
  );
}
