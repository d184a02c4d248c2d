// Terminals over WebSocket, ttyd framing (see @nslab/protocol TerminalOpcode): binary frames, first
// byte the opcode. As in ttyd the client speaks first — a RESIZE frame with its size — and only then
// does the shell start (or, with `?session=<id>`, reattach to one whose connection dropped).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@fastify/type-provider-typebox';
import { checkNodeName, HOST } from '@nslab/model';
import { TerminalOpcode } from '@nslab/protocol';
import { toErrorBody } from '../errors.ts';
import type { LabRegistry } from '../registry.ts';
import type { TerminalClient, TerminalManager, TerminalSession } from '../terminals.ts';
import { shownName } from '../classroom/principal.ts';
import * as S from './schemas.ts';

const OPCODE_BYTES: Record<number, Buffer> = Object.fromEntries(
  Object.values(TerminalOpcode).map((op) => [op, Buffer.from([op])]),
);

const Query = Type.Object({
  session: Type.Optional(Type.String({ maxLength: 64 })),
  cols: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  rows: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
});

const WatchParams = Type.Object({ lab: S.Name, session: Type.String({ maxLength: 64, description: 'a terminal session id (GET /labs/:lab/terminals)' }) });

/** Who a viewer is, as the watched terminal says it. */
function viewerName(req: FastifyRequest): string {
  const p = req.principal;
  if (p?.kind === 'user') return shownName(p.user);
  return "the server's owner";
}

const READ_ONLY_NOTE = Buffer.from('\r\n\x1b[1;33m[nslab] read-only: what you type is not sent to this terminal\x1b[0m\r\n', 'utf8');

/** Classroom mode: whose shell each terminal is (a reattach is only for the account that opened it). */
export interface TerminalOwnership {
  opened(req: FastifyRequest, session: TerminalSession): void;
  mayReattach(req: FastifyRequest, session: TerminalSession): boolean;
}

