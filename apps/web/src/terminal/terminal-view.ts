// One xterm.js Terminal + protocol connection per open terminal, created the first time the dock
// shows it and kept until its tab is closed. The terminal renders into a host <div> of its own that
// the dock moves in and out of its pane, so re-rendering or re-mounting the dock (React StrictMode
// mounts twice) never recreates a terminal or opens a second shell.
import { Terminal, type ITheme } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon } from '@xterm/addon-search';
import { WebLinksAddon } from '@xterm/addon-web-links';
import { describeExit, TerminalConnection, type SocketLike } from './terminal-connection.ts';
import { findTerminal, onTerminalClosed, updateTerminal, type TerminalInfo } from './terminal-store.ts';
import './terminal-ended.css';

export interface TerminalHandle {
  readonly term: Terminal;
  readonly search: SearchAddon;
  /** The current shell's connection: Reopen replaces it, keeping the terminal and its scrollback. */
  conn: TerminalConnection;
  readonly host: HTMLDivElement;
  fit(): void;
  copySelection(): void;
  /** Set by the dock: Ctrl+Shift+F opens its search box. */
  onSearchRequest: (() => void) | null;
}

// A dark theme with enough contrast for long sessions (colours after VS Code's Dark+).
const theme: ITheme = {
  background: '#1b1d23',
  foreground: '#d4d4d4',
  cursor: '#aeafad',
  cursorAccent: '#1b1d23',
  selectionBackground: '#264f78',
  black: '#1b1d23',
  red: '#f14c4c',
  green: '#23d18b',
  yellow: '#e5e510',
  blue: '#3b8eea',
  magenta: '#d670d6',
  cyan: '#29b8db',
  white: '#cccccc',
  brightBlack: '#808080',
  brightRed: '#f14c4c',
  brightGreen: '#23d18b',
  brightYellow: '#f5f543',
  brightBlue: '#3b8eea',
  brightMagenta: '#d670d6',
  brightCyan: '#29b8db',
  brightWhite: '#e5e5e5',
};

const FONT = '"JetBrains Mono", "Cascadia Mono", "Fira Code", "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace';

const handles = new Map<string, TerminalHandle>();

function wsUrl(lab: string, node: string, session: string | null): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const q = session ? `?session=${encodeURIComponent(session)}` : '';
  return `${proto}//${location.host}/api/v1/labs/${encodeURIComponent(lab)}/nodes/${encodeURIComponent(node)}/terminal${q}`;
}

async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    /* no clipboard permission (or not a secure context): the browser's own Ctrl+Insert still works */
  }
}

function create(info: TerminalInfo): TerminalHandle {
  const term = new Terminal({
    fontFamily: FONT,
    fontSize: 14,
    lineHeight: 1.15,
    theme,
    cursorBlink: true,
    scrollback: 5000,
    // Shell-like word selection on double-click includes paths and addresses.
    wordSeparator: ' ()[]{}\'"`,;|',
  });
  const fitAddon = new FitAddon();
  const search = new SearchAddon();
  term.loadAddon(fitAddon);
  term.loadAddon(search);
  term.loadAddon(new WebLinksAddon());
  const host = document.createElement('div');
  host.className = 'nslab-term-host';

  const conn = connect(info, term);
  // A tab restored after a page reload re-attaches to its shell instead of starting a new one.
  conn.session = info.session;
  host.appendChild(endedBar(info));

  const handle: TerminalHandle = {
    term,
    search,
    conn,
    host,
    onSearchRequest: null,
    // A hidden or collapsed pane has no size; fitting it would shrink the pty to 2 columns.
    fit: () => {
      if (host.clientWidth > 0 && host.clientHeight > 0) fitAddon.fit();
    },
    copySelection: () => {
      if (term.hasSelection()) void copyText(term.getSelection());
    },
  };

  term.onData((d) => handle.conn.input(d));
  term.onBinary((d) => handle.conn.binary(d));
  term.onResize(({ cols, rows }) => handle.conn.resize(cols, rows));
  // Copy on select, as in X terminals (but not the matches the search box selects).
  term.onSelectionChange(() => {
    if (host.contains(document.activeElement)) handle.copySelection();
  });
  term.attachCustomKeyEventHandler((e) => {
    if (e.type !== 'keydown' || !e.ctrlKey || !e.shiftKey || e.altKey || e.metaKey) return true;
    const k = e.key.toLowerCase();
    if (k === 'c') {
      handle.copySelection();
      e.preventDefault();
      return false;
    }
    // Returning false without preventDefault lets the browser paste into xterm's textarea: no
    // clipboard permission prompt, and bracketed paste applies.
    if (k === 'v') return false;
    if (k === 'f') {
      e.preventDefault();
      handle.onSearchRequest?.();
      return false;
    }
    return true;
  });
  return handle;
}

