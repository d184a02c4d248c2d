// An instructor watching a student's open terminal, read-only: the server's watch socket sends the
// scrollback and the live output and drops whatever a watcher sends; here the terminal takes no
// keyboard input at all (disableStdin), so nothing even looks typeable. The student's terminal
// says who is watching while this is open.
import { useEffect, useRef, useState } from 'react';
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import '@xterm/xterm/css/xterm.css';
import { classroomApi } from './classroom-api.ts';
import { formError } from './form-error.ts';
import { decodeWatchFrame, watchEndText, watchUrl, type WatchExit } from './watch-frames.ts';

type Shell = { session: string; node: string; attached: boolean; watchers: number };

function WatchView({ lab, session }: { lab: string; session: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<{ kind: 'connecting' } | { kind: 'live'; readOnly: boolean } | { kind: 'ended'; text: string }>({ kind: 'connecting' });
  useEffect(() => {
    const term = new Terminal({
      disableStdin: true,
      cursorBlink: false,
      fontSize: 13,
      scrollback: 5000,
      fontFamily: '"JetBrains Mono", "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace',
      theme: { background: '#1b1d23', foreground: '#d4d4d4' },
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(ref.current!);
    const refit = () => {
      if (ref.current && ref.current.clientWidth > 0) fit.fit();
    };
    refit();
    const ro = new ResizeObserver(refit);
    ro.observe(ref.current!);
    let exit: WatchExit | null = null;
    const ws = new WebSocket(watchUrl(location, lab, session));
    ws.binaryType = 'arraybuffer';
    ws.onmessage = (ev) => {
      if (!(ev.data instanceof ArrayBuffer)) return;
      const f = decodeWatchFrame(new Uint8Array(ev.data));
      if (f.kind === 'output') term.write(f.bytes);
      else if (f.kind === 'session') setState({ kind: 'live', readOnly: f.info.readOnly });
      else if (f.kind === 'exit') exit = f.info;
    };
    ws.onclose = (ev) => setState({ kind: 'ended', text: watchEndText(exit, ev.code) });
    return () => {
      ro.disconnect();
      ws.onclose = null;
      ws.close(1000);
      term.dispose();
    };
  }, [lab, session]);
  return (
    <>
      <div className="cr-watch-status" role="status">
        {state.kind === 'connecting' && 'Connecting…'}
        {state.kind === 'live' && (
          <>
            <span className="pill state-up">live</span> <span className="pill cr-readonly-pill">{state.readOnly ? 'read-only' : 'view'}</span> Keys typed here go nowhere; the student sees that you are watching.
          </>
        )}
        {state.kind === 'ended' && <span className="cr-watch-ended">{state.text}</span>}
      </div>
      <div className="cr-watch-term" ref={ref} data-session={session} aria-label="Student's terminal (read-only)" />
    </>
  );
}

/**
 * The watch panel for `lab` (a student's copy): pick one of its open terminals and watch it
 * (`node`: one in that namespace first, as a double-click on it in the read-only lab asks).
 */
export function WatchTerminal({ lab, student, node: wanted, onClose }: { lab: string; student: string; node?: string; onClose(): void }) {
  const [shells, setShells] = useState<Shell[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [session, setSession] = useState<string | null>(null);
  const [ask, setAsk] = useState(0);
  const node = shells?.find((s) => s.session === session)?.node;
  useEffect(() => {
    let live = true;
    classroomApi.terminals(lab).then(
      (t) => {
        if (!live) return;
        setShells(t);
        setError(null);
        const onNode = wanted === undefined ? t : t.filter((s) => s.node === wanted);
        setSession((cur) => (cur && t.some((s) => s.session === cur) ? cur : (onNode.find((s) => s.attached) ?? onNode[0] ?? null)?.session ?? null));
      },
      (e) => live && setError(formError(e, []).message),
    );
    return () => {
      live = false;
    };
  }, [lab, ask, wanted]);
  return (
    <section className="cr-watch card" aria-label={`${student}'s terminal, read-only`}>
      <div className="cr-watch-head">
        <h2>
          {student}'s terminal{node && <> in <span className="mono">{node}</span></>}
        </h2>
        {shells && shells.length > 1 && (
          <select aria-label="Terminal" value={session ?? ''} onChange={(e) => setSession(e.target.value)}>
            {shells.map((s) => (
              <option key={s.session} value={s.session}>
                {s.node}
                {s.attached ? '' : ' (detached)'}
              </option>
            ))}
          </select>
        )}
        <button type="button" className="small" onClick={() => setAsk((n) => n + 1)}>
          Refresh
        </button>
        <button type="button" className="small" onClick={onClose} aria-label="Stop watching">
          Stop watching
        </button>
      </div>
      {error && <p className="error-note">{error}</p>}
      {shells && shells.length === 0 && <p className="muted">{student} has no terminal open in this lab. Refresh once they open one.</p>}
      {shells && shells.length > 0 && !session && wanted !== undefined && (
        <p className="muted">
          {student} has no terminal open in <span className="mono">{wanted}</span>; pick another above, or Refresh once they open one.
        </p>
      )}
      {session && <WatchView key={session} lab={lab} session={session} />}
    </section>
  );
}
