// Live state over WebSocket. The client speaks first ({type:"hello", version, lastSeq?, stream?}); the
// server answers with a snapshot (or, for a client resuming from lastSeq of this lab's current
// stream, just what it missed), then
// patches and command-log entries as the kernel changes. After the hello, {type:"counters", on}
// starts or stops live counters for this connection (sampled only while some client wants them).
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { checkNodeName } from '@nslab/model';
import { decodeClientMessage, ProtocolError, type HelloMessage, type ServerMessage } from '@nslab/protocol';
import { toErrorBody } from '../errors.ts';
import type { LiveLab } from '../live-lab.ts';
import type { LabRegistry } from '../registry.ts';
import * as S from './schemas.ts';

/** A client this far behind is dropped rather than buffered without bound; it reconnects with lastSeq and its stream. */
const MAX_BUFFERED = 8 * 1024 * 1024;

// Every client gets the same patch: serialize it once.
const encoded = new WeakMap<object, string>();
function encode(m: ServerMessage): string {
  let s = encoded.get(m);
  if (s === undefined) {
    s = JSON.stringify(m);
    encoded.set(m, s);
  }
  return s;
}

export async function eventRoutes(app: FastifyInstance, opts: { registry: LabRegistry }): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.get('/labs/:lab/events', { websocket: true, schema: { params: S.LabParams }, config: { access: 'lab-read' } }, (socket, req) => {
    const send = (m: ServerMessage) => {
      if (socket.readyState !== socket.OPEN) return;
      if (socket.bufferedAmount > MAX_BUFFERED) {
        socket.close(1013, 'client too slow; reconnect with hello lastSeq');
        return;
      }
      socket.send(encode(m));
    };
    const name = req.params.lab;
    if (checkNodeName(name)) {
      send({ type: 'error', code: 'INVALID_NAME', message: `lab ${JSON.stringify(name)} is not a valid lab name` });
      socket.close(1008, 'invalid lab name');
      return;
    }
    const helloTimer = setTimeout(() => socket.close(1008, 'expected a hello message'), 10_000);
    let started = false;
    // Live counters: what the client last asked for, applied once its lab is live.
    let liveLab: LiveLab | null = null;
    let wantCounters = false;
    let stopCounters: (() => void) | null = null;
    const applyCounters = () => {
      if (!liveLab || socket.readyState !== socket.OPEN) return;
      if (wantCounters && !stopCounters) {
        let sentFull = false;
        stopCounters = liveLab.watchCounters((u) => {
          send(sentFull ? u.delta : u.full);
          sentFull = true;
        });
      } else if (!wantCounters && stopCounters) {
        stopCounters();
        stopCounters = null;
      }
    };
    socket.on('close', () => {
      wantCounters = false;
      stopCounters?.();
      stopCounters = null;
    });
    socket.on('message', (data) => {
      if (started) {
        let m;
        try {
          m = decodeClientMessage(data.toString());
        } catch (e) {
          send({ type: 'error', code: 'BAD_MESSAGE', message: e instanceof ProtocolError ? e.message : 'bad message' });
          socket.close(1008, 'bad message');
          return;
        }
        // A second hello changes nothing: the stream is already running.
        if (m.type === 'counters') {
          wantCounters = m.on;
          applyCounters();
        }
        return;
      }
      started = true;
      clearTimeout(helloTimer);
      let hello: HelloMessage;
      try {
        const m = decodeClientMessage(data.toString());
        if (m.type !== 'hello') throw new ProtocolError('type: the first message must be a hello');
        hello = m;
      } catch (e) {
        const message = e instanceof ProtocolError ? e.message : 'bad hello';
        send({ type: 'error', code: 'BAD_MESSAGE', message });
        socket.close(1008, 'bad hello');
        return;
      }
      void start(hello);
    });
    socket.on('close', () => clearTimeout(helloTimer));

    const start = async (hello: HelloMessage) => {
      let lab;
      try {
        lab = await opts.registry.get(name);
      } catch (e) {
        const { body } = toErrorBody(e);
        send({ type: 'error', code: body.code, message: body.message });
        socket.close(1008, body.code);
        return;
      }
      if (socket.readyState !== socket.OPEN) return;
      // Subscribe before reading history so nothing falls between the two.
      const queued: ServerMessage[] = [];
      let live = false;
      const unsubscribe = lab.subscribe((m) => {
        if (live) send(m);
        else queued.push(m);
        if (m.type === 'lab-destroyed') socket.close(1000, 'lab destroyed');
      });
      socket.on('close', unsubscribe);
      const missed = hello.lastSeq !== undefined ? lab.since(hello.stream, hello.lastSeq) : null;
      let upTo: number;
      if (missed) {
        for (const m of missed) send(m);
        upTo = missed.at(-1)?.seq ?? hello.lastSeq!;
      } else {
        const snap = lab.snapshot();
        send(snap);
        upTo = snap.seq;
      }
      for (const m of queued) if (!('seq' in m) || m.seq > upTo) send(m);
      live = true;
      liveLab = lab;
      applyCounters();
    };
  });
}
