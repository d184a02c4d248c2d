// More than one instructor per class. The class's creator (or an admin) adds a co-instructor by
// account name and removes them; a co-instructor is a class member with the instructor role, so
// every check that lets the creator in (class-instructor routes, the grid, lab-read on the
// students' labs) lets them in too, and stops doing so the moment the row is gone.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@fastify/type-provider-typebox';
import { ApiError } from '../errors.ts';
import { checkUsername, type User } from './accounts.ts';
import type { Classroom } from './classroom.ts';
import { userOf } from './principal.ts';

const ClassParams = Type.Object({ class: Type.String({ maxLength: 20 }) });
const InstructorParams = Type.Object({ class: Type.String({ maxLength: 20 }), user: Type.String({ minLength: 1, maxLength: 64, description: "the co-instructor's username" }) });
const AddBody = Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });
const Empty = Type.Object({}, { additionalProperties: false });

export async function coInstructorRoutes(app: FastifyInstance, opts: { classroom: Classroom; mutationRate: number }): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const c = opts.classroom;
  const mutating = { rateLimit: { max: opts.mutationRate, timeWindow: '1 minute' } };
  const instructors = (classId: number) => ({ creator: c.accounts.byId(c.classes.creatorOf(classId) ?? -1)?.username ?? null, instructors: c.classes.members(classId).filter((m) => m.role === 'instructor') });

  /** The caller, when they may change the class's instructors: its creator or an admin. A co-instructor may not. */
  const creatorOrAdmin = (req: FastifyRequest, classId: number): User => {
    const u = userOf(req);
    if (!u) throw new ApiError(401, 'UNAUTHORIZED', 'sign in first');
    if (u.role !== 'admin' && c.classes.creatorOf(classId) !== u.id) throw new ApiError(403, 'NOT_CLASS_CREATOR', "only the class's creator or an admin adds and removes its instructors");
    return u;
  };

  r.get('/classes/:class/instructors', { schema: { summary: "The class's instructors and its creator", params: ClassParams }, config: { access: 'class-instructor' } }, async (req) => instructors(Number(req.params.class)));

  r.post(
    '/classes/:class/instructors',
    { schema: { summary: 'Add a co-instructor by account name (the creator or an admin)', params: ClassParams, body: AddBody }, config: { access: 'class-instructor', ...mutating } },
    async (req, reply) => {
      const classId = Number(req.params.class);
      creatorOrAdmin(req, classId);
      const username = checkUsername(req.body.username, 'username');
      const u = c.accounts.byUsername(username);
      if (!u) throw new ApiError(404, 'USER_NOT_FOUND', `username: no account "${username}"`, 'username');
      if (u.role !== 'instructor') throw new ApiError(400, 'NOT_AN_INSTRUCTOR', `username: "${u.username}" is ${u.role === 'admin' ? 'an admin (admins see every class already)' : 'a student account; only instructor accounts co-teach'}`, 'username');
      const added = c.classes.addInstructor(classId, u.id);
      return reply.code(added ? 201 : 200).send(instructors(classId));
    },
  );

  r.delete(
    '/classes/:class/instructors/:user',
    { schema: { summary: 'Remove a co-instructor (the creator or an admin): they lose the class, its grid and its labs at once', params: InstructorParams, body: Empty }, config: { access: 'class-instructor', ...mutating } },
    async (req) => {
      const classId = Number(req.params.class);
      creatorOrAdmin(req, classId);
      const username = checkUsername(req.params.user, 'user');
      const u = c.accounts.byUsername(username);
      if (u && u.id === c.classes.creatorOf(classId)) throw new ApiError(409, 'CLASS_CREATOR', `user: "${u.username}" made the class and stays its instructor`, 'user');
      if (!u || !c.classes.removeInstructor(classId, u.id)) throw new ApiError(404, 'INSTRUCTOR_NOT_FOUND', `user: "${username}" is not an instructor of this class`, 'user');
      return instructors(classId);
    },
  );
}
