// Per-class student quotas (classroom mode): a class may set its own labs / namespaces / terminals
// / captures per student, over the server's (classroom.*PerStudent). quotas.ts holds each student
// to the largest value their classes give. An instructor may tighten their class's quotas (at
// most the server's); going above the server's is for an admin, who knows what the machine holds.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@fastify/type-provider-typebox';
import { ApiError } from '../errors.ts';
import type { Classroom } from './classroom.ts';
import { now } from './db.ts';
import { userOf } from './principal.ts';
import type { StudentQuotaLimits } from './quotas.ts';

const KEYS = ['labs', 'namespaces', 'terminals', 'captures'] as const;
/** The same bounds as the config file's classroom.*PerStudent keys. */
const MAX: Record<(typeof KEYS)[number], number> = { labs: 1000, namespaces: 100_000, terminals: 10_000, captures: 1000 };

export type ClassQuotas = { [K in keyof StudentQuotaLimits]: number | null };

// Checked here, not by the schema: with the server's type coercion a 0 would pass as null.
const Value = (k: (typeof KEYS)[number]) => Type.Optional(Type.Unknown({ description: `1-${MAX[k]} per student in this class; null: the server's` }));
const QuotaBody = Type.Object({ labs: Value('labs'), namespaces: Value('namespaces'), terminals: Value('terminals'), captures: Value('captures') }, { additionalProperties: false });
const ClassParams = Type.Object({ class: Type.String({ maxLength: 20 }) });

export function classQuotasOf(c: Classroom, classId: number): ClassQuotas {
  const r = c.db.prepare('SELECT labs, namespaces, terminals, captures FROM class_quotas WHERE class_id = ?').get(classId) as ClassQuotas | undefined;
  return r ?? { labs: null, namespaces: null, terminals: null, captures: null };
}

export async function classQuotaRoutes(app: FastifyInstance, opts: { classroom: Classroom; mutationRate: number }): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const c = opts.classroom;
  const answer = (classId: number) => ({ server: c.quotaLimits, class: classQuotasOf(c, classId) });

  r.get('/classes/:class/quotas', { schema: { summary: 'The class\'s student quotas (null: the server\'s) and the server\'s', params: ClassParams }, config: { access: 'class-instructor' } }, async (req) => answer(Number(req.params.class)));

  r.put(
    '/classes/:class/quotas',
    { schema: { summary: 'Set the class\'s student quotas (keys left out stay; null: the server\'s)', params: ClassParams, body: QuotaBody }, config: { access: 'class-instructor', rateLimit: { max: opts.mutationRate, timeWindow: '1 minute' } } },
    async (req) => {
      const classId = Number(req.params.class);
      const next = { ...classQuotasOf(c, classId) };
      for (const k of KEYS) {
        const v = req.body[k] as unknown;
        if (v === undefined) continue;
        if (v !== null && !(Number.isInteger(v) && (v as number) >= 1 && (v as number) <= MAX[k])) {
          throw new ApiError(400, 'INVALID_QUOTA', `${k} must be a whole number from 1 to ${MAX[k]}, or null for the server's (got ${JSON.stringify(v)})`, k);
        }
        if (v !== null && (v as number) > c.quotaLimits[k] && userOf(req)?.role !== 'admin') {
          throw new ApiError(403, 'QUOTA_ABOVE_SERVER', `${k}: at most ${c.quotaLimits[k]} (the server's quota); only an admin gives a class more`, k);
        }
        next[k] = v as number | null;
      }
      c.db
        .prepare('INSERT INTO class_quotas (class_id, labs, namespaces, terminals, captures, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (class_id) DO UPDATE SET labs = excluded.labs, namespaces = excluded.namespaces, terminals = excluded.terminals, captures = excluded.captures, updated_at = excluded.updated_at')
        .run(classId, next.labs, next.namespaces, next.terminals, next.captures, now());
      return answer(classId);
    },
  );
}
