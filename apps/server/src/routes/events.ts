// Live state over WebSocket: a snapshot (or, for a client resuming with ?since=N, what it missed),
// then patches and command-log entries as the kernel changes.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { checkNodeName } from '@nslab/model';
import type { ServerMessage } from '@nslab/protocol';
import { toErrorBody } from '../errors.ts';
import type { LabRegistry } from '../registry.ts';
import * as S from './schemas.ts';

/** A client this far behind is dropped rather than buffered without bound; it reconnects with ?since. */
const MAX_BUFFERED = 8 * 1024 * 1024;

export async function eventRoutes(app: FastifyInstance, opts: { registry: LabRegistry }): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.get('/labs/:lab/events', { websocket: true, schema: { params: S.LabParams, querystring: S.EventsQuery } }, async (socket, req) => {
    const send = (m: ServerMessage) => {
      if (socket.readyState !== socket.OPEN) return;
      if (socket.bufferedAmount > MAX_BUFFERED) {
        socket.close(1013, 'client too slow; reconnect with ?since=<last seq>');
        return;
      }
      socket.send(JSON.stringify(m));
    };
    const name = req.params.lab;
    if (checkNodeName(name)) {
      send({ type: 'error', code: 'INVALID_NAME', message: `lab ${JSON.stringify(name)} is not a valid lab name` });
      socket.close(1008, 'invalid lab name');
      return;
    }
    let lab;
    try {
      lab = await opts.registry.get(name);
    } catch (e) {
      const { body } = toErrorBody(e);
      send({ type: 'error', code: body.code, message: body.message });
      socket.close(1008, body.code);
      return;
    }
    // Subscribe before reading history so nothing falls between the two.
    const queued: ServerMessage[] = [];
    let live = false;
    const unsubscribe = lab.subscribe((m) => {
      if (live) send(m);
      else queued.push(m);
      if (m.type === 'lab-destroyed') socket.close(1000, 'lab destroyed');
    });
    socket.on('close', unsubscribe);
    socket.on('message', () => {
      /* clients only listen on this socket */
    });
    const since = req.query.since;
    const missed = since !== undefined ? lab.since(since) : null;
    let upTo: number;
    if (missed) {
      for (const m of missed) send(m);
      upTo = missed.at(-1)?.seq ?? since!;
    } else {
      const snap = lab.snapshot();
      send(snap);
      upTo = snap.seq;
    }
    for (const m of queued) if ((m as { seq?: number }).seq === undefined || (m as { seq: number }).seq > upTo) send(m);
    live = true;
  });
}
