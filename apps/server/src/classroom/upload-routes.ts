// Uploaded lab folders over HTTP (classroom mode): an instructor (or admin) uploads a lab folder as
// JSON {name, files: {path: text}}, lists and deletes their uploads, and publishes one to a class
// like a catalog lab (assignment-routes.ts takes its id). JSON rather than an archive: a browser
// sends a folder picked with <input webkitdirectory> as it is, and a list of paths and texts has
// no links, devices or compression to get wrong; the request's size is the server's body limit.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@fastify/type-provider-typebox';
import { TopologyError, type Issue } from '@nslab/model';
import type { Lab } from '@nslab/labs';
import { labAvailability, parseUpload, UPLOAD_LIMITS } from '@nslab/labs/runtime';
import { ApiError } from '../errors.ts';
import type { User } from './accounts.ts';
import type { Classroom } from './classroom.ts';
import { userOf } from './principal.ts';
import { uploadIdOf, type UploadedLab } from './uploads.ts';

/** The JSON of a full upload: its text escaped ("\n", "\"") and its paths, with room to spare. */
export const UPLOAD_BODY_LIMIT = 2 * UPLOAD_LIMITS.totalBytes + 256 * 1024;

const UploadBody = Type.Object(
  {
    name: Type.String({ maxLength: 100, description: 'the lab\'s name: its folder name, lowercase letters, digits and "-" (at most 24)' }),
    // Checked by @nslab/labs' checkUploadFiles, which names each path and rule in its refusals.
    files: Type.Unknown({ description: `every file of the lab folder, path (relative, "/"-separated) -> text; lab.yaml at the top; at most ${UPLOAD_LIMITS.files} files, ${UPLOAD_LIMITS.fileBytes} bytes each, ${UPLOAD_LIMITS.totalBytes} in all` }),
  },
  { additionalProperties: false },
);
const UploadParams = Type.Object({ upload: Type.String({ maxLength: 64, description: 'an uploaded lab\'s id without "upload/"' }) });
const Empty = Type.Object({}, { additionalProperties: false });

function me(req: FastifyRequest): User {
  const u = userOf(req);
  if (!u) throw new ApiError(401, 'UNAUTHORIZED', 'sign in first');
  return u;
}

function labSummary(lab: Lab) {
  return { title: lab.title, summary: lab.summary, requires: lab.requires, tools: lab.tools, steps: lab.steps.map((s) => ({ id: s.id, title: s.title })) };
}

/** Refuses a lab this machine cannot run, naming the field that asks for it and what is missing. */
async function refuseUnrunnable(lab: Lab): Promise<void> {
  const a = await labAvailability(lab);
  if (a.problems.length === 0) return;
  const issues: Issue[] = [
    ...a.missing.map((c, i) => {
      const k = (lab.requires as string[]).indexOf(c);
      return { field: k >= 0 ? `lab.requires[${k}]` : 'lab.topology', rule: 'kernel-feature', message: a.problems[i]! };
    }),
    ...a.missingTools.map((t) => ({ field: `lab.tools[${Math.max(0, lab.tools.indexOf(t.tool))}]`, rule: 'tool', message: `the ${t.tool} command: this machine lacks it (apt-get install ${t.package})` })),
  ];
  const features = a.missing.length ? `kernel feature${a.missing.length === 1 ? '' : 's'} ${a.missing.join(', ')}` : '';
  const tools = a.missingTools.length ? `command${a.missingTools.length === 1 ? '' : 's'} ${a.missingTools.map((t) => t.tool).join(', ')}` : '';
  throw new ApiError(422, 'LAB_NOT_RUNNABLE', `${issues[0]!.field}: this machine cannot run the lab: it lacks the ${[features, tools].filter(Boolean).join(' and the ')} (${a.problems.join('; ')})`, issues[0]!.field, { issues, missing: a.missing, missingTools: a.missingTools });
}

export async function uploadRoutes(app: FastifyInstance, opts: { classroom: Classroom; mutationRate: number }): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const c = opts.classroom;
  const mutating = { rateLimit: { max: opts.mutationRate, timeWindow: '1 minute' } };
  const view = (u: UploadedLab) => ({ ...u, assignments: c.uploads.usedBy(u.id) });

  r.get('/lab-uploads', { schema: { summary: 'Your uploaded labs (an admin: everyone\'s), newest first' }, config: { access: 'instructor' } }, async (req) => ({
    uploads: c.uploads.visibleTo(me(req)).map(view),
  }));

  r.post(
    '/lab-uploads',
    {
      schema: { summary: 'Upload a lab folder (checked, parsed, refused whole or kept whole); publish it with its id', body: UploadBody },
      config: { access: 'instructor', ...mutating },
      bodyLimit: UPLOAD_BODY_LIMIT,
      // A compressed body would be expanded past the limit it was held to: only plain JSON is read.
      onRequest: async (req) => {
        const enc = req.headers['content-encoding'];
        if (enc !== undefined && enc.trim().toLowerCase() !== 'identity') throw new ApiError(415, 'UNSUPPORTED_ENCODING', `content-encoding ${JSON.stringify(enc)}: send the upload uncompressed (at most ${UPLOAD_BODY_LIMIT} bytes)`);
      },
    },
    async (req, reply) => {
      const user = me(req);
      let lab: Lab;
      try {
        lab = parseUpload(req.body.name, req.body.files as Record<string, string>);
      } catch (e) {
        if (!(e instanceof TopologyError)) throw e;
        const n = e.issues.length;
        throw new ApiError(400, 'INVALID_LAB', `${n} problem${n === 1 ? '' : 's'} in the lab folder: ${e.issues.slice(0, 3).map((i) => `${i.field}: ${i.message}`).join('; ')}${n > 3 ? '; …' : ''}`, e.issues[0]?.field, { issues: e.issues });
      }
      await refuseUnrunnable(lab);
      const { upload, lab: kept } = c.uploads.add(user, req.body.name, req.body.files as Record<string, string>);
      return reply.code(201).send({ ...view(upload), lab: labSummary(kept) });
    },
  );

  r.delete(
    '/lab-uploads/:upload',
    { schema: { summary: 'Delete an uploaded lab (refused while an assignment was published from it)', params: UploadParams, body: Empty }, config: { access: 'instructor', ...mutating } },
    async (req) => {
      const id = uploadIdOf(req.params.upload);
      c.uploads.remove(me(req), id);
      return { deleted: id };
    },
  );
}
