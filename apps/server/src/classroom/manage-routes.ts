// Managing accounts and classes (classroom mode): disable, enable and delete accounts (an admin:
// anyone but themselves; an instructor: the students of a class they teach), remove a student
// from a class, delete a class. What happens to labs, each time:
// - disable: the account's sessions end and its running labs are stopped (saved, started again
//   when it is enabled and opens them); nothing is deleted;
// - delete an account: every lab it owns is destroyed (running or saved), then the account with
//   its sessions, memberships and checks; an account that made classes, join codes or
//   assignments is refused (delete those first: others rely on them);
// - remove a student from a class: their copies of that class's assignments are destroyed; their
//   own labs stay theirs (the class's instructors no longer see them);
// - delete a class: every student's copy of its assignments is destroyed, then the class with its
//   members, join codes, assignments and checks; students' own labs stay.
// Someone the caller may not manage is the 404 of an account that does not exist.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@fastify/type-provider-typebox';
import { ApiError } from '../errors.ts';
import type { LabRegistry } from '../registry.ts';
import type { TerminalManager } from '../terminals.ts';
import { checkUsername, type User } from './accounts.ts';
import type { Classroom } from './classroom.ts';
import { removeLabs, stopLabs } from './lab-removal.ts';
import { classQuotaRoutes } from './class-quotas.ts';
import { coInstructorRoutes } from './co-instructors.ts';
import { shownName, userOf } from './principal.ts';

const Empty = Type.Object({}, { additionalProperties: false });
const UserParams = Type.Object({ user: Type.String({ minLength: 1, maxLength: 64, description: 'a username' }) });
const ClassParams = Type.Object({ class: Type.String({ maxLength: 20 }) });
const StudentParams = Type.Object({ class: Type.String({ maxLength: 20 }), student: Type.String({ minLength: 1, maxLength: 64, description: 'the student\'s username' }) });

function me(req: FastifyRequest): User {
  const u = userOf(req);
  if (!u) throw new ApiError(401, 'UNAUTHORIZED', 'sign in first');
  return u;
}

export async function manageRoutes(app: FastifyInstance, opts: { classroom: Classroom; registry: LabRegistry; terminals: TerminalManager; mutationRate: number }): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const c = opts.classroom;
  const labs = { registry: opts.registry, terminals: opts.terminals, owners: c.owners };
  const mutating = { rateLimit: { max: opts.mutationRate, timeWindow: '1 minute' } };
  // A class's own student quotas: managed with the class.
  await app.register(classQuotaRoutes, { classroom: c, mutationRate: opts.mutationRate });
  // Its co-instructors: added and removed by its creator or an admin.
  await app.register(coInstructorRoutes, { classroom: c, mutationRate: opts.mutationRate });
  const publicUser = (u: User) => ({ id: u.id, username: u.username, displayName: u.displayName, role: u.role, disabled: u.disabledAt !== null });

  /** The account the caller may manage, or the 404 of one that does not exist. */
  const target = (req: FastifyRequest, raw: string): User => {
    const actor = me(req);
    const username = checkUsername(raw, 'user');
    const u = c.accounts.byUsername(username);
    const missing = new ApiError(404, 'USER_NOT_FOUND', `no account "${username}"`, 'user');
    if (!u) throw missing;
    if (actor.role === 'admin') {
      if (u.id === actor.id) throw new ApiError(409, 'OWN_ACCOUNT', 'user: not your own account (another admin can)', 'user');
      return u;
    }
    if (u.role !== 'student' || !c.classes.teachesStudent(actor.id, u.id)) throw missing;
    return u;
  };

  r.post('/users/:user/disable', { schema: { summary: 'Disable an account: it cannot sign in, its sessions end, its running labs stop (saved)', params: UserParams, body: Empty }, config: { access: 'instructor', ...mutating } }, async (req) => {
    const u = target(req, req.params.user);
    const out = c.accounts.setDisabled(u.id, true);
    c.sessions.revokeUser(u.id);
    const stopped = await stopLabs(labs, c.owners.ownedBy(u.id), `${shownName(me(req))} disabled this account`);
    return { user: publicUser(out), labsStopped: stopped };
  });

  r.post('/users/:user/enable', { schema: { summary: 'Enable a disabled account (its stopped labs start when opened)', params: UserParams, body: Empty }, config: { access: 'instructor', ...mutating } }, async (req) => {
    const u = target(req, req.params.user);
    return { user: publicUser(c.accounts.setDisabled(u.id, false)) };
  });

  r.delete('/users/:user', { schema: { summary: 'Delete an account: every lab it owns is destroyed, then the account with its checks', params: UserParams, body: Empty }, config: { access: 'instructor', ...mutating } }, async (req) => {
    const u = target(req, req.params.user);
    const uses = c.accounts.inUse(u.id);
    if (uses) throw new ApiError(409, 'ACCOUNT_IN_USE', `user: "${u.username}" made ${uses}, which others rely on: delete those first, or disable the account`, 'user');
    c.sessions.revokeUser(u.id);
    const removed = await removeLabs(labs, c.owners.ownedBy(u.id), `${shownName(me(req))} deleted this account`);
    c.accounts.delete(u.id);
    return { deleted: u.username, labsRemoved: removed };
  });

  r.delete(
    '/classes/:class/students/:student',
    { schema: { summary: 'Remove a student from the class: their copies of its assignments are destroyed; their own labs stay', params: StudentParams, body: Empty }, config: { access: 'class-instructor', ...mutating } },
    async (req) => {
      const classId = Number(req.params.class);
      const username = checkUsername(req.params.student, 'student');
      const u = c.accounts.byUsername(username);
      if (!u || !c.assignments.isStudentOf(u.id, classId)) throw new ApiError(404, 'STUDENT_NOT_FOUND', `class ${classId} has no student "${username}"`, 'student');
      const copies = c.assignments.ofClass(classId).flatMap((a) => c.assignments.labOf(a.id, u.id)?.labName ?? []);
      const removed = await removeLabs(labs, copies, `${shownName(me(req))} removed you from the class this assignment belongs to`);
      c.classes.removeStudent(classId, u.id);
      return { removed: u.username, labsRemoved: removed };
    },
  );

  r.delete('/classes/:class', { schema: { summary: 'Delete a class: its assignments\' copies are destroyed, then the class with its members, codes, assignments and checks', params: ClassParams, body: Empty }, config: { access: 'class-instructor', ...mutating } }, async (req) => {
    const classId = Number(req.params.class);
    const assignments = c.assignments.ofClass(classId);
    const copies = assignments.flatMap((a) => c.assignments.labsOf(a.id).map((l) => l.labName));
    const removed = await removeLabs(labs, copies, `${shownName(me(req))} deleted the class this assignment belongs to`);
    c.classes.delete(classId);
    for (const a of assignments) c.progress.events.emit('assignment-deleted', a.id);
    return { deleted: classId, labsRemoved: removed };
  });
}
