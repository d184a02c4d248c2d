// The lab list: running and saved labs, and ways to make a new one (empty, from the catalog, from
// a YAML file or pasted text). Every create goes to the lab's own screen, where its deploy log shows.
import { useCallback, useEffect, useId, useState } from 'react';
import { checkNodeName } from '../checks.ts';
import { api, type ExecFailure, type LabSummary } from '../api.ts';
import { explain, type Explained } from '../errors.ts';
import { labPath, linkClick, navigate } from '../router.ts';
import { addNotices } from '../notices.ts';
import { useAction } from '../ui/useAction.ts';
import { ErrorNote } from '../ui/ErrorNote.tsx';
import { Confirm, type ConfirmRequest } from '../ui/Confirm.tsx';
import { catalog } from './catalog.ts';
import { GuidedLabs } from '../guide/GuidedLabs.tsx';
import { AccountBar } from '../classroom/AccountBar.tsx';
import { ClassroomHome } from '../classroom/ClassroomHome.tsx';
import { homeLabs, labLabel } from '../classroom/class-labs.ts';
import { useSession } from '../classroom/session.ts';

function useLabs() {
  const [labs, setLabs] = useState<LabSummary[] | null>(null);
  const [error, setError] = useState<Explained | null>(null);
  const refresh = useCallback(async () => {
    try {
      setLabs(await api.listLabs());
      setError(null);
    } catch (e) {
      setError(explain(e));
    }
  }, []);
  useEffect(() => {
    void refresh();
    // Labs come and go from the CLI and other tabs too.
    const t = setInterval(() => void refresh(), 5000);
    return () => clearInterval(t);
  }, [refresh]);
  return { labs, error, refresh };
}

/** One notice per node whose exec lines failed (the lab itself was made). */
function execFailureNotices(failures: ExecFailure[] = []): string[] {
  const byNode = new Map<string, ExecFailure[]>();
  for (const f of failures) byNode.set(f.node, [...(byNode.get(f.node) ?? []), f]);
  return [...byNode].map(([node, fs]) => `exec in ${node} failed (the lab was kept): ${fs.map((f) => `${f.command}: ${f.message}`).join('; ')}`);
}

async function createAndOpen(body: { name?: string; yaml?: string; format?: 'native' | 'clab' }) {
  const r = await api.createLab(body);
  addNotices(r.name, [
    ...r.warnings.map((w) => `${w.field ? `${w.field}: ` : ''}${w.message}`),
    ...execFailureNotices(r.execFailures),
  ]);
  navigate(labPath(r.name));
}

function LabRow({ lab, onChanged, confirm }: { lab: LabSummary; onChanged(): void; confirm(r: ConfirmRequest): void }) {
  const act = useAction();
  const running = lab.state === 'running';
  return (
    <tr>
      <th scope="row">
        {running ? (
          <a href={labPath(lab.name)} onClick={linkClick(labPath(lab.name))} className="lab-link">
            {labLabel(lab)}
          </a>
        ) : (
          <span>{labLabel(lab)}</span>
        )}
      </th>
      <td>
        <span className={`pill ${running ? 'state-up' : 'state-down'}`}>{lab.state}</span>
      </td>
      <td className="num">{running ? lab.namespaces : '—'}</td>
      <td>
        <div className="row-actions">
        {running ? (
          <a className="button" href={labPath(lab.name)} onClick={linkClick(labPath(lab.name))}>
            Open
          </a>
        ) : (
          <button
            type="button"
            className="primary"
            disabled={act.busy}
            onClick={() =>
              void act.run(async () => {
                const r = await api.startLab(lab.name);
                addNotices(lab.name, execFailureNotices(r.execFailures));
                navigate(labPath(lab.name));
              })
            }
          >
            {act.busy ? 'Starting…' : 'Start'}
          </button>
        )}
        {running && (
          <button
            type="button"
            disabled={act.busy}
            title="Stop the lab but keep its topology saved, to start it again later"
            onClick={() =>
              void act.run(async () => {
                await api.destroyLab(lab.name, true);
                onChanged();
              })
            }
          >
            Stop
          </button>
        )}
        <button
          type="button"
          className="danger"
          disabled={act.busy}
          onClick={() =>
            confirm({
              title: `Destroy ${labLabel(lab)}?`,
              body: running
                ? `Every namespace, veth and bridge of ${labLabel(lab)} is removed from the kernel and its terminals close. This cannot be undone.`
                : `The saved topology of ${labLabel(lab)} is deleted.`,
              confirm: `Destroy ${labLabel(lab)}`,
              danger: true,
              onConfirm: () =>
                void act.run(async () => {
                  await api.destroyLab(lab.name);
                  onChanged();
                }),
            })
          }
        >
          Destroy
        </button>
        </div>
        <ErrorNote error={act.error} />
      </td>
    </tr>
  );
}

