// An instructor's class: join codes to hand out (expiry, uses, copy, revoke), a CSV roster upload
// (its one-time passwords shown once), the members, the students' labs (opened read-only: the
// server refuses an instructor's changes to them with 403 READ_ONLY) and the class's student quotas.
import { useCallback, useEffect, useState } from 'react';
import { api, type LabSummary } from '../api.ts';
import { labPath, linkClick, navigate } from '../router.ts';
import { Confirm, type ConfirmRequest } from '../ui/Confirm.tsx';
import { ClassroomTopbar } from './AccountBar.tsx';
import { Assignments } from './Assignments.tsx';
import { labLabel, labsByStudent } from './class-labs.ts';
import { ClassQuotas } from './ClassQuotas.tsx';
import { CoInstructors } from './CoInstructors.tsx';
import { classroomApi, type Account, type JoinCode, type Member } from './classroom-api.ts';
import { Field, FormMessage } from './Field.tsx';
import { AccountToggle } from './AccountToggle.tsx';
import { formError } from './form-error.ts';
import { codeStatus, joinLink, optionalWhole, relativeTime } from './join-codes.ts';
import { OneTimePasswords } from './OneTimePasswords.tsx';
import type { Credential } from './one-time-passwords.ts';
import { useForm } from './useForm.ts';
import './classroom.css';

type ClassData = Awaited<ReturnType<typeof classroomApi.getClass>>;

function useClass(id: string) {
  const [data, setData] = useState<ClassData | null>(null);
  const [labs, setLabs] = useState<LabSummary[]>([]);
  const [error, setError] = useState<{ status: number; message: string } | null>(null);
  const refresh = useCallback(async () => {
    try {
      const [d, l] = await Promise.all([classroomApi.getClass(id), api.listLabs()]);
      setData(d);
      setLabs(l);
      setError(null);
    } catch (e) {
      setError({ status: (e as { status?: number }).status ?? 0, message: formError(e, []).message });
    }
  }, [id]);
  useEffect(() => {
    void refresh();
    // Students join and start labs meanwhile.
    const t = setInterval(() => void refresh(), 5000);
    return () => clearInterval(t);
  }, [refresh]);
  return { data, labs, error, refresh };
}

function CopyButton({ text, label }: { text: string; label: string }) {
  const [done, setDone] = useState(false);
  useEffect(() => {
    if (!done) return;
    const t = setTimeout(() => setDone(false), 1500);
    return () => clearTimeout(t);
  }, [done]);
  return (
    <button type="button" className="small" onClick={() => void navigator.clipboard.writeText(text).then(() => setDone(true), () => {})}>
      {done ? 'Copied' : label}
    </button>
  );
}

const CODE_FIELDS = ['validHours', 'maxUses'] as const;

function NewJoinCode({ classId, onMade }: { classId: string; onMade(): void }) {
  const [hours, setHours] = useState('168');
  const [uses, setUses] = useState('');
  const form = useForm(CODE_FIELDS);
  const h = optionalWhole(hours, 1, 24 * 90);
  const u = optionalWhole(uses, 1, 10_000);
  const bad = 'problem' in h || 'problem' in u;
  return (
    <form
      className="cr-inline"
      aria-label="New join code"
      onSubmit={(e) => {
        e.preventDefault();
        if ('problem' in h || 'problem' in u) return;
        void form.run(async () => {
          await classroomApi.createJoinCode(classId, { ...(h.value !== undefined ? { validHours: h.value } : {}), ...(u.value !== undefined ? { maxUses: u.value } : {}) });
          onMade();
        });
      }}
    >
      <Field label="Valid for (hours)" name="validHours" className="narrow" inputMode="numeric" value={hours} onChange={setHours} error={'problem' in h ? `Hours ${h.problem}.` : form.errorFor('validHours')} hint="168 = a week" />
      <Field label="Max students" name="maxUses" className="narrow" inputMode="numeric" value={uses} onChange={setUses} error={'problem' in u ? `Max students ${u.problem}.` : form.errorFor('maxUses')} placeholder="no limit" />
      <button type="submit" className="primary" disabled={form.busy || bad}>
        {form.busy ? 'Making…' : 'New join code'}
      </button>
      <FormMessage message={form.formMessage} />
    </form>
  );
}