export async function terminalRoutes(app: FastifyInstance, opts: { registry: LabRegistry; terminals: TerminalManager; admitTerminal?: (lab: string) => void; ownership?: TerminalOwnership }): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get('/labs/:lab/terminals', { schema: { summary: 'The lab\'s open terminals (to watch one read-only)', params: S.LabParams }, config: { access: 'lab-read' } }, async (req) => {
    await opts.registry.get(req.params.lab); // 404 unless running
    return { terminals: opts.terminals.forLab(req.params.lab).map((t) => ({ session: t.id, node: t.node, attached: t.attached, watchers: t.watching })) };
  });

  // An instructor joins a student's terminal read-only: output only, input refused, and the
  // student's terminal says who is watching.
  r.get('/labs/:lab/terminals/:session/watch', { websocket: true, schema: { params: WatchParams }, config: { access: 'lab-read' } }, (socket, req) => {
    const who = viewerName(req);
    const client: TerminalClient = {
      send: (op, payload, done) => {
        if (socket.readyState !== socket.OPEN) return done();
        socket.send(Buffer.concat([OPCODE_BYTES[op] ?? Buffer.from([op]), payload]), { binary: true }, () => done());
      },
      close: (code, reason) => {
        socket.resume();
        socket.close(code, reason);
      },
      pauseInput: () => {},
      resumeInput: () => {},
    };
    const s = opts.terminals.get(req.params.session);
    if (!s || s.lab !== req.params.lab) {
      const frame = Buffer.concat([Buffer.from([TerminalOpcode.EXIT]), Buffer.from(JSON.stringify({ code: null, signal: null, reason: 'no such terminal in this lab', error: 'SESSION_NOT_FOUND' }))]);
      socket.send(frame, () => socket.close(1008, 'SESSION_NOT_FOUND'));
      return;
    }
    let told = false;
    socket.on('message', (data: Buffer) => {
      // Refused, said once: a viewer's keys, resizes and acks never reach the student's shell.
      if (data.length > 0 && data[0] === TerminalOpcode.INPUT && !told) {
        told = true;
        client.send(TerminalOpcode.OUTPUT, READ_ONLY_NOTE, () => {});
      }
    });
    socket.on('close', () => s.unwatch(client, who));
    s.watch(client, who);
  });

  r.get('/labs/:lab/nodes/:node/terminal', { websocket: true, schema: { params: S.NodeParams, querystring: Query }, config: { access: 'lab-write' } }, (socket, req) => {
    const fail = (code: string, message: string) => {
      const frame = Buffer.concat([Buffer.from([TerminalOpcode.EXIT]), Buffer.from(JSON.stringify({ code: null, signal: null, reason: message, error: code }))]);
      socket.send(frame, () => closeSocket(1008, code));
    };
    // Read again while closing: the client's close frame must be seen (a paused socket would wait
    // out ws's 30 s close timer).
    const closeSocket = (code: number, reason: string) => {
      socket.resume();
      socket.close(code, reason);
    };
    const { lab: labName, node } = req.params;
    if (checkNodeName(labName)) return fail('INVALID_NAME', `lab ${JSON.stringify(labName)} is not a valid name`);
    if (node !== HOST && checkNodeName(node)) return fail('INVALID_NAME', `node ${JSON.stringify(node)} is not a valid name`);
    const client: TerminalClient = {
      send: (op, payload, done) => {
        if (socket.readyState !== socket.OPEN) return done();
        // Two fragments of one message: the opcode, then the pty's own buffer. A flood then
        // allocates no per-chunk copies (the browser reassembles the message).
        socket.send(OPCODE_BYTES[op] ?? Buffer.from([op]), { binary: true, fin: false });
        socket.send(payload, { binary: true, fin: true }, () => done());
      },
      close: (code, reason) => closeSocket(code, reason),
      // ws stops reading the TCP socket: the browser's frames wait in its own buffers.
      pauseInput: () => socket.pause(),
      resumeInput: () => socket.resume(),
    };
    let session: TerminalSession | undefined;
    let started = false;
    const early: Buffer[] = [];
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      const frame = isBinary ? data : Buffer.from(data.toString(), 'utf8');
      if (frame.length === 0) return;
      if (session) return session.input(frame);
      if (!started) {
        started = true;
        // Nothing more is read until the shell is there (attach resumes): what was already read
        // waits in `early`, the rest in the client's socket.
        socket.pause();
        let size = { cols: req.query.cols ?? 80, rows: req.query.rows ?? 24 };
        if (frame[0] === TerminalOpcode.RESIZE) {
          try {
            const j = JSON.parse(frame.subarray(1).toString('utf8')) as { columns?: unknown; rows?: unknown };
            if (Number.isInteger(j.columns) && Number.isInteger(j.rows)) size = { cols: Math.min(1000, Math.max(1, j.columns as number)), rows: Math.min(500, Math.max(1, j.rows as number)) };
          } catch {
            /* keep the default size */
          }
        } else early.push(frame);
        void start(size);
      } else if (early.length < 64) early.push(frame);
    });
    socket.on('close', (code: number) => {
      if (!session) return;
      // A deliberate close (1000, or 4000 from our web app) ends the shell; anything else may reattach.
      if (code === 1000 || code === 4000) session.kill('closed by the user');
      else session.detach(client);
    });
    const start = async (size: { cols: number; rows: number }) => {
      // The slot is taken before the first await: a hundred opens at once see each other's slots.
      const max = opts.registry.limits.terminalsPerLab;
      // The student's quota (classroom mode) is looked at in the same step as the lab's slot.
      let slot;
      try {
        if (!req.query.session) opts.admitTerminal?.(labName);
        slot = req.query.session ? null : opts.terminals.reserve(labName, max);
      } catch (e) {
        const { body } = toErrorBody(e);
        return fail(body.code, body.message);
      }
      try {
        const lab = await opts.registry.get(labName);
        if (req.query.session) {
          const s = opts.terminals.get(req.query.session);
          // Another account's shell is answered as one that ended.
          if (!s || s.lab !== labName || s.node !== node || (opts.ownership && !opts.ownership.mayReattach(req, s))) return fail('SESSION_NOT_FOUND', 'that terminal session has ended; open a new one');
          session = s;
        } else {
          if (node !== HOST && !lab.state.nodes.some((n) => n.name === node && !n.unsafeName)) {
            return fail('NODE_NOT_FOUND', `lab "${labName}" has no namespace "${node}"`);
          }
          if (!slot) return fail('LIMIT_TERMINALS', `this server allows at most ${max} terminals per lab`);
          session = await opts.terminals.create(slot, node, lab.sandbox, size);
          opts.ownership?.opened(req, session);
        }
        if (socket.readyState !== socket.OPEN) {
          // Gone while its shell started: a new shell has nobody to come back for it.
          if (!req.query.session) session.kill('the client went away');
          return;
        }
        session.attach(client);
        if (req.query.session) session.input(Buffer.concat([Buffer.from([TerminalOpcode.RESIZE]), Buffer.from(JSON.stringify({ columns: size.cols, rows: size.rows }))]));
        for (const f of early.splice(0)) session.input(f);
      } catch (e) {
        const { body } = toErrorBody(e);
        fail(body.code, body.message);
      } finally {
        slot?.release(); // a no-op once create() has handed it to the session
      }
    };
  });
}