function NameField({ value, onChange, id, optional }: { value: string; onChange(v: string): void; id: string; optional: boolean }) {
  const problem = value === '' ? null : checkNodeName(value);
  return (
    <div className="field">
      <label htmlFor={id}>Lab name{optional && <span className="muted"> (optional: the file's name is used)</span>}</label>
      <input id={id} className="mono" value={value} placeholder={optional ? 'from the file' : 'my-lab'} spellCheck={false} aria-invalid={problem ? true : undefined} onChange={(e) => onChange(e.target.value)} />
      {problem && <div className="field-hint">The name {problem}.</div>}
    </div>
  );
}

function CreateEmpty() {
  const [name, setName] = useState('');
  const act = useAction();
  const id = useId();
  const bad = name === '' || checkNodeName(name) !== null;
  return (
    <form
      className="card empty-lab"
      onSubmit={(e) => {
        e.preventDefault();
        if (!bad) void act.run(() => createAndOpen({ name }));
      }}
    >
      <h3>Empty lab</h3>
      <p className="muted">Start from nothing and build with the palette: namespaces, bridges, veth pairs.</p>
      <NameField id={id} value={name} onChange={setName} optional={false} />
      <button type="submit" className="primary" disabled={bad || act.busy}>
        {act.busy ? 'Creating…' : 'Create empty lab'}
      </button>
      <ErrorNote error={act.error} />
    </form>
  );
}

function CatalogItem({ item }: { item: (typeof catalog)[number] }) {
  const [name, setName] = useState('');
  const act = useAction();
  const id = useId();
  return (
    <li className="card catalog-item">
      <h3>
        {item.title} <span className="muted small-text">ready-made topology</span>
      </h3>
      {item.description && <p>{item.description}</p>}
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void act.run(() => createAndOpen({ yaml: item.yaml, format: item.format, ...(name ? { name } : {}) }));
        }}
      >
        <label htmlFor={id} className="sr-only">
          Lab name for {item.title} (optional)
        </label>
        <input id={id} className="mono" placeholder={item.title} value={name} spellCheck={false} onChange={(e) => setName(e.target.value)} />
        <button type="submit" className="primary" disabled={act.busy || (name !== '' && checkNodeName(name) !== null)}>
          {act.busy ? 'Deploying…' : 'Deploy'}
        </button>
      </form>
      <ErrorNote error={act.error} />
    </li>
  );
}

