// The pure parts of the instructor's live view and the assignments: the grid socket's messages
// applied to the grid, what a cell says, the window typed in local time, a watched terminal's
// frames, the school sign-in link, a student's steps done, and the grid's route.
import { describe, expect, it } from 'vitest';
import { TerminalOpcode } from '@nslab/protocol';
import { checkWindow, extendedClose, isoToLocal, localToIso } from '../src/classroom/assignment-window.ts';
import type { Assignment, Cell, Grid, StudentRow } from '../src/classroom/classroom-api.ts';
import { ago, applyLive, cellText, gridSummary, parseLiveMessage } from '../src/classroom/grid-live.ts';
import { stepsDone } from '../src/classroom/my-progress.ts';
import { oidcStartUrl } from '../src/classroom/oidc-start.ts';
import { decodeWatchFrame, watchEndText, watchUrl } from '../src/classroom/watch-frames.ts';
import { parseRoute } from '../src/router.ts';

const assignment: Assignment = { id: 3, classId: 1, lab: 'veth-pair', title: 'A veth pair', opensAt: '2026-12-01T10:00:00.000Z', closesAt: '2026-12-08T10:00:00.000Z', window: 'open' };
const cell = (step: string, state: Cell['state'], extra: Partial<Cell> = {}): Cell => ({ step, state, attempts: 0, hintsShown: 0, ...extra });
const row = (userId: number, displayName: string, cells: Cell[], lab: string | null = `u${userId}-veth-pair-a3`): StudentRow => ({
  userId,
  username: displayName.toLowerCase(),
  displayName,
  lab,
  startedAt: lab ? '2026-12-07T10:00:00.000Z' : null,
  lastCheckAt: null,
  cells,
});
const grid = (students: StudentRow[]): Grid => ({ assignment, steps: [{ id: 's1', title: 'Make it' }, { id: 's2', title: 'Ping' }], stuckMinutes: 10, at: '2026-12-07T10:00:00.000Z', students });

describe('the live grid', () => {
  it('takes only well-formed messages of its four kinds', () => {
    expect(parseLiveMessage('not json')).toBeNull();
    expect(parseLiveMessage('42')).toBeNull();
    expect(parseLiveMessage(JSON.stringify({ type: 'grid' }))).toBeNull();
    expect(parseLiveMessage(JSON.stringify({ type: 'row', row: { userId: '4', cells: [] } }))).toBeNull();
    expect(parseLiveMessage(JSON.stringify({ type: 'hello' }))).toBeNull();
    expect(parseLiveMessage(JSON.stringify({ type: 'error', code: 'ASSIGNMENT_NOT_FOUND', message: 'no' }))).toEqual({ type: 'error', code: 'ASSIGNMENT_NOT_FOUND', message: 'no' });
    const g = grid([]);
    expect(parseLiveMessage(JSON.stringify({ type: 'grid', grid: g }))).toEqual({ type: 'grid', grid: g });
  });

  it('a row replaces that student only; a new student is added in name order; the window moves', () => {
    const ada = row(4, 'Ada', [cell('s1', 'idle'), cell('s2', 'idle')]);
    const bo = row(5, 'Bo', [cell('s1', 'idle'), cell('s2', 'idle')]);
    let g = applyLive(null, { type: 'grid', grid: grid([ada, bo]) });
    expect(applyLive(null, { type: 'row', at: 'x', row: ada })).toBeNull();
    const bo2 = row(5, 'Bo', [cell('s1', 'done', { attempts: 1 }), cell('s2', 'failing', { check: 'ping reaches b', attempts: 1 })]);
    g = applyLive(g, { type: 'row', at: '2026-12-07T10:01:00.000Z', row: bo2 });
    expect(g!.students.map((s) => s.cells[0]!.state)).toEqual(['idle', 'done']);
    expect(g!.students[0]).toBe(ada);
    expect(g!.at).toBe('2026-12-07T10:01:00.000Z');
    g = applyLive(g, { type: 'row', at: 'y', row: row(6, 'Al', []) });
    expect(g!.students.map((s) => s.displayName)).toEqual(['Ada', 'Al', 'Bo']);
    g = applyLive(g, { type: 'assignment', assignment: { ...assignment, window: 'closed' } });
    expect(g!.assignment.window).toBe('closed');
    expect(applyLive(g, { type: 'error', code: 'X', message: 'y' })).toBe(g);
  });

  it('a cell says its state and, failing or stuck, which check', () => {
    const now = Date.parse('2026-12-07T10:20:00.000Z');
    expect(cellText(undefined, now).long).toBe('not started');
    expect(cellText(cell('s1', 'idle'), now)).toEqual({ short: '', long: 'not checked yet' });
    expect(cellText(cell('s1', 'done', { since: '2026-12-07T10:17:00.000Z', attempts: 2 }), now)).toEqual({ short: 'done', long: 'done 3 min ago (2 checks)' });
    expect(cellText(cell('s2', 'failing', { check: 'b has 10.0.0.2/24', since: '2026-12-07T10:19:50.000Z', attempts: 1, hintsShown: 1 }), now)).toEqual({
      short: 'b has 10.0.0.2/24',
      long: 'failing: b has 10.0.0.2/24 since just now (1 check, 1 hint shown)',
    });
    expect(cellText(cell('s2', 'stuck', { check: 'ping', since: '2026-12-07T08:20:00.000Z', attempts: 9 }), now).long).toBe('stuck on: ping since 2 h ago (9 checks)');
    expect(ago('2026-12-03T10:20:00.000Z', now)).toBe('4 days ago');
  });

  it('the summary counts started, finished and stuck students', () => {
    const g = grid([row(1, 'A', [cell('s1', 'done'), cell('s2', 'done')]), row(2, 'B', [cell('s1', 'stuck'), cell('s2', 'idle')]), row(3, 'C', [], null)]);
    expect(gridSummary(g)).toEqual({ students: 3, started: 2, finished: 1, stuck: 1 });
  });
});