function JoinCodes({ classId, codes, onChanged, confirm }: { classId: string; codes: JoinCode[]; onChanged(): void; confirm(r: ConfirmRequest): void }) {
  const [error, setError] = useState<string | null>(null);
  const now = Date.now();
  const shown = [...codes].reverse();
  return (
    <section aria-labelledby="codes-title" className="card cr-section">
      <h2 id="codes-title">Join codes</h2>
      <p className="muted">A student opens the join link (or goes to “Join a class” on the sign-in page and types the code), picks a username and password, and is in this class.</p>
      <NewJoinCode classId={classId} onMade={onChanged} />
      <FormMessage message={error} />
      {shown.length > 0 && (
        <div className="cr-scroll">
          <table className="table cr-codes">
            <thead>
              <tr>
                <th scope="col">Code</th>
                <th scope="col">Status</th>
                <th scope="col">Expires</th>
                <th scope="col" className="num">
                  Used
                </th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {shown.map((c) => {
                const status = codeStatus(c, now);
                const active = status === 'active';
                return (
                  <tr key={c.code} className={active ? '' : 'cr-dim'} data-code={c.code}>
                    <th scope="row" className="mono cr-code">
                      {c.code}
                    </th>
                    <td>
                      <span className={`pill ${active ? 'state-up' : 'state-down'}`}>{status}</span>
                    </td>
                    <td title={c.expiresAt}>{relativeTime(c.expiresAt, now)}</td>
                    <td className="num">
                      {c.uses}
                      {c.maxUses !== null && ` / ${c.maxUses}`}
                    </td>
                    <td>
                      {active && (
                        <div className="row-actions">
                          <CopyButton text={c.code} label="Copy code" />
                          <CopyButton text={joinLink(location.origin, c.code)} label="Copy link" />
                          <button
                            type="button"
                            className="small danger"
                            onClick={() =>
                              confirm({
                                title: `Revoke ${c.code}?`,
                                body: 'Nobody can join with this code any more. Students who already joined stay in the class.',
                                confirm: 'Revoke',
                                danger: true,
                                onConfirm: () =>
                                  void classroomApi.revokeJoinCode(classId, c.code).then(
                                    () => (setError(null), onChanged()),
                                    (e) => setError(formError(e, []).message),
                                  ),
                              })
                            }
                          >
                            Revoke
                          </button>
                        </div>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Roster({ classId, onAdded }: { classId: string; onAdded(): void }) {
  const [csv, setCsv] = useState('');
  const [fileName, setFileName] = useState<string | null>(null);
  const [once, setOnce] = useState<Credential[] | null>(null);
  const [summary, setSummary] = useState<string | null>(null);
  const form = useForm(['csv']);
  const error = form.errorFor('csv');
  return (
    <section aria-labelledby="roster-title" className="card cr-section">
      <h2 id="roster-title">Add students from a roster</h2>
      <p className="muted">
        A CSV file, one student a line: <code>username[,password[,display name]]</code> (a header line is fine). Students without a password get a one-time password, shown here once; an existing student
        account is just added to the class.
      </p>
      {once && once.length > 0 ? (
        <OneTimePasswords title={`One-time passwords (${once.length})`} rows={once} onDone={() => setOnce(null)} />
      ) : (
        <form
          className="cr-form"
          onSubmit={(e) => {
            e.preventDefault();
            void form.run(async () => {
              const r = await classroomApi.uploadRoster(classId, csv);
              const made = r.students.filter((s) => s.created).length;
              setOnce(r.students.filter((s) => s.password !== undefined).map((s) => ({ username: s.username, displayName: s.displayName, password: s.password! })));
              setSummary(`${made} account${made === 1 ? '' : 's'} made, ${r.students.length - made} existing added; ${r.students.length} in all.`);
              setCsv('');
              setFileName(null);
              onAdded();
            });
          }}
        >
          <div className="field">
            <label htmlFor="roster-file">CSV file</label>
            <input
              id="roster-file"
              type="file"
              accept=".csv,text/csv,text/plain"
              onChange={async (e) => {
                const f = e.target.files?.[0];
                if (!f) return;
                setFileName(f.name);
                setCsv(await f.text());
                setSummary(null);
                form.clear();
              }}
            />
          </div>
          <div className="field">
            <label htmlFor="roster-csv">or paste it{fileName && <span className="muted"> (from {fileName})</span>}</label>
            <textarea
              id="roster-csv"
              name="csv"
              className="mono"
              rows={5}
              spellCheck={false}
              value={csv}
              placeholder={'username,password,display name\nada\nalan,,Alan Turing'}
              aria-invalid={error ? true : undefined}
              aria-describedby={error ? 'roster-csv-error' : undefined}
              onChange={(e) => {
                setCsv(e.target.value);
                setSummary(null);
                form.clear();
              }}
            />
            {error && (
              <div className="field-hint cr-field-error" id="roster-csv-error" data-field="csv" role="alert">
                {error}
              </div>
            )}
          </div>
          <FormMessage message={form.formMessage} />
          <div className="row">
            <button type="submit" className="primary" disabled={form.busy || csv.trim() === ''}>
              {form.busy ? 'Adding…' : 'Add students'}
            </button>
          </div>
        </form>
      )}
      {summary && (
        <p className="cr-ok" role="status">
          {summary}
        </p>
      )}
    </section>
  );
}

function Members({ classId, members, labs, confirm, onChanged }: { classId: string; members: Member[]; labs: LabSummary[]; confirm(r: ConfirmRequest): void; onChanged(): void }) {
  const [error, setError] = useState<string | null>(null);
  const act = (p: Promise<unknown>) => void p.then(() => (setError(null), onChanged()), (e) => setError(formError(e, []).message));
  const byStudent = labsByStudent(labs, members);
  const students = members.filter((m) => m.role === 'student');
  const instructors = members.filter((m) => m.role === 'instructor');
  return (
    <section aria-labelledby="members-title" className="card cr-section">
      <h2 id="members-title">
        Students <span className="muted small-text">({students.length})</span>
      </h2>
      <p className="muted">
        Taught by {instructors.map((i) => i.displayName).join(', ')}. A student's lab opens read-only for you: you see its graph and command log; only the student changes it.
      </p>
      <FormMessage message={error} />
      {students.length === 0 ? (
        <p className="muted">No students yet: hand out a join code, or add a roster.</p>
      ) : (
        <table className="table cr-members">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Username</th>
              <th scope="col">Joined</th>
              <th scope="col">Labs</th>
            </tr>
          </thead>
          <tbody>
            {students.map((m) => {
              const own = byStudent.get(m.username) ?? [];
              return (
                <tr key={m.id} data-student={m.username} className={m.disabled ? 'cr-dim' : ''}>
                  <th scope="row">
                    {m.displayName}
                    {m.disabled && (
                      <>
                        {' '}
                        <span className="pill state-down">disabled</span>
                      </>
                    )}
                  </th>
                  <td className="mono">{m.username}</td>
                  <td title={m.joinedAt}>{new Date(m.joinedAt).toLocaleDateString()}</td>
                  <td>
                    {own.length === 0 ? (
                      <span className="muted">none</span>
                    ) : (
                      <ul className="cr-lab-links">
                        {own.map((l) => (
                          <li key={l.name}>
                            {l.state === 'running' ? (
                              <a href={labPath(l.name)} onClick={linkClick(labPath(l.name))} className="mono" title={`${l.name}: open read-only`}>
                                {labLabel(l)}
                              </a>
                            ) : (
                              <span className="mono">{labLabel(l)}</span>
                            )}{' '}
                            <span className={`pill ${l.state === 'running' ? 'state-up' : 'state-down'}`}>{l.state}</span>
                          </li>
                        ))}
                      </ul>
                    )}
                    <div className="row-actions cr-member-actions">
                      <AccountToggle username={m.username} title={m.displayName} who={m.username} disabled={m.disabled === true} act={act} confirm={confirm} />
                      <button
                        type="button"
                        className="small danger"
                        onClick={() =>
                          confirm({
                            title: `Remove ${m.displayName} from the class?`,
                            body: `Their copies of this class's assignments are destroyed. Their own labs stay theirs, and you no longer see them.`,
                            confirm: 'Remove',
                            danger: true,
                            onConfirm: () => act(classroomApi.removeStudent(classId, m.username)),
                          })
                        }
                      >
                        Remove
                      </button>
                    </div>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function ClassPage({ id, user }: { id: string; user: Account }) {
  const { data, labs, error, refresh } = useClass(id);
  const [confirmReq, setConfirmReq] = useState<ConfirmRequest | null>(null);
  const [deleteError, setDeleteError] = useState<string | null>(null);
  useEffect(() => {
    document.title = `${data?.class.name ?? 'Class'} · nslab`;
  }, [data?.class.name]);
  return (
    <div className="home">
      <ClassroomTopbar user={user} crumb={data?.class.name ?? 'class'} />
      <main className="home-main cr-page">
        {error && !data && (
          <div className="missing">
            <h1>{error.status === 404 ? `No class ${id}` : 'This class could not be loaded'}</h1>
            <p>{error.message}</p>
            <a href="/" onClick={linkClick('/')}>
              Back to your classes
            </a>
          </div>
        )}
        {!data && !error && <p className="muted">Loading…</p>}
        {data && (
          <>
            <div className="section-head">
              <h1>{data.class.name}</h1>
              <span className="muted">created {new Date(data.class.createdAt).toLocaleDateString()}</span>
              <button
                type="button"
                className="small danger cr-delete-class"
                onClick={() =>
                  setConfirmReq({
                    title: `Delete the class ${data.class.name}?`,
                    body: "Its assignments, join codes and recorded checks are deleted, and every student's copy of its assignments is destroyed. The students' accounts and their own labs stay.",
                    confirm: 'Delete class',
                    danger: true,
                    onConfirm: () =>
                      void classroomApi.deleteClass(id).then(
                        () => navigate('/'),
                        (e) => setDeleteError(formError(e, []).message),
                      ),
                  })
                }
              >
                Delete class
              </button>
            </div>
            <FormMessage message={deleteError} />
            {error && <FormMessage message={error.message} />}
            <div className="cr-columns cr-wide-left">
              <div className="cr-column">
                <Assignments classId={id} confirm={setConfirmReq} />
                <JoinCodes classId={id} codes={data.joinCodes} onChanged={() => void refresh()} confirm={setConfirmReq} />
                <Roster classId={id} onAdded={() => void refresh()} />
              </div>
              <div className="cr-column">
                <Members classId={id} members={data.members} labs={labs} confirm={setConfirmReq} onChanged={() => void refresh()} />
                <CoInstructors classId={id} user={user} confirm={setConfirmReq} />
                <ClassQuotas classId={id} user={user} />
              </div>
            </div>
          </>
        )}
      </main>
      <Confirm request={confirmReq} onClose={() => setConfirmReq(null)} />
    </div>
  );
}
