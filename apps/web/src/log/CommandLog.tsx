// Every command the lab ran, whoever ran it (this page, a script, the CLI, a deploy, a terminal), as
// a learner could type it again. Failed ones are marked with the kernel's reason. Commands typed in
// terminals (ls, cd, ping… as well as ip) can be hidden to see only what changed the lab.
import { memo, useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { CommandLogEntry } from '@nslab/protocol';
import { api } from '../api.ts';

// The newest rows; "Show all" draws the rest. A 300-namespace deploy logs thousands of lines, and
// drawing 300 of them cost more than drawing the graph.
const SHOWN = 100;

const SOURCE_TEXT: Record<string, string> = { ui: 'you', api: 'api', cli: 'cli', lab: 'lab', kernel: 'kernel', deploy: 'deploy', terminal: 'terminal' };

// One formatter for every row: toLocaleTimeString builds a new one per call, which shows at thousands of rows.
const CLOCK = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });

function time(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : CLOCK.format(d);
}

const Row = memo(function Row({ e }: { e: CommandLogEntry }) {
  return (
    <li className={e.ok ? 'ok' : 'failed'}>
      <time dateTime={e.time}>{time(e.time)}</time>
      <span className={`source source-${e.source}`}>{SOURCE_TEXT[e.source] ?? e.source}</span>
      <code className="line">
        {!e.ok && <span className="sr-only">failed: </span>}
        {e.line}
      </code>
      <CopyButton label={`Copy: ${e.line}`} text={() => e.line} />
      {!e.ok && e.error && <div className="why">✕ {e.error}</div>}
    </li>
  );
});

async function copy(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

function CopyButton({ text, label, children }: { text: () => string; label: string; children?: string }) {
  const [done, setDone] = useState<boolean | null>(null);
  useEffect(() => {
    if (done === null) return;
    const t = setTimeout(() => setDone(null), 1500);
    return () => clearTimeout(t);
  }, [done]);
  return (
    <button type="button" className="small" aria-label={label} title={label} onClick={async () => setDone(await copy(text()))}>
      {done === true ? 'Copied' : done === false ? 'Copy failed' : (children ?? 'Copy')}
    </button>
  );
}

const TERMINAL_PREF = 'nslab.log.terminal';

function readTerminalPref(): boolean {
  try {
    return localStorage.getItem(TERMINAL_PREF) !== 'hide';
  } catch {
    return true;
  }
}

export const CommandLog = memo(function CommandLog({ lab, log: everything }: { lab: string; log: CommandLogEntry[] }) {
  const [all, setAll] = useState(false);
  const [withTerminal, setWithTerminal] = useState(readTerminalPref);
  const box = useRef<HTMLOListElement>(null);
  const stick = useRef(true);
  const typed = everything.some((e) => e.source === 'terminal');
  const log = withTerminal ? everything : everything.filter((e) => e.source !== 'terminal');
  const shown = all ? log : log.slice(-SHOWN);
  const failed = log.filter((e) => !e.ok).length;
  const toggleTerminal = (on: boolean) => {
    setWithTerminal(on);
    try {
      localStorage.setItem(TERMINAL_PREF, on ? 'show' : 'hide');
    } catch {
      /* storage disabled: the choice lasts for this page */
    }
  };

  // Follow new commands while scrolled to the bottom; leave the reader alone otherwise.
  useLayoutEffect(() => {
    const el = box.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [log]);

  // Shown, hidden and sized by the workspace's bottom dock (its tab says "Commands").
  return (
    <section className="command-log" aria-labelledby="log-title">
      <header>
        <h2 id="log-title" className="sr-only">
          Commands
        </h2>
        <span className="muted">
          {log.length} run{failed > 0 && <span className="warn"> · {failed} failed</span>}
        </span>
        <span className="spacer" />
        {typed && (
          <label className="terminal-toggle">
            <input type="checkbox" checked={withTerminal} onChange={(e) => toggleTerminal(e.currentTarget.checked)} />
            typed in terminals
          </label>
        )}
        {log.length > SHOWN && (
          <button type="button" className="small" onClick={() => setAll(!all)}>
            {all ? `Show last ${SHOWN}` : `Show all ${log.length}`}
          </button>
        )}
        <CopyButton label="Copy all commands" text={() => log.filter((e) => e.ok).map((e) => e.line).join('\n') + '\n'}>
          Copy all
        </CopyButton>
        <a className="button small" href={api.exportUrl(lab, 'log')} download>
          Download
        </a>
      </header>
      <ol
        id="log-list"
        ref={box}
        className="log-list"
        aria-live="polite"
        aria-relevant="additions"
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
        }}
      >
        {shown.length === 0 && <li className="muted empty">No commands yet. Every change you make here runs real commands, and they appear in this list.</li>}
        {shown.map((e) => (
          <Row key={e.id} e={e} />
        ))}
      </ol>
    </section>
  );
});
