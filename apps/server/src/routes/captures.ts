// Packet captures: start on one interface, list, stop, discard, download the pcap, and watch the
// decoded lines live over a WebSocket (JSON text frames, see @nslab/protocol capture.ts).
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@fastify/type-provider-typebox';
import { checkNodeName, MAX_CAPTURE_FILTER_LENGTH } from '@nslab/model';
import type { CaptureServerMessage } from '@nslab/protocol';
import { ApiError, toErrorBody } from '../errors.ts';
import type { LabRegistry } from '../registry.ts';
import { sourceOf } from './source.ts';
import type { CaptureManager } from '../captures.ts';
import { LabParams, Name } from './schemas.ts';

const CaptureId = Type.String({ pattern: '^[A-Za-z0-9_-]{16}$', description: 'a capture id' });
const CaptureParams = Type.Object({ lab: Name, id: CaptureId });
const CaptureBody = Type.Object(
  {
    node: Name,
    interface: Name,
    // Longer than the filter rule allows, so a long filter gets that rule's message, not a schema error.
    filter: Type.Optional(Type.String({ maxLength: MAX_CAPTURE_FILTER_LENGTH * 8, description: 'tcpdump filter expression, e.g. "icmp or arp"' })),
    linkHeader: Type.Optional(Type.Boolean({ description: 'decode with MAC addresses (tcpdump -e)' })),
    snaplen: Type.Optional(Type.Integer({ minimum: 64, maximum: 262_144, description: 'bytes kept per packet' })),
  },
  { additionalProperties: false },
);

function labName(name: string): string {
  const why = checkNodeName(name);
  if (why) throw new ApiError(400, 'INVALID_NAME', `lab ${JSON.stringify(name)} ${why}`, 'lab');
  return name;
}

export async function captureRoutes(app: FastifyInstance, opts: { registry: LabRegistry; captures: CaptureManager; mutationRate: number }): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const { registry, captures } = opts;
  const mutating = { rateLimit: { max: opts.mutationRate, timeWindow: '1 minute' } };
  const read = { access: 'lab-read' } as const;
  const write = { ...mutating, access: 'lab-write' } as const;

  r.post('/labs/:lab/captures', { schema: { summary: 'Start a packet capture on an interface (tcpdump inside the lab)', params: LabParams, body: CaptureBody }, config: write }, async (req, reply) => {
    const lab = await registry.get(labName(req.params.lab));
    const s = await captures.start(lab, req.body, sourceOf(req));
    return reply.code(201).send(s.info());
  });

  r.get('/labs/:lab/captures', { schema: { summary: "The lab's captures (running, and the last few stopped ones)", params: LabParams }, config: read }, async (req) => {
    await registry.get(labName(req.params.lab));
    return { captures: captures.list(req.params.lab).map((s) => s.info()) };
  });

  r.get('/labs/:lab/captures/:id', { schema: { summary: 'One capture', params: CaptureParams }, config: read }, async (req) =>
    captures.get(labName(req.params.lab), req.params.id).info());

  r.post('/labs/:lab/captures/:id/stop', { schema: { summary: 'Stop a capture (its pcap stays downloadable)', params: CaptureParams }, config: write }, async (req) => {
    const s = captures.get(labName(req.params.lab), req.params.id);
    s.stop('stopped', 'stopped by the user');
    await s.done;
    return s.info();
  });

  r.delete('/labs/:lab/captures/:id', { schema: { summary: 'Stop a capture and discard it', params: CaptureParams }, config: write }, async (req, reply) => {
    await captures.discard(labName(req.params.lab), req.params.id);
    return reply.code(204).send();
  });

  r.get('/labs/:lab/captures/:id/pcap', { schema: { summary: 'The capture as a pcap file (so far, if still running)', params: CaptureParams }, config: read }, async (req, reply) => {
    const s = captures.get(labName(req.params.lab), req.params.id);
    const chunks = s.pcap();
    const size = chunks.reduce((n, c) => n + c.length, 0);
    const stamp = s.startedAt.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
    // Names passed the model's checks (letters, digits, _ . -): safe inside the quoted filename.
    const file = `${s.lab.name}-${s.node}-${s.iface}-${stamp}.pcap`;
    return reply
      .header('content-type', 'application/vnd.tcpdump.pcap')
      .header('content-disposition', `attachment; filename="${file}"`)
      .header('content-length', String(size))
      .header('cache-control', 'no-store')
      .send(Readable.from(chunks));
  });

  r.get('/labs/:lab/captures/:id/events', { websocket: true, schema: { params: CaptureParams }, config: read }, (socket, req) => {
    const fail = (code: string, message: string) => {
      socket.send(JSON.stringify({ type: 'error', code, message } satisfies CaptureServerMessage), () => socket.close(1008, code));
    };
    let unwatch: (() => void) | undefined;
    socket.on('close', () => unwatch?.());
    try {
      const s = captures.get(labName(req.params.lab), req.params.id);
      unwatch = s.watch({
        get bufferedAmount() {
          return socket.bufferedAmount;
        },
        get open() {
          return socket.readyState === socket.OPEN;
        },
        send: (text) => socket.send(text),
        close: (code, reason) => socket.close(code, reason),
      });
    } catch (e) {
      const { body } = toErrorBody(e);
      fail(body.code, body.message);
    }
  });
}
