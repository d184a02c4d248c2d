// Assignments over HTTP (classroom mode): an instructor publishes a catalog lab to a class for a
// window, moves or closes the window, watches the grid (REST and a live WebSocket), resets a
// student's copy and exports the progress; a student lists their assignments and starts their own
// copy with one click. An assignment outside the caller's reach is a 404, as if it did not exist.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@fastify/type-provider-typebox';
import { checkNodeName } from '@nslab/model';
import { catalogIds, guidedLab, guidedLabExists, isUploadId, labsDir, startingTopology, startLab, UPLOAD_PREFIX } from '@nslab/labs/runtime';
import { findSandbox, labStore } from '@nslab/driver';
import { ApiError, toErrorBody } from '../errors.ts';
import type { LabRegistry } from '../registry.ts';
import type { TerminalManager } from '../terminals.ts';
import { sourceOf } from '../routes/source.ts';
import type { User } from './accounts.ts';
import { parseTime, windowState, type Assignment } from './assignments.ts';
import type { Classroom } from './classroom.ts';
import { stepsOf } from './grid.ts';
import type { ProgressChange, StudentRow } from './progress.ts';
import { shownName, userOf } from './principal.ts';
import { removeLabs } from './lab-removal.ts';
import { uploadRoutes } from './upload-routes.ts';

const ClassParams = Type.Object({ class: Type.String({ maxLength: 20 }) });
const AssignmentParams = Type.Object({ class: Type.String({ maxLength: 20 }), assignment: Type.String({ maxLength: 20, description: 'an assignment id' }) });
const StudentParams = Type.Object({ class: Type.String({ maxLength: 20 }), assignment: Type.String({ maxLength: 20 }), student: Type.String({ maxLength: 64, description: 'the student\'s username' }) });
const OwnParams = Type.Object({ assignment: Type.String({ maxLength: 20, description: 'an assignment id' }) });
const Time = (description: string) => Type.String({ maxLength: 40, description });
const PublishBody = Type.Object(
  {
    lab: Type.String({ minLength: 1, maxLength: 64, description: 'a guided lab id of the catalog, or an uploaded lab\'s (upload/...: yours, or any for an admin)' }),
    opensAt: Type.Optional(Time('when students may start it (default: now); ISO-8601 with a zone')),
    closesAt: Time('when starting it stops; ISO-8601 with a zone'),
  },
  { additionalProperties: false },
);
const WindowBody = Type.Object({ opensAt: Type.Optional(Time('a new opening time')), closesAt: Type.Optional(Time('a new closing time (later: extend)')) }, { additionalProperties: false });
/** An open live grid recomputes the whole grid every this many refresh ticks (5 s each by default). */
const FULL_EVERY = 6;
const Empty = Type.Object({}, { additionalProperties: false });
const GridQuery = Type.Object(
  { stuckMinutes: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 24 * 60, description: 'a failing check is "stuck" after this many minutes (default: the server\'s, 10)' })) },
  { additionalProperties: false },
);
// A WebSocket refused by validation is an HTTP 400 the browser cannot read: the live grid takes
// unknown parameters quietly, as the terminal's does.
const LiveQuery = Type.Object({ stuckMinutes: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 24 * 60 })) });
const ExportQuery = Type.Object(
  { format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])), stuckMinutes: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 24 * 60 })) },
  { additionalProperties: false },
);

function me(req: FastifyRequest): User {
  const u = userOf(req);
  if (!u) throw new ApiError(401, 'UNAUTHORIZED', 'sign in first');
  return u;
}

function catalogLab(id: string, field: string): string {
  if (checkNodeName(id) || !catalogIds(labsDir()).includes(id)) throw new ApiError(400, 'LAB_NOT_IN_CATALOG', `${field}: there is no guided lab "${id}" in the catalog`, field);
  return id;
}

/** A lab an assignment's copy is started from: it must still be there (an upload can be deleted only while unused, but its files can go). */
function assignedLab(a: Assignment) {
  if (!guidedLabExists(a.lab)) throw new ApiError(409, 'LAB_GONE', `assignment ${a.id}: its lab "${a.lab}" is no longer on this server`, 'lab');
  return guidedLab(a.lab);
}

function publicAssignment(a: Assignment, at = Date.now()) {
  const title = guidedLabExists(a.lab) ? guidedLab(a.lab).title : a.lab;
  return { ...a, title, uploaded: isUploadId(a.lab), window: windowState(a, at) };
}

/** A lab id as a name part: an upload's without "upload/" and its hash (the assignment's id keeps copies apart). */
function labSlug(lab: string): string {
  return isUploadId(lab) ? lab.slice(UPLOAD_PREFIX.length).replace(/-[0-9a-f]{16}$/, '') : lab;
}