/** A connection for `info`'s node, reporting to the store (and to the terminal's end bar). */
function connect(info: TerminalInfo, term: Terminal): TerminalConnection {
  return new TerminalConnection({
    term,
    url: (session) => wsUrl(info.lab, info.node, session),
    createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
    onStatus: (status, { session, exit }) => {
      const exitReason = exit ? describeExit(exit) : null;
      updateTerminal(info.id, { status, session, exitReason });
      showEnded(info.id, status === 'exited' ? (exitReason ?? 'the shell ended') : null);
    },
  });
}

/**
 * The bar over the bottom of a terminal whose shell is gone, whatever ended it (exit, deleted
 * namespace, destroyed lab, the grace period): why, and a button that starts a new shell there.
 */
function endedBar(info: TerminalInfo): HTMLDivElement {
  const bar = document.createElement('div');
  bar.className = 'nslab-term-ended';
  bar.setAttribute('role', 'status');
  bar.hidden = true;
  const text = document.createElement('span');
  text.className = 'nslab-term-ended-text';
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'nslab-term-reopen';
  button.textContent = info.node === 'host' ? 'Reopen a shell in the lab host' : `Reopen a shell in ${info.node}`;
  button.addEventListener('click', () => reopenTerminal(info.id));
  bar.append(text, button);
  return bar;
}

function showEnded(id: string, reason: string | null): void {
  const h = handles.get(id);
  const bar = h?.host.querySelector<HTMLDivElement>('.nslab-term-ended');
  if (!h || !bar) return;
  // Room under the last lines, so the bar does not cover why the shell ended.
  if (reason !== null && bar.hidden) h.term.write('\r\n'.repeat(3));
  bar.hidden = reason === null;
  if (reason !== null) bar.querySelector('.nslab-term-ended-text')!.textContent = `Shell ended: ${reason}.`;
}

/** A new shell in an ended terminal's tab, below what the old one printed. */
export function reopenTerminal(id: string): void {
  const h = handles.get(id);
  const info = findTerminal(id);
  if (!h || !info || h.conn.status !== 'exited') return;
  h.conn.close();
  h.term.write('\r\n\x1b[0;2m[a new shell]\x1b[0m\r\n');
  h.conn = connect(info, h.term);
  updateTerminal(id, { status: 'connecting', session: null, exitReason: null });
  showEnded(id, null);
  h.conn.connect();
  h.term.focus();
}

/** Put a terminal into `container`, creating it (and connecting) the first time. */
export function mountTerminal(info: TerminalInfo, container: HTMLElement): TerminalHandle {
  let h = handles.get(info.id);
  const fresh = !h;
  if (!h) {
    h = create(info);
    handles.set(info.id, h);
  }
  if (h.host.parentElement !== container) container.appendChild(h.host);
  if (fresh) {
    h.term.open(h.host);
    h.fit();
    // Connect after the first fit so the shell starts at the size it is shown at.
    h.conn.connect();
  } else h.fit();
  return h;
}

export function unmountTerminal(id: string, container: HTMLElement): void {
  const h = handles.get(id);
  if (h && h.host.parentElement === container) container.removeChild(h.host);
}

export function getHandle(id: string): TerminalHandle | undefined {
  return handles.get(id);
}

onTerminalClosed((t) => {
  const h = handles.get(t.id);
  if (!h) return;
  handles.delete(t.id);
  h.conn.close();
  h.term.dispose();
  h.host.remove();
});

// Test hook: the text of a terminal's active buffer (what is on screen plus scrollback).
declare global {
  interface Window {
    __nslab_terminalText?: (id: string) => string | null;
    /** The shell's session id and connection status, for tests that check a terminal stayed attached. */
    __nslab_terminalSession?: (id: string) => { session: string | null; status: string } | null;
    __nslab_terminalStats?: (id: string) => { received: number; pending: number; paused: boolean; pauses: number } | null;
  }
}
if (typeof window !== 'undefined') {
  window.__nslab_terminalText = (id) => {
    const b = handles.get(id)?.term.buffer.active;
    if (!b) return null;
    const lines: string[] = [];
    for (let i = 0; i < b.length; i++) lines.push(b.getLine(i)?.translateToString(true) ?? '');
    return lines.join('\n');
  };
  window.__nslab_terminalSession = (id) => {
    const c = handles.get(id)?.conn;
    return c ? { session: c.session, status: c.status } : null;
  };
  window.__nslab_terminalStats = (id) => {
    const c = handles.get(id)?.conn;
    return c ? { received: c.received, pending: c.pending, paused: c.paused, pauses: c.pauses } : null;
  };
}
