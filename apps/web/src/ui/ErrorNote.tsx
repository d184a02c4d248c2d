// A server error placed next to what caused it: the plain sentence first, then the kernel's words.
import type { Explained } from '../errors.ts';

export function ErrorNote({ error, id }: { error: Explained | null; id?: string }) {
  if (!error) return null;
  return (
    <div className="error-note" role="alert" id={id}>
      <span>{error.summary}</span>
      {error.kernel && (
        <span className="kernel">
          Kernel: <q>{error.kernel}</q>
        </span>
      )}
      {error.hint && <span className="hint-text">{error.hint}</span>}
      {error.command && <code className="cmd">{error.command}</code>}
      {error.details && (
        <ul>
          {error.details.map((d, i) => (
            <li key={i}>{d}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