/** The display name of a student's copy: the lab's id and the assignment's (kernel name u<id>-<this>). */
export function copyName(a: Assignment): string {
  return `${labSlug(a.lab)}-a${a.id}`;
}

export async function assignmentRoutes(app: FastifyInstance, opts: { classroom: Classroom; registry: LabRegistry; terminals: TerminalManager; mutationRate: number }): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const c = opts.classroom;
  const mutating = { rateLimit: { max: opts.mutationRate, timeWindow: '1 minute' } };
  const stuck = (q: { stuckMinutes?: number }) => q.stuckMinutes ?? c.stuckMinutes;
  await app.register(uploadRoutes, { classroom: c, mutationRate: opts.mutationRate });

  /** Deploy the guided lab's start as `name` (a copy that is gone, or a reset). */
  const deploy = async (a: Assignment, name: string) => {
    const lab = assignedLab(a);
    await opts.registry.deployNew(name, startingTopology(lab), () => startLab(lab.id, name));
  };

  r.get('/classes/:class/assignments', { schema: { summary: 'The class\'s assignments', params: ClassParams }, config: { access: 'class-instructor' } }, async (req) => ({
    assignments: c.assignments.ofClass(Number(req.params.class)).map((a) => publicAssignment(a)),
  }));

  r.post(
    '/classes/:class/assignments',
    { schema: { summary: 'Publish a catalog lab to the class for a window', params: ClassParams, body: PublishBody }, config: { access: 'class-instructor', ...mutating } },
    async (req, reply) => {
      // An upload is the caller's own (an admin: anyone's); another instructor's is a 404 as if made up.
      const lab = isUploadId(req.body.lab) ? c.uploads.mine(me(req), req.body.lab, 'lab').id : catalogLab(req.body.lab, 'lab');
      const opensAt = req.body.opensAt !== undefined ? parseTime(req.body.opensAt, 'opensAt') : new Date().toISOString();
      const closesAt = parseTime(req.body.closesAt, 'closesAt');
      return reply.code(201).send(publicAssignment(c.assignments.create(Number(req.params.class), lab, opensAt, closesAt, me(req))));
    },
  );

  r.patch(
    '/classes/:class/assignments/:assignment',
    { schema: { summary: 'Move an assignment\'s window (extend it: a later closesAt)', params: AssignmentParams, body: WindowBody }, config: { access: 'class-instructor', ...mutating } },
    async (req) => {
      const a = c.assignments.inClass(Number(req.params.class), req.params.assignment);
      const opensAt = req.body.opensAt !== undefined ? parseTime(req.body.opensAt, 'opensAt') : a.opensAt;
      const closesAt = req.body.closesAt !== undefined ? parseTime(req.body.closesAt, 'closesAt') : a.closesAt;
      const out = c.assignments.setWindow(a, opensAt, closesAt);
      c.progress.events.emit('assignment', out);
      return publicAssignment(out);
    },
  );

  r.post(
    '/classes/:class/assignments/:assignment/close',
    { schema: { summary: 'Close an assignment now (students keep their copies; no new starts)', params: AssignmentParams, body: Empty }, config: { access: 'class-instructor', ...mutating } },
    async (req) => {
      const a = c.assignments.inClass(Number(req.params.class), req.params.assignment);
      const t = Date.now();
      if (Date.parse(a.closesAt) <= t) return publicAssignment(a, t);
      // Closing one that has not opened yet: it opened and closed now.
      const opensAt = Date.parse(a.opensAt) < t ? a.opensAt : new Date(t - 1).toISOString();
      const out = c.assignments.setWindow(a, opensAt, new Date(t).toISOString());
      c.progress.events.emit('assignment', out);
      return publicAssignment(out, t);
    },
  );

  r.delete(
    '/classes/:class/assignments/:assignment',
    {
      schema: { summary: 'Delete an assignment: every student\'s copy is destroyed (running or saved), its checks and grid go with it (export them first)', params: AssignmentParams, body: Empty },
      config: { access: 'class-instructor', ...mutating },
    },
    async (req) => {
      const a = c.assignments.inClass(Number(req.params.class), req.params.assignment);
      const copies = c.assignments.labsOf(a.id).map((l) => l.labName);
      const removed = await removeLabs({ registry: opts.registry, terminals: opts.terminals, owners: c.owners }, copies, `${shownName(me(req))} deleted the assignment this lab was a copy of`);
      c.assignments.delete(a.id);
      c.progress.events.emit('assignment-deleted', a.id);
      return { deleted: a.id, labsRemoved: removed };
    },
  );

  r.get(
    '/classes/:class/assignments/:assignment/grid',
    { schema: { summary: 'Students × steps: done, failing (which check), stuck, idle', params: AssignmentParams, querystring: GridQuery }, config: { access: 'class-instructor' } },
    async (req) => {
      const a = c.assignments.inClass(Number(req.params.class), req.params.assignment);
      const g = c.grids.grid(a, stuck(req.query));
      return { ...g, assignment: publicAssignment(a) };
    },
  );

  r.get(
    '/classes/:class/assignments/:assignment/progress',
    { schema: { summary: 'Export the progress: JSON (grid and every check) or CSV (one line per student and step)', params: AssignmentParams, querystring: ExportQuery }, config: { access: 'class-instructor' } },
    async (req, reply) => {
      const a = c.assignments.inClass(Number(req.params.class), req.params.assignment);
      const base = `assignment-${a.id}-${labSlug(a.lab)}-progress`;
      if (req.query.format === 'csv') {
        return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${base}.csv"`).send(c.grids.exportCsv(a, stuck(req.query)));
      }
      return reply.header('content-disposition', `attachment; filename="${base}.json"`).send(c.grids.exportJson(a, stuck(req.query)));
    },
  );

  r.post(
    '/classes/:class/assignments/:assignment/students/:student/reset',
    { schema: { summary: 'Reset a student\'s copy: redeployed from the guided lab\'s start; the grid row starts over', params: StudentParams, body: Empty }, config: { access: 'class-instructor', ...mutating } },
    async (req) => {
      const a = c.assignments.inClass(Number(req.params.class), req.params.assignment);
      const student = c.accounts.byUsername(req.params.student.trim().toLowerCase());
      if (!student || !c.assignments.isStudentOf(student.id, a.classId)) throw new ApiError(404, 'STUDENT_NOT_FOUND', `assignment ${a.id} has no student "${req.params.student}"`, 'student');
      const copy = c.assignments.labOf(a.id, student.id);
      if (!copy) throw new ApiError(404, 'NOT_STARTED', `${student.username} has not started assignment ${a.id} yet: nothing to reset`, 'student');
      // The student's terminals end saying why (not just "destroyed"): the lab is back in a moment.
      opts.terminals.closeLab(copy.labName, `${shownName(me(req))} reset this lab to the start of the assignment`);
      if (findSandbox(copy.labName) || labStore.hasData(copy.labName)) await opts.registry.destroy(copy.labName, false);
      await deploy(a, copy.labName);
      const out = c.assignments.started(a.id, student.id, copy.labName);
      c.progress.changed(a.id, student.id);
      return { reset: copy.labName, student: student.username, startedAt: out.startedAt };
    },
  );

  // The live grid: the whole grid first, then each student's row when it changes (a check, a
  // start, a reset, a cell turning stuck), and the assignment when its window moves.
  r.get(
    '/classes/:class/assignments/:assignment/live',
    { websocket: true, schema: { params: AssignmentParams, querystring: LiveQuery }, config: { access: 'class-instructor' } },
    (socket, req) => {
      const send = (m: unknown) => {
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(m));
      };
      let a: Assignment;
      try {
        a = c.assignments.inClass(Number(req.params.class), req.params.assignment);
      } catch (e) {
        const { body } = toErrorBody(e);
        socket.send(JSON.stringify({ type: 'error', ...body }), () => socket.close(1008, body.code));
        return;
      }
      const minutes = stuck(req.query);
      const last = new Map<number, string>();
      /** When a pushed row's failing cell turns stuck with no new check (its "since" + N minutes). */
      const turnsStuck = new Map<number, number>();
      const remember = (row: StudentRow) => {
        last.set(row.userId, JSON.stringify(row));
        const due = row.cells.filter((x) => x.state === 'failing' && x.since).map((x) => Date.parse(x.since!) + minutes * 60_000);
        if (due.length) turnsStuck.set(row.userId, Math.min(...due));
        else turnsStuck.delete(row.userId);
      };
      const push = (row: StudentRow | null) => {
        if (!row) return;
        const j = JSON.stringify(row);
        if (last.get(row.userId) === j) return;
        remember(row);
        send({ type: 'row', at: new Date().toISOString(), row });
      };
      const onChange = (ch: ProgressChange) => {
        if (ch.assignmentId === a.id) push(c.grids.row(a, ch.userId, minutes));
      };
      const onAssignment = (x: Assignment) => {
        if (x.id !== a.id) return;
        a = x;
        send({ type: 'assignment', assignment: publicAssignment(x) });
      };
      const onDeleted = (id: number) => {
        if (id !== a.id || socket.readyState !== socket.OPEN) return;
        socket.send(JSON.stringify({ type: 'error', code: 'ASSIGNMENT_NOT_FOUND', message: `assignment ${id} was deleted` }), () => socket.close(1008, 'ASSIGNMENT_NOT_FOUND'));
      };
      // A co-instructor taken out of the class loses its open grid too, not only its next request.
      const viewer = userOf(req)?.id;
      const onInstructorRemoved = (classId: number, userId: number) => {
        if (classId !== a.classId || userId !== viewer || socket.readyState !== socket.OPEN) return;
        stop();
        socket.send(JSON.stringify({ type: 'error', code: 'CLASS_NOT_FOUND', message: 'you are no longer an instructor of this class' }), () => socket.close(1008, 'CLASS_NOT_FOUND'));
      };
      // Cells turn stuck with no event (time passes): only those rows are computed again, each
      // tick; the whole grid (students who joined the class meanwhile) every FULL_EVERY ticks.
      let tick = 0;
      const timer = setInterval(() => {
        if (socket.readyState !== socket.OPEN || !c.db.open) return stop();
        if (++tick % FULL_EVERY === 0) {
          for (const row of c.grids.grid(a, minutes).students) push(row);
          return;
        }
        const t = Date.now();
        for (const [userId, due] of turnsStuck) if (due <= t) push(c.grids.row(a, userId, minutes, t));
      }, c.gridRefreshMs);
      timer.unref();
      const stop = () => {
        clearInterval(timer);
        c.progress.events.off('change', onChange);
        c.progress.events.off('assignment', onAssignment);
        c.progress.events.off('assignment-deleted', onDeleted);
        c.classes.events.off('instructor-removed', onInstructorRemoved);
      };
      c.progress.events.on('change', onChange);
      c.progress.events.on('assignment', onAssignment);
      c.progress.events.on('assignment-deleted', onDeleted);
      c.classes.events.on('instructor-removed', onInstructorRemoved);
      socket.on('close', stop);
      // Nothing is read from the instructor: what they send is ignored.
      socket.on('message', () => {});
      const g = c.grids.grid(a, minutes);
      for (const row of g.students) remember(row);
      send({ type: 'grid', grid: { ...g, assignment: publicAssignment(a) } });
    },
  );

  // A student's side.
  const ownView = (user: User, a: Assignment) => {
    const copy = c.assignments.labOf(a.id, user.id);
    const row = c.grids.row(a, user.id, c.stuckMinutes);
    return { ...publicAssignment(a), myLab: copy?.labName ?? null, startedAt: copy?.startedAt ?? null, steps: stepsOf(a.lab), cells: row?.cells ?? [] };
  };

  r.get('/assignments', { schema: { summary: 'Your assignments (the classes you are a student of), with your progress' }, config: { access: 'signed-in' } }, async (req) => {
    const user = me(req);
    return { assignments: c.assignments.ofStudent(user).map((a) => ownView(user, a)) };
  });

  r.get('/assignments/:assignment', { schema: { summary: 'One of your assignments, with your progress', params: OwnParams }, config: { access: 'signed-in' } }, async (req) => {
    const user = me(req);
    return ownView(user, c.assignments.forStudent(user, req.params.assignment));
  });

  r.post(
    '/assignments/:assignment/start',
    { schema: { summary: 'Start your copy of an assignment (while it is open); your running copy if you have one', params: OwnParams, body: Empty }, config: { access: 'signed-in', ...mutating } },
    async (req, reply) => {
      const user = me(req);
      const a = c.assignments.forStudent(user, req.params.assignment);
      const copy = c.assignments.labOf(a.id, user.id);
      if (copy && findSandbox(copy.labName)) return reply.code(200).send({ name: copy.labName, assignment: a.id, started: false });
      const state = windowState(a);
      if (state === 'upcoming') throw new ApiError(409, 'ASSIGNMENT_NOT_OPEN', `assignment ${a.id} opens at ${a.opensAt}: it can be started from then`, 'assignment', { opensAt: a.opensAt });
      if (state === 'closed') throw new ApiError(409, 'ASSIGNMENT_CLOSED', `assignment ${a.id} closed at ${a.closesAt}: ask your instructor to extend it`, 'assignment', { closesAt: a.closesAt });
      const display = copyName(a);
      const name = copy?.labName ?? c.owners.kernelName(user, display, 'assignment');
      if (copy && labStore.loadTopology(name) !== null) {
        // Stopped (kept): started again as it was left, with its progress.
        await opts.registry.start(name, sourceOf(req));
        return reply.code(201).send({ name, assignment: a.id, started: true });
      }
      // A lab of the student's own under that name is theirs: not overwritten.
      if (!copy && labStore.hasData(name)) throw new ApiError(409, 'LAB_EXISTS', `you already have a lab named "${display}": rename or destroy it to start assignment ${a.id}`, 'assignment');
      await deploy(a, name);
      c.owners.record(name, user, display);
      c.assignments.started(a.id, user.id, name);
      c.progress.changed(a.id, user.id);
      return reply.code(201).send({ name, assignment: a.id, started: true });
    },
  );
}
