// What the lab page asks about a lab stopped while idle (classroom mode): whether it was, and
// once it runs again, the notice and the terminals to open again, taken once by its owner.
// GET does not start the lab (idle.ts lets it through), so the page can say "starting it again"
// while its event socket does; DELETE, like any request of the owner's, starts it first.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { LabParams } from '../routes/schemas.ts';
import type { Classroom } from './classroom.ts';
import { userOf } from './principal.ts';

export async function idleRoutes(app: FastifyInstance, opts: { classroom: Classroom }): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const c = opts.classroom;

  r.get(
    '/labs/:lab/idle-stop',
    { schema: { summary: 'Whether the lab was stopped while idle (and started again since); does not start it', params: LabParams }, config: { access: 'lab-read' } },
    async (req) => ({ idleStop: c.idleStops.get(req.params.lab) }),
  );

  r.delete(
    '/labs/:lab/idle-stop',
    { schema: { summary: 'Its owner takes the notice of a lab started again after an idle stop (once): when it stopped and which terminals to open again', params: LabParams }, config: { access: 'lab-write' } },
    async (req) => {
      // An admin looking at a student's lab must not take the student's notice.
      if (c.owners.of(req.params.lab)?.ownerId !== userOf(req)?.id) return { idleStop: null };
      return { idleStop: c.idleStops.take(req.params.lab) };
    },
  );
}
