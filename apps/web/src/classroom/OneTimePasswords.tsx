// Generated passwords, shown once: the server keeps only their hashes, so this panel is the one
// place they exist. It says so plainly and offers copy and download; leaving the page loses them.
import { useEffect, useRef, useState } from 'react';
import { credentialsCsv, type Credential } from './one-time-passwords.ts';

export function OneTimePasswords({ title, rows, onDone }: { title: string; rows: Credential[]; onDone(): void }) {
  const [copied, setCopied] = useState(false);
  const ref = useRef<HTMLElement>(null);
  // It appears where the form was, often below the fold: bring it into view so it is not missed.
  useEffect(() => {
    ref.current?.scrollIntoView({ block: 'nearest' });
  }, []);
  const csv = credentialsCsv(rows);
  return (
    <section ref={ref} className="cr-once" aria-labelledby="cr-once-title">
      <h3 id="cr-once-title">{title}</h3>
      <p className="cr-once-warn">
        <strong>Shown once: copy them now.</strong> nslab keeps only a hash of each password; once you leave or close this panel they cannot be shown again (an admin can reset a password to a new one). Each account must
        choose its own password at its first sign-in.
      </p>
      <table className="table cr-once-table">
        <thead>
          <tr>
            <th scope="col">Username</th>
            <th scope="col">Name</th>
            <th scope="col">One-time password</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.username}>
              <td className="mono">{r.username}</td>
              <td>{r.displayName}</td>
              <td>
                <code className="cr-secret" data-username={r.username}>
                  {r.password}
                </code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="row">
        <button
          type="button"
          onClick={() =>
            void navigator.clipboard.writeText(csv).then(
              () => setCopied(true),
              () => setCopied(false),
            )
          }
        >
          {copied ? 'Copied' : 'Copy all (CSV)'}
        </button>
        <a className="button" href={`data:text/csv;charset=utf-8,${encodeURIComponent(csv)}`} download="one-time-passwords.csv">
          Download CSV
        </a>
        <button type="button" className="primary" onClick={onDone}>
          I have copied them
        </button>
      </div>
    </section>
  );
}
