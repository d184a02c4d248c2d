// GET /api/v1/labs/:lab/diagnose?from=&to=: "why can't FROM reach TO?" — the walk over the observed
// lab, its first broken hop with a fix, and the real ping (ping.ok / ping.output).
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@fastify/type-provider-typebox';
import { checkIp, checkNodeName } from '@nslab/model';
import { diagnoseLive } from '@nslab/labs';
import { execInLab, inspectLab } from '@nslab/driver';
import { ApiError } from '../errors.ts';
import type { LabRegistry } from '../registry.ts';
import { LabParams } from './schemas.ts';

const DiagnoseQuery = Type.Object({
  from: Type.String({ maxLength: 64, description: 'a node name, or "host"' }),
  to: Type.String({ maxLength: 64, description: 'a node name or an IP address' }),
});

function bad(field: string, value: string, why: string): never {
  throw new ApiError(400, 'INVALID_INPUT', `${field} ${JSON.stringify(value)} ${why}`, field);
}

export async function diagnoseRoutes(app: FastifyInstance, opts: { registry: LabRegistry }): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.get('/labs/:lab/diagnose', { schema: { summary: "Why can't FROM reach TO? The first broken hop, its fix, and the real ping", params: LabParams, querystring: DiagnoseQuery }, config: { access: 'lab-read' } }, async (req) => {
    const nameWhy = checkNodeName(req.params.lab);
    if (nameWhy) bad('lab', req.params.lab, nameWhy);
    const { from, to } = req.query;
    if (from !== 'host') {
      const why = checkNodeName(from);
      if (why) bad('from', from, why);
    }
    // Digits and dots (or a colon) mean an address; anything else must be a node name.
    if (/^[0-9.]+$/.test(to) || to.includes(':') || to.includes('/')) {
      const why = checkIp(to);
      if (why) bad('to', to, why);
    } else if (to !== 'host') {
      const why = checkNodeName(to);
      if (why) bad('to', to, `is neither a node name nor an IP address: ${why}`);
    }
    const lab = await opts.registry.get(req.params.lab);
    const limits = opts.registry.limits;
    return diagnoseLive(
      { observe: () => inspectLab(lab.name), exec: (node, argv) => execInLab(lab.name, node, argv, { timeoutMs: Math.min(15_000, limits.execTimeoutMs) }) },
      from,
      to,
    );
  });
}
