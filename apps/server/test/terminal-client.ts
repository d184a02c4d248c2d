// A terminal client for the integration tests: a real WebSocket over loopback TCP speaking the
// ttyd-style protocol, with the screen's recent text kept for assertions.
import { readFileSync, readdirSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { WebSocket } from 'ws';
import { TerminalOpcode } from '@nslab/protocol';
import { TOKEN } from './helpers.ts';

export class Term {
  text = '';
  bytes = 0;
  session = '';
  exit: { code: number | null; reason: string; error?: string } | null = null;
  closed: Promise<number>;
  private decoder = new StringDecoder('utf8');
  constructor(readonly ws: WebSocket) {
    ws.on('message', (d: Buffer) => {
      const op = d[0];
      const body = d.subarray(1);
      if (op === TerminalOpcode.OUTPUT) {
        this.bytes += body.length;
        this.text += this.decoder.write(body);
        if (this.text.length > 200_000) this.text = this.text.slice(-100_000);
      } else if (op === TerminalOpcode.SESSION) this.session = JSON.parse(body.toString()).session;
      else if (op === TerminalOpcode.EXIT) this.exit = JSON.parse(body.toString());
    });
    this.closed = new Promise((r) => ws.on('close', (code: number) => r(code)));
  }
  frame(op: number, payload: string | Buffer = ''): void {
    this.ws.send(Buffer.concat([Buffer.from([op]), Buffer.isBuffer(payload) ? payload : Buffer.from(payload)]));
  }
  type(s: string | Buffer): void {
    this.frame(TerminalOpcode.INPUT, s);
  }
  async waitFor(re: RegExp, timeoutMs = 5000): Promise<string> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const m = re.exec(this.text);
      if (m) return m[0];
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`timed out waiting for ${re}; screen tail: ${JSON.stringify(this.text.slice(-400))}`);
  }
  /** Run a command and return what it printed up to the next prompt, marked so echo doesn't match. */
  async run(cmd: string, timeoutMs = 5000): Promise<string> {
    const tag = `__done_${Math.random().toString(36).slice(2)}`;
    const start = this.text.length;
    this.type(`${cmd}; echo ${tag.slice(0, 6)}""${tag.slice(6)}\r`);
    await this.waitFor(new RegExp(`\\n${tag}`), timeoutMs);
    // Without colours, bracketed-paste toggles and carriage returns: what a reader of the screen sees.
    return this.text.slice(start).replace(/\x1b\[[?0-9;]*[A-Za-z]/g, '').replace(/\r/g, '');
  }
}

/** Connect (as a browser would) and send the opening RESIZE; the shell starts then. */
export async function openTerminal(url: string): Promise<Term> {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${TOKEN}` } });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const t = new Term(ws);
  t.frame(TerminalOpcode.RESIZE, JSON.stringify({ columns: 100, rows: 30 }));
  return t;
}

/** A step that must finish in time: a hang fails with what was awaited, not a bare test timeout. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)))]).finally(() => clearTimeout(timer));
}

/** Fields of /proc/PID/stat after comm (state ppid pgrp session ... utime is [11], stime [12]), or null. */
export function procStat(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may hold spaces and parentheses: split after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

export function alive(pid: number): boolean {
  const f = procStat(pid);
  return f !== null && f[0] !== 'Z';
}

/**
 * The pid (as this host sees it) of a live process named `comm` in session `sid`: a terminal's pty
 * starts its session, and the shell inside the lab's PID namespace has another pid in there, so
 * `echo $$` cannot name it to us. Waits up to `timeoutMs` for it to appear.
 */
export async function processInSession(sid: number, comm: string, timeoutMs = 5000): Promise<number> {
  for (const end = Date.now() + timeoutMs; ; await new Promise((r) => setTimeout(r, 20))) {
    for (const e of readdirSync('/proc')) {
      if (!/^\d+$/.test(e)) continue;
      const f = procStat(Number(e));
      if (!f || Number(f[3]) !== sid || f[0] === 'Z') continue;
      try {
        if (readFileSync(`/proc/${e}/comm`, 'utf8').trim() === comm) return Number(e);
      } catch {
        /* gone */
      }
    }
    if (Date.now() > end) throw new Error(`no ${comm} in session ${sid}`);
  }
}
