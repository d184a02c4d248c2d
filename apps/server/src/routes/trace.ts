// POST /api/v1/labs/:lab/trace {from, to, protocol?, port?}: one probe with a unique marker followed
// through the lab on the real kernel; answers its Journey (@nslab/protocol). Who may: as for the
// diagnosis (lab-read: the lab's owner, their instructors, an admin; the probe and the trace table
// are the lab's own for a moment and gone after). One trace at a time per lab. A guided lab keeps
// the journey for its trace steps (@nslab/labs/runtime recordGuideTrace).
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { checkNodeName } from '@nslab/model';
import { walk } from '@nslab/labs';
import { recordGuideTrace } from '@nslab/labs/runtime';
import { listLabs, sweepStaleTrace, traceLab, TraceBusyError, TraceInputError } from '@nslab/driver';
import { Journey, TraceBody } from '@nslab/protocol';
import { ApiError } from '../errors.ts';
import { liveProbe } from '../live-probe.ts';
import type { LabRegistry } from '../registry.ts';
import type { TracePcaps } from './trace-pcap.ts';
import { LabParams } from './schemas.ts';

export async function traceRoutes(app: FastifyInstance, opts: { registry: LabRegistry; mutationRate: number; pcaps?: TracePcaps }): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const busy = new Set<string>();

  // A trace whose server was killed left its trace table behind (its collectors' watchdogs remove
  // it when they see the server go; this is for a watchdog that was killed too).
  app.addHook('onReady', async () => {
    for (const sb of listLabs()) await sweepStaleTrace(sb.name).catch(() => false);
  });

  r.post('/labs/:lab/trace', {
    schema: { summary: 'Follow one probe through the lab: every hop, what changed and why (the packet journey)', params: LabParams, body: TraceBody, response: { 200: Journey } },
    config: { access: 'lab-read', rateLimit: { max: opts.mutationRate, timeWindow: '1 minute' } },
  }, async (req) => {
    const why = checkNodeName(req.params.lab);
    if (why) throw new ApiError(400, 'INVALID_NAME', `lab ${JSON.stringify(req.params.lab)} ${why}`, 'lab');
    const lab = await opts.registry.get(req.params.lab);
    if (busy.has(lab.name)) throw new ApiError(409, 'TRACE_BUSY', `lab "${lab.name}" is already being traced: one trace at a time per lab`);
    busy.add(lab.name);
    const { from, to } = req.body;
    // The live view (kept current by netlink events) with the probe's ends read now, as a guide
    // check does: a trace in a 300-namespace lab reads no more than one in a 3-namespace lab.
    const probe = liveProbe(lab);
    try {
      let capture: Buffer | undefined;
      const journey = await traceLab(lab.name, { from, to, ...(req.body.protocol ? { protocol: req.body.protocol } : {}), ...(req.body.port !== undefined ? { port: req.body.port } : {}) }, {
        observe: (ends) => probe.observe(ends.filter((n) => lab.state.nodes.some((m) => m.name === n))),
        diagnose: (observed) => walk(probe, observed, from, to),
        ...(opts.pcaps ? { onPcapng: (b: Buffer) => void (capture = b) } : {}),
      });
      // The merged capture, kept for GET /labs/:lab/trace/:id/pcapng (trace-pcap.ts).
      const id = capture ? opts.pcaps?.put(lab.name, capture) : undefined;
      // A guided lab's trace steps are answered from the learner's own traces (the guide's answer
      // route judges against the newest one that fits): kept with the lab, never taken from a client.
      try {
        recordGuideTrace(lab.name, journey);
      } catch (e) {
        req.log.warn({ err: e, lab: lab.name }, 'could not record the trace for the guide');
      }
      return id ? { ...journey, id } : journey;
    } catch (e) {
      if (e instanceof TraceInputError) throw new ApiError(400, 'INVALID_INPUT', e.message, e.field);
      if (e instanceof TraceBusyError) throw new ApiError(409, 'TRACE_BUSY', e.message);
      throw e;
    } finally {
      busy.delete(lab.name);
    }
  });
}
