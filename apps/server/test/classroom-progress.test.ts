// Assignments and progress without a kernel: migration 2's tables, window rules, what a check
// records, the grid's cell states (time given, not waited for), and the CSV/JSON export.
import { describe, expect, it } from 'vitest';
import type { StepResult } from '@nslab/labs';
import { openDatabase, schemaVersion } from '../src/classroom/db.ts';
import { Accounts } from '../src/classroom/accounts.ts';
import { Assignments, parseTime, windowState } from '../src/classroom/assignments.ts';
import { Classes } from '../src/classroom/classes.ts';
import { GridBuilder } from '../src/classroom/grid.ts';
import { cellsOf, Progress, type CheckRecord } from '../src/classroom/progress.ts';
import { MIGRATIONS } from '../src/classroom/migrations.ts';

const T0 = Date.parse('2026-03-02T10:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const rec = (step: string, ok: boolean, s: number, failingCheck: string | null = ok ? null : 'x', hints: string[] = []): CheckRecord => ({
  id: 0,
  assignmentId: 1,
  lab: 'u4-veth-pair-a1',
  userId: 4,
  step,
  ok,
  failingCheck,
  hints,
  at: at(s),
  late: false,
});
const STEPS = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
const MIN = 60_000;

describe('grid cells', () => {
  it('done once a step passed (since its first pass), idle before any check', () => {
    const cells = cellsOf(STEPS, [rec('a', false, 0, 'ns1'), rec('a', true, 30), rec('a', false, 40, 'ns1')], T0 + 60_000, 10 * MIN);
    expect(cells).toEqual([
      { step: 'a', state: 'done', since: at(30), attempts: 3, hintsShown: 0 },
      { step: 'b', state: 'idle', attempts: 0, hintsShown: 0 },
      { step: 'c', state: 'idle', attempts: 0, hintsShown: 0 },
    ]);
  });

  it('failing names the check; stuck when that same check has failed for N minutes; another check starts the clock again', () => {
    const rows = [rec('b', false, 0, 'peer veth-01', ['h1']), rec('b', false, 200, 'peer veth-01', ['h1', 'h2'])];
    expect(cellsOf(STEPS, rows, T0 + 9 * MIN, 10 * MIN)[1]).toEqual({ step: 'b', state: 'failing', check: 'peer veth-01', since: at(0), attempts: 2, hintsShown: 3 });
    expect(cellsOf(STEPS, rows, T0 + 10 * MIN, 10 * MIN)[1]).toMatchObject({ state: 'stuck', check: 'peer veth-01', since: at(0) });
    // A different check fails now: progress was made, the clock restarts from its first failure.
    const moved = [...rows, rec('b', false, 500, 'veth-01 is up')];
    expect(cellsOf(STEPS, moved, T0 + 10 * MIN, 10 * MIN)[1]).toMatchObject({ state: 'failing', check: 'veth-01 is up', since: at(500), attempts: 3 });
    expect(cellsOf(STEPS, moved, T0 + 500_000 + 10 * MIN, 10 * MIN)[1]).toMatchObject({ state: 'stuck', check: 'veth-01 is up' });
  });
});

describe('windows and times', () => {
  it('upcoming, open, closed', () => {
    const w = { opensAt: at(0), closesAt: at(60) };
    expect(windowState(w, T0 - 1)).toBe('upcoming');
    expect(windowState(w, T0)).toBe('open');
    expect(windowState(w, T0 + 59_999)).toBe('open');
    expect(windowState(w, T0 + 60_000)).toBe('closed');
  });

  it('times need a zone and are stored in UTC; bad ones name their field', () => {
    expect(parseTime('2026-03-02T12:00:00+02:00', 'opensAt')).toBe('2026-03-02T10:00:00.000Z');
    expect(() => parseTime('2026-03-02 12:00', 'opensAt')).toThrow(/opensAt must be an ISO-8601 time with a zone/);
    expect(() => parseTime('2026-13-45T12:00:00Z', 'closesAt')).toThrow(/closesAt .* is not a real date/);
  });
});