function Import() {
  const [yaml, setYaml] = useState('');
  const [name, setName] = useState('');
  const [fileName, setFileName] = useState<string | null>(null);
  const act = useAction();
  const id = useId();
  const format = fileName?.endsWith('.clab.yml') || fileName?.endsWith('.clab.yaml') || /^\s*topology:/m.test(yaml) ? 'clab' : 'native';
  return (
    <form
      className="card import"
      onSubmit={(e) => {
        e.preventDefault();
        if (yaml.trim() === '') return;
        void act.run(() => createAndOpen({ yaml, format, ...(name ? { name } : {}) }));
      }}
    >
      <h3>Import a topology</h3>
      <p className="muted">A native nslab YAML or a containerlab file (kind: linux nodes become namespaces, kind: bridge nodes bridges).</p>
      <div className="field">
        <label htmlFor={`${id}-file`}>Upload a file</label>
        <input
          id={`${id}-file`}
          type="file"
          accept=".yaml,.yml,text/yaml,application/yaml"
          onChange={async (e) => {
            const f = e.target.files?.[0];
            if (!f) return;
            setFileName(f.name);
            setYaml(await f.text());
            act.clear();
          }}
        />
      </div>
      <div className="field">
        <label htmlFor={`${id}-yaml`}>or paste it</label>
        <textarea
          id={`${id}-yaml`}
          className="mono"
          rows={8}
          spellCheck={false}
          value={yaml}
          placeholder={'name: demo\nnodes:\n  ns1: {}\n  ns2: {}\nlinks:\n  - endpoints: ["ns1:eth0", "ns2:eth0"]'}
          onChange={(e) => {
            setYaml(e.target.value);
            act.clear();
          }}
        />
      </div>
      <NameField id={`${id}-name`} value={name} onChange={setName} optional />
      <div className="row">
        <button type="submit" className="primary" disabled={yaml.trim() === '' || act.busy || (name !== '' && checkNodeName(name) !== null)}>
          {act.busy ? 'Deploying…' : 'Deploy'}
        </button>
        <span className="muted">read as {format === 'clab' ? 'containerlab' : 'native nslab'} YAML</span>
      </div>
      <ErrorNote error={act.error} />
    </form>
  );
}

export function Home() {
  const { labs: allLabs, error, refresh } = useLabs();
  // Classroom mode: the signed-in account's own labs (its students' are on the class page).
  const session = useSession();
  const user = session.kind === 'signed-in' ? session.user : null;
  const labs = allLabs && homeLabs(allLabs, user);
  const classes = session.kind === 'signed-in' && <ClassroomHome user={session.user} classes={session.classes} />;
  const [confirmReq, setConfirmReq] = useState<ConfirmRequest | null>(null);
  useEffect(() => {
    document.title = 'nslab';
  }, []);
  return (
    <div className="home">
      <header className="topbar">
        <span className="brand">nslab</span>
        <span className="muted tagline">network namespaces, veth pairs and bridges — real ones, in your browser</span>
        {user && <AccountBar user={user} />}
      </header>
      <main className="home-main">
        {user?.role !== 'student' && classes}
        <section aria-labelledby="labs-title">
          <div className="section-head">
            <h1 id="labs-title">Labs</h1>
            <button type="button" className="small" onClick={() => void refresh()}>
              Refresh
            </button>
          </div>
          <ErrorNote error={error} />
          {labs === null && !error && <p className="muted">Loading…</p>}
          {labs !== null && labs.length === 0 && <p className="muted">No labs yet. Create one below.</p>}
          {labs !== null && labs.length > 0 && (
            <table className="table labs-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">State</th>
                  <th scope="col" className="num">
                    Namespaces
                  </th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {labs.map((l) => (
                  <LabRow key={l.name} lab={l} onChanged={() => void refresh()} confirm={setConfirmReq} />
                ))}
              </tbody>
            </table>
          )}
        </section>
        {user?.role === 'student' && classes}
        <GuidedLabs />
        <section aria-labelledby="new-title">
          <h2 id="new-title">New lab</h2>
          <ul className="catalog">
            <li className="catalog-cell">
              <CreateEmpty />
            </li>
            {catalog.map((c) => (
              <CatalogItem key={c.folder} item={c} />
            ))}
          </ul>
        </section>
        <section aria-labelledby="import-title">
          <h2 id="import-title" className="sr-only">
            Import
          </h2>
          <Import />
        </section>
      </main>
      <Confirm request={confirmReq} onClose={() => setConfirmReq(null)} />
    </div>
  );
}
