// GET /api/v1/labs/:lab/trace/:id/pcapng: the merged capture of one of the lab's last traces (every
// armed namespace's packets in kernel-clock order, one interface per node/interface), named by the
// `id` its POST /labs/:lab/trace answered. Kept in memory only: the last few traces per lab,
// size-capped, gone with the server. Who may: as for the trace (lab-read). An id is 128 random
// bits, and is looked up under the lab named in the path only: another lab's id, or a guessed
// one, is a 404 like a forgotten one.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { checkNodeName } from '@nslab/model';
import { ApiError } from '../errors.ts';
import type { LabRegistry } from '../registry.ts';

/** Traces kept per lab; the oldest goes first. */
export const PCAPS_PER_LAB = 5;
/** Bytes kept per lab, all its traces together (a trace's capture alone can be larger: then it is not kept). */
export const PCAP_BYTES_PER_LAB = 16 * 1024 * 1024;
/** Labs with kept captures; past it the lab traced longest ago loses its captures. */
const MAX_LABS = 200;

export class TracePcaps {
  private readonly byLab = new Map<string, { id: string; bytes: Buffer; at: number }[]>();

  /** Keeps a trace's capture; its id, or undefined when it is too large to keep. */
  put(lab: string, bytes: Buffer): string | undefined {
    if (bytes.length > PCAP_BYTES_PER_LAB) return undefined;
    const id = randomBytes(16).toString('hex');
    const list = this.byLab.get(lab) ?? [];
    list.push({ id, bytes, at: Date.now() });
    let total = list.reduce((a, x) => a + x.bytes.length, 0);
    while (list.length > PCAPS_PER_LAB || total > PCAP_BYTES_PER_LAB) total -= list.shift()!.bytes.length;
    this.byLab.delete(lab);
    this.byLab.set(lab, list);
    while (this.byLab.size > MAX_LABS) this.byLab.delete(this.byLab.keys().next().value!);
    return id;
  }

  get(lab: string, id: string): Buffer | undefined {
    return this.byLab.get(lab)?.find((x) => x.id === id)?.bytes;
  }

  forget(lab: string): void {
    this.byLab.delete(lab);
  }
}

const Params = Type.Object({ lab: Type.String({ maxLength: 64 }), id: Type.String({ maxLength: 64 }) });

export async function tracePcapRoutes(app: FastifyInstance, opts: { registry: LabRegistry; pcaps: TracePcaps }): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.get('/labs/:lab/trace/:id/pcapng', {
    schema: { summary: "A trace's merged capture (pcapng: every armed namespace, kernel-clock order, an interface per node/interface)", params: Params },
    config: { access: 'lab-read' },
  }, async (req, reply) => {
    const why = checkNodeName(req.params.lab);
    if (why) throw new ApiError(400, 'INVALID_NAME', `lab ${JSON.stringify(req.params.lab)} ${why}`, 'lab');
    const lab = await opts.registry.get(req.params.lab);
    const bytes = /^[0-9a-f]{32}$/.test(req.params.id) ? opts.pcaps.get(lab.name, req.params.id) : undefined;
    if (!bytes) throw new ApiError(404, 'TRACE_CAPTURE_NOT_FOUND', `lab "${lab.name}" has no kept trace capture "${req.params.id.slice(0, 64)}" (the last ${PCAPS_PER_LAB} traces are kept, until the server restarts)`, 'id');
    return reply
      .header('content-type', 'application/x-pcapng')
      .header('content-disposition', `attachment; filename="${lab.name}-trace-${req.params.id.slice(0, 8)}.pcapng"`)
      .send(bytes);
  });
}
