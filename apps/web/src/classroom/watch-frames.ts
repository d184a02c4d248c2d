// Frames of a read-only terminal watch (GET /labs/:lab/terminals/:session/watch; the protocol is
// packages/protocol/src/terminal.ts): output bytes, the session frame (`readOnly: true` here),
// the exit frame. Pure, so what a watcher shows is tested without a browser.
import { TerminalOpcode } from '@nslab/protocol';

export interface WatchSession {
  session: string;
  lab: string;
  node: string;
  readOnly: boolean;
}

export interface WatchExit {
  code: number | null;
  signal: number | null;
  reason: string;
  error?: string;
}

export type WatchFrame = { kind: 'output'; bytes: Uint8Array } | { kind: 'session'; info: WatchSession } | { kind: 'exit'; info: WatchExit } | { kind: 'other' };

const decoder = new TextDecoder();

function json(body: Uint8Array): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(decoder.decode(body));
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export function decodeWatchFrame(f: Uint8Array): WatchFrame {
  if (f.length === 0) return { kind: 'other' };
  const body = f.subarray(1);
  switch (f[0]) {
    case TerminalOpcode.OUTPUT:
      return { kind: 'output', bytes: body };
    case TerminalOpcode.SESSION: {
      const o = json(body);
      if (!o) return { kind: 'other' };
      return { kind: 'session', info: { session: String(o.session ?? ''), lab: String(o.lab ?? ''), node: String(o.node ?? ''), readOnly: o.readOnly === true } };
    }
    case TerminalOpcode.EXIT: {
      const o = json(body) ?? {};
      return {
        kind: 'exit',
        info: {
          code: typeof o.code === 'number' ? o.code : null,
          signal: typeof o.signal === 'number' ? o.signal : null,
          reason: String(o.reason ?? ''),
          ...(typeof o.error === 'string' ? { error: o.error } : {}),
        },
      };
    }
    default:
      return { kind: 'other' };
  }
}

/** Why a watch ended, in words: the shell's end, the server's refusal, or the socket's close code. */
export function watchEndText(exit: WatchExit | null, closeCode: number): string {
  if (exit?.error === 'SESSION_NOT_FOUND') return 'This terminal is no longer open.';
  if (exit?.error) return `The server refused to show this terminal (${exit.error}).`;
  if (exit) return exit.reason && exit.reason !== 'exited' ? `The shell ended: ${exit.reason}.` : `The shell exited${exit.code !== null ? ` with code ${exit.code}` : ''}.`;
  if (closeCode === 4002) return 'This view fell too far behind the shell\'s output and was closed; watch again to catch up.';
  return 'The connection to the server was lost.';
}

export function watchUrl(loc: { protocol: string; host: string }, lab: string, session: string): string {
  const proto = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${loc.host}/api/v1/labs/${encodeURIComponent(lab)}/terminals/${encodeURIComponent(session)}/watch`;
}