describe('the assignment window', () => {
  it('a local time becomes UTC with the zone offset; a bad one is named', () => {
    // UTC+1 (getTimezoneOffset -60): 21:30 local is 20:30 UTC.
    expect(localToIso('2026-12-07T21:30', -60)).toEqual({ iso: '2026-12-07T20:30:00.000Z' });
    expect(localToIso('2026-12-07T21:30', 300)).toEqual({ iso: '2026-12-08T02:30:00.000Z' });
    expect(localToIso('2026-02-30T10:00', 0)).toEqual({ problem: 'is not a date and time' });
    expect(localToIso('', 0)).toEqual({ problem: 'is not a date and time' });
    expect(localToIso('2026-12-07T25:00', 0)).toEqual({ problem: 'is not a date and time' });
    expect(isoToLocal('2026-12-07T20:30:00.000Z', -60)).toBe('2026-12-07T21:30');
  });

  it('closing must follow opening and be ahead; extending counts from the later of close and now', () => {
    const now = Date.parse('2026-12-07T12:00:00.000Z');
    expect(checkWindow('2026-12-07T12:00:00.000Z', '2026-12-07T11:00:00.000Z', now)).toEqual({ field: 'closesAt', problem: 'must be after the opening time' });
    expect(checkWindow('2026-12-06T09:00:00.000Z', '2026-12-07T11:00:00.000Z', now)).toEqual({ field: 'closesAt', problem: 'is in the past' });
    expect(checkWindow('2026-12-07T12:00:00.000Z', '2026-12-08T12:00:00.000Z', now)).toBeNull();
    expect(extendedClose('2026-12-08T12:00:00.000Z', 24, now)).toBe('2026-12-09T12:00:00.000Z');
    // Already closed: a day from now, so it reopens for a day.
    expect(extendedClose('2026-12-01T12:00:00.000Z', 24, now)).toBe('2026-12-08T12:00:00.000Z');
  });
});

