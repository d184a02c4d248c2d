// A terminal watched read-only (an instructor), without a kernel: a fake shell and fake clients.
// What the watcher gets (session frame with readOnly, scrollback, live output, the shell's end),
// what the learner sees (who watches, who stopped), and a watcher that falls behind is closed
// instead of holding the shell back.
import { describe, expect, it } from 'vitest';
import type { Shell } from '@nslab/driver';
import { TerminalOpcode } from '@nslab/protocol';
import { InputBudget, TerminalSession, type TerminalClient } from '../src/terminals.ts';
import { shownName } from '../src/classroom/principal.ts';
import type { User } from '../src/classroom/accounts.ts';

function fakeShell() {
  let data: (d: Buffer) => void = () => {};
  let exit: (e: { exitCode: number; signal?: number }) => void = () => {};
  const written: string[] = [];
  const shell: Shell = {
    pid: 4242,
    onData: (cb) => (data = cb),
    onExit: (cb) => (exit = cb),
    write: (d) => void written.push(String(d)),
    inputPending: 0,
    onInputProgress: () => {},
    flushInput: () => {},
    interrupt: () => {},
    resize: () => {},
    pause: () => {},
    resume: () => {},
    kill: () => exit({ exitCode: 0, signal: 9 }),
    detach: () => {},
  };
  return { shell, written, emit: (s: string) => data(Buffer.from(s)), exit: (code: number) => exit({ exitCode: code }) };
}

/** A client that records frames; `hold` keeps sends unacknowledged (a socket that does not drain). */
function fakeClient(hold = false) {
  const frames: { op: number; text: string }[] = [];
  let closed: { code: number; reason: string } | null = null;
  const client: TerminalClient = {
    send: (op, payload, done) => {
      frames.push({ op, text: payload.toString('utf8') });
      if (!hold) done();
    },
    close: (code, reason) => (closed = { code, reason }),
    pauseInput: () => {},
    resumeInput: () => {},
  };
  const output = () => frames.filter((f) => f.op === TerminalOpcode.OUTPUT).map((f) => f.text).join('');
  return { client, frames, output, closed: () => closed };
}

const session = (sh: ReturnType<typeof fakeShell>) => new TerminalSession('s1', 'u4-lab', 'host', sh.shell, 60_000, () => {}, new InputBudget());

describe('watching a terminal read-only', () => {
  it('the watcher gets readOnly, the scrollback and the live output; the learner is told who watches and when they leave', () => {
    const sh = fakeShell();
    const s = session(sh);
    const learner = fakeClient();
    s.attach(learner.client);
    sh.emit('root@host:/# ls\r\nfile\r\n');
    const watcher = fakeClient();
    s.watch(watcher.client, 'instructor Ines');
    expect(JSON.parse(watcher.frames[0]!.text)).toEqual({ session: 's1', lab: 'u4-lab', node: 'host', readOnly: true });
    expect(watcher.output()).toContain('root@host:/# ls\r\nfile');
    expect(learner.output()).toContain('[nslab] instructor Ines is watching this terminal (read-only)');
    expect(s.watching).toBe(1);
    sh.emit('after\r\n');
    expect(watcher.output()).toContain('after');
    s.unwatch(watcher.client, 'instructor Ines');
    expect(learner.output()).toContain('[nslab] instructor Ines stopped watching');
    sh.emit('gone\r\n');
    expect(watcher.output()).not.toContain('gone');
    // The shell got nothing from any of this.
    expect(sh.written).toEqual([]);
  });

  it('a watcher that does not keep up is closed; the shell and the learner go on', () => {
    const sh = fakeShell();
    const s = session(sh);
    const learner = fakeClient();
    s.attach(learner.client);
    const slow = fakeClient(true);
    s.watch(slow.client, 'instructor Ines');
    const chunk = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 80 && !slow.closed(); i++) sh.emit(chunk);
    expect(slow.closed()).toEqual({ code: 4002, reason: expect.stringContaining('too far behind') });
    expect(s.watching).toBe(0);
    sh.emit('still here');
    expect(learner.output()).toContain('still here');
  });

  it('when the shell ends, watchers get its exit and are closed', () => {
    const sh = fakeShell();
    const s = session(sh);
    const watcher = fakeClient();
    s.watch(watcher.client, 'admin Root');
    sh.exit(0);
    const exit = watcher.frames.find((f) => f.op === TerminalOpcode.EXIT);
    expect(JSON.parse(exit!.text)).toMatchObject({ code: 0, reason: 'exited' });
    expect(watcher.closed()).toEqual({ code: 1000, reason: 'exited' });
    // Watching an ended shell: its scrollback and end at once, no "is watching" for nobody.
    const late = fakeClient();
    s.watch(late.client, 'admin Root');
    expect(late.frames.map((f) => f.op)).toContain(TerminalOpcode.EXIT);
    expect(late.closed()?.code).toBe(1000);
  });

  it('names who watches without letting a name send escape sequences (C1 controls included)', () => {
    const u = { id: 2, username: 'ines', displayName: 'Ines\u009b2J\u001b]0;x\u0007', role: 'instructor', mustChangePassword: false } as User;
    expect(shownName(u)).toBe('instructor Ines2J]0;x');
    expect(shownName({ ...u, displayName: '' })).toBe('instructor ines');
  });
});