describe('recording and export (in-memory database)', () => {
  it('migration 2 is there; a check records one row per step looked at; the export has the grid and the history', async () => {
    const db = openDatabase(':memory:');
    expect(schemaVersion(db)).toBe(MIGRATIONS.at(-1)!.version);
    expect(MIGRATIONS.find((m) => m.version === 2)?.sql).toMatch(/CREATE TABLE check_results/);
    const accounts = new Accounts(db);
    const classes = new Classes(db);
    const assignments = new Assignments(db);
    const progress = new Progress(db);
    const grids = new GridBuilder(assignments, progress, classes);
    const ines = (await accounts.create({ username: 'ines', role: 'instructor', password: 'correct horse battery' })).user;
    const sam = (await accounts.create({ username: 'sam', role: 'student', password: 'correct horse battery', displayName: '@SUM(A1)' })).user;
    const cls = classes.create('Networks', ines);
    classes.addStudent(cls.id, sam.id);
    const a = assignments.create(cls.id, 'veth-pair', at(0), at(3600), ines);
    expect(() => assignments.create(cls.id, 'veth-pair', at(10), at(10), ines)).toThrow(/closesAt .* must be after opensAt/);
    assignments.started(a.id, sam.id, 'u2-veth-pair-a1');
    const changes: unknown[] = [];
    progress.events.on('change', (ch) => changes.push(ch));
    const results: StepResult[] = [
      { step: 'namespaces', title: 'two namespaces', ok: true, checks: [{ title: 'namespace ns1 exists', ok: true, hints: [] }] },
      {
        step: 'veth',
        title: 'a veth pair',
        ok: false,
        checks: [
          { title: 'ns1 has veth-01', ok: true, hints: ['not shown: the check passed'] },
          { title: 'veth-01 peers with veth-10', ok: false, detail: 'missing', hints: ['ip link set veth-10 netns ns2'] },
        ],
      },
    ];
    progress.record('u2-veth-pair-a1', sam.id, a.id, results);
    expect(changes).toEqual([{ assignmentId: a.id, userId: sam.id }]);
    expect(progress.ofAssignment(a.id).map((r) => [r.step, r.ok, r.failingCheck, r.hints])).toEqual([
      ['namespaces', true, null, []],
      ['veth', false, 'veth-01 peers with veth-10', ['ip link set veth-10 netns ns2']],
    ]);
    const g = grids.grid(a, 10);
    expect(g.steps.map((s) => s.id)).toEqual(['namespaces', 'veth', 'addresses', 'loopback', 'trace-arp']);
    expect(g.students).toMatchObject([{ username: 'sam', lab: 'u2-veth-pair-a1', cells: [{ state: 'done' }, { state: 'failing', check: 'veth-01 peers with veth-10', hintsShown: 1 }, { state: 'idle' }, { state: 'idle' }, { state: 'idle' }] }]);
    const csv = grids.exportCsv(a, 10).trim().split('\n');
    expect(csv).toHaveLength(1 + 5); // a header, then a row per step
    // A display name that a spreadsheet would run as a formula is quoted as text.
    expect(csv[1]).toContain(`,sam,'@SUM(A1),u2-veth-pair-a1,`);
    expect(csv[2]).toContain(',veth,failing,veth-01 peers with veth-10,');
    expect(grids.exportJson(a, 10).checks).toMatchObject([{ username: 'sam', step: 'namespaces', ok: true }, { username: 'sam', step: 'veth', ok: false }]);
    // A lab outside an assignment is recorded too, without an assignment, and moves no grid.
    progress.record('u2-mylab', sam.id, null, results);
    expect(changes).toHaveLength(1);
    expect((db.prepare('SELECT COUNT(*) AS n FROM check_results WHERE assignment_id IS NULL').get() as { n: number }).n).toBe(2);
    db.close();
  });
});