describe('a watched terminal', () => {
  const frame = (op: number, body: string | Uint8Array) => {
    const b = typeof body === 'string' ? new TextEncoder().encode(body) : body;
    const f = new Uint8Array(b.length + 1);
    f[0] = op;
    f.set(b, 1);
    return f;
  };

  it('decodes output, the read-only session frame and the exit frame', () => {
    const out = decodeWatchFrame(frame(TerminalOpcode.OUTPUT, 'root@a:~# '));
    expect(out.kind === 'output' && new TextDecoder().decode(out.bytes)).toBe('root@a:~# ');
    expect(decodeWatchFrame(frame(TerminalOpcode.SESSION, JSON.stringify({ session: 's1', lab: 'u4-x', node: 'a', readOnly: true })))).toEqual({ kind: 'session', info: { session: 's1', lab: 'u4-x', node: 'a', readOnly: true } });
    // Not said to be read-only: not assumed.
    expect(decodeWatchFrame(frame(TerminalOpcode.SESSION, JSON.stringify({ session: 's1' })))).toMatchObject({ kind: 'session', info: { readOnly: false } });
    expect(decodeWatchFrame(frame(TerminalOpcode.SESSION, '{broken'))).toEqual({ kind: 'other' });
    expect(decodeWatchFrame(frame(TerminalOpcode.EXIT, JSON.stringify({ code: null, signal: null, reason: 'not found', error: 'SESSION_NOT_FOUND' })))).toEqual({
      kind: 'exit',
      info: { code: null, signal: null, reason: 'not found', error: 'SESSION_NOT_FOUND' },
    });
    expect(decodeWatchFrame(new Uint8Array())).toEqual({ kind: 'other' });
  });

  it('says why a watch ended, and builds its URL', () => {
    expect(watchEndText({ code: null, signal: null, reason: '', error: 'SESSION_NOT_FOUND' }, 1008)).toBe('This terminal is no longer open.');
    expect(watchEndText({ code: 0, signal: null, reason: 'exited' }, 1000)).toBe('The shell exited with code 0.');
    expect(watchEndText({ code: null, signal: null, reason: 'the lab was reset' }, 1000)).toBe('The shell ended: the lab was reset.');
    expect(watchEndText(null, 4002)).toMatch(/too far behind/);
    expect(watchEndText(null, 1006)).toBe('The connection to the server was lost.');
    expect(watchUrl({ protocol: 'https:', host: 'lab.school:8443' }, 'u4-veth pair', 'a/b')).toBe('wss://lab.school:8443/api/v1/labs/u4-veth%20pair/terminals/a%2Fb/watch');
  });
});

describe('school sign-in and a student\'s progress', () => {
  it('the start link carries the join code and a path of ours to come back to, never another site', () => {
    expect(oidcStartUrl('/api/v1/auth/oidc/start')).toBe('/api/v1/auth/oidc/start');
    expect(oidcStartUrl('/api/v1/auth/oidc/start', { joinCode: ' k7qf3-m9x2a ' })).toBe('/api/v1/auth/oidc/start?joinCode=k7qf3-m9x2a');
    expect(oidcStartUrl('/api/v1/auth/oidc/start', { next: '/labs/u4-x' })).toBe('/api/v1/auth/oidc/start?next=%2Flabs%2Fu4-x');
    expect(oidcStartUrl('/api/v1/auth/oidc/start', { next: '//evil.example/x' })).toBe('/api/v1/auth/oidc/start');
    expect(oidcStartUrl('https://evil.example/start', { joinCode: 'A' })).toBe('/api/v1/auth/oidc/start?joinCode=A');
  });

  it('steps done count only steps of the lab', () => {
    expect(stepsDone({ steps: [{ id: 's1', title: '' }, { id: 's2', title: '' }], cells: [cell('s1', 'done'), cell('s2', 'failing'), cell('gone', 'done')] })).toBe(1);
  });

  it('the grid page has its route', () => {
    expect(parseRoute('/classes/2/assignments/7')).toEqual({ screen: 'grid', classId: '2', id: '7' });
    expect(parseRoute('/classes/2/assignments/x')).toEqual({ screen: 'missing', path: '/classes/2/assignments/x' });
  });
});
