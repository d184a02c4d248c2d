// The nslab server as a Fastify plugin: auth, security headers, REST, live events. `buildApp`
// wires it into a fresh Fastify instance (tests use it with inject/injectWS).
import Fastify, { type FastifyInstance } from 'fastify';
import websocket from '@fastify/websocket';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import fastifyStatic from '@fastify/static';
import { existsSync } from 'node:fs';
import { runOffThread } from '@nslab/driver';
import type { Socket } from 'node:net';
import { installAuth, redactUrl } from './auth.ts';
import { installRouteTable, setDefaultAccess, type RouteEntry } from './classroom/access.ts';
import type { Classroom } from './classroom/classroom.ts';
import { installClassroomGuard } from './classroom/guard.ts';
import { classroomRoutes } from './classroom/routes.ts';
import { assignmentRoutes } from './classroom/assignment-routes.ts';
import { classroomGuideHooks } from './classroom/guide-hooks.ts';
import { classroomTenancy, TOKEN_TENANCY } from './classroom/tenancy.ts';
import { StudentQuotas } from './classroom/quotas.ts';
import { IdleLabs } from './classroom/idle.ts';
import { idleRoutes } from './classroom/idle-routes.ts';
import { manageRoutes } from './classroom/manage-routes.ts';
import { installErrorHandler } from './errors.ts';
import { installSecurityHeaders } from './security-headers.ts';
import { DEFAULT_LIMITS, type Limits } from './limits.ts';
import { LabRegistry } from './registry.ts';
import { labRoutes } from './routes/labs.ts';
import { eventRoutes } from './routes/events.ts';
import { terminalRoutes } from './routes/terminal.ts';
import { guideRoutes } from './routes/guide.ts';
import { diagnoseRoutes } from './routes/diagnose.ts';
import { captureRoutes } from './routes/captures.ts';
import { traceRoutes } from './routes/trace.ts';
import { tracePcapRoutes, TracePcaps } from './routes/trace-pcap.ts';
import { CaptureManager } from './captures.ts';
import { TerminalManager, terminalGraceMs } from './terminals.ts';

export interface AppOptions {
  /** Token mode (`nslab serve`): whoever holds this token may do everything. */
  token?: string;
  /**
   * Classroom mode (`nslab serve --classroom`): accounts, classes and lab owners from this
   * database instead of a token. The app closes it when it closes.
   */
  classroom?: Classroom;
  /** Bound to loopback: the Host header must be loopback too. */
  loopback?: boolean;
  limits?: Partial<Limits>;
  /** How long a terminal whose connection dropped waits for its client to reattach (default: NSLAB_TERMINAL_GRACE seconds, else 30 min). */
  terminalGraceMs?: number;
  /**
   * On close, leave open terminals with the pty host (for a restart to adopt) instead of ending
   * them. `nslab serve` does; tests and embedders default to a clean close.
   */
  keepTerminals?: boolean;
  /** Lines for the server's own log (`nslab serve` prints them). */
  onNotice?: (line: string) => void;
  /** Built web app to serve at /. */
  webRoot?: string;
  logger?: boolean;
}

export interface NslabApp {
  app: FastifyInstance;
  registry: LabRegistry;
  terminals: TerminalManager;
  captures: CaptureManager;
  /** Every route with who may call it (see classroom/access.ts). */
  routes: RouteEntry[];
  classroom?: Classroom;
  /** Classroom mode: per-student quotas and the idle-lab stopper. */
  quotas?: StudentQuotas;
  idle?: IdleLabs;
}

export async function buildApp(opts: AppOptions): Promise<NslabApp> {
  if ((opts.token === undefined) === (opts.classroom === undefined)) throw new Error('buildApp: give either a token (token mode) or a classroom (classroom mode)');
  const classroom = opts.classroom;
  const limits: Limits = { ...DEFAULT_LIMITS, ...opts.limits };
  // Kernel reads and checks' commands are started from a thread of their own: starting a process
  // blocks its thread until the child has exec'd, which must not hold up terminals and patches.
  runOffThread();
  const app = Fastify({
    bodyLimit: limits.bodyLimit,
    logger: opts.logger
      ? { serializers: { req: (req) => ({ method: req.method, url: redactUrl(req.url) }) } }
      : false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  });
  const registry: LabRegistry = new LabRegistry(limits, {
    // A terminal never outlives its namespace or its lab, and says why it closed.
    onNodesRemoved: (lab, nodes) => nodes.forEach((n) => terminals.closeNode(lab, n, `namespace ${n} was deleted`)),
    onLabGone: (lab, reason) => {
      terminals.closeLab(lab, reason);
      captures.forgetLab(lab, reason);
    },
    // A lab at one of its limits: said in its open terminals and in the server's log.
    onLimit: (lab, message) => {
      terminals.notice(lab, message);
      app.log.warn({ lab }, message);
      opts.onNotice?.(`nslab: ${message}\n`);
    },
  });
  // Commands typed in terminals join the lab's command log.
  const terminals = new TerminalManager(opts.terminalGraceMs ?? terminalGraceMs(), (lab, cmds) => {
    void registry.get(lab).then((l) => l.appendLog('terminal', cmds.map((c) => ({ line: c.line, ok: c.ok, ...(c.ok ? {} : { error: `exit status ${c.status}` }) })))).catch(() => {});
  });
  const captures = new CaptureManager(limits);
  const routes = installRouteTable(app);
  installErrorHandler(app);
  if (classroom) {
    installClassroomGuard(app, { accounts: classroom.accounts, sessions: classroom.sessions, classes: classroom.classes, owners: classroom.owners, loopback: opts.loopback ?? true });
  } else {
    installAuth(app, { token: opts.token!, loopback: opts.loopback ?? true });
  }
  const tenancy = classroom ? classroomTenancy(classroom.owners) : TOKEN_TENANCY;
  classroom?.startHousekeeping((line) => opts.onNotice?.(line), (id) => terminals.get(id) !== undefined);
  // Classroom mode: each student's share of the machine (quotas.ts), and their idle labs stopped
  // and restored on return (idle.ts). Every request naming a lab counts as activity on it.
  const quotas = classroom ? new StudentQuotas(classroom.db, classroom.quotaLimits, registry, terminals, captures) : undefined;
  const idle = classroom && quotas
    ? new IdleLabs({ registry, terminals, captures, owners: classroom.owners, stops: classroom.idleStops, studentOf: (lab) => quotas.studentOf(lab), notice: (line) => opts.onNotice?.(line) }, { idleMs: classroom.idleStopMs, sweepMs: classroom.idleSweepMs })
    : undefined;
  if (quotas) {
    registry.quota = quotas;
    captures.admit = (lab) => quotas.checkCapture(lab);
  }
  if (idle) {
    app.addHook('onRequest', async (req) => {
      const lab = (req.params as { lab?: unknown } | undefined)?.lab;
      if (typeof lab !== 'string') return;
      if (req.headers.upgrade?.toLowerCase() === 'websocket') {
        const closed = idle.opened(lab);
        // An injected request (tests) has a stand-in for a socket that never closes: not counted.
        const sock = req.raw.socket as Partial<Socket> | undefined;
        if (sock && typeof sock.once === 'function' && !sock.destroyed) sock.once('close', closed);
        else closed();
      }
      try {
        await idle.beforeRequest(req, lab);
      } catch (e) {
        // A WebSocket's refusal here would be an HTTP error the browser cannot read: its route says why.
        if (req.headers.upgrade?.toLowerCase() !== 'websocket') throw e;
      }
    });
  }
  installSecurityHeaders(app);
  // Bodies are JSON. text/plain is what a cross-site form or "simple" fetch can send without a
  // CORS preflight: refusing it (415) is a second wall behind the Origin check in auth.ts.
  app.removeContentTypeParser('text/plain');
  await app.register(rateLimit, {
    global: false,
    // Counted per route, per client (the account in classroom mode, else the address) and per
    // lab: on loopback every browser is 127.0.0.1, and a school's class shares one address, so
    // without these one learner's burst would lock the others out. Names of labs that do not
    // exist share one count, so spraying made-up names cannot mint fresh budgets (or push real
    // counts out of the store).
    keyGenerator: (req) => {
      const lab = (req.params as { lab?: unknown } | undefined)?.lab;
      const scope = typeof lab !== 'string' ? '' : registry.knows(lab) ? `lab:${lab}` : 'lab:?';
      const who = req.principal?.kind === 'user' ? `user:${req.principal.user.id}` : req.ip;
      return `${who}|${scope}`;
    },
    errorResponseBuilder: (req, ctx) => ({
      statusCode: 429,
      code: 'RATE_LIMITED',
      message: req.routeOptions.config.access === 'public'
        ? `too many attempts from this address: at most ${ctx.max} per minute; try again in ${ctx.after}`
        : `too many changes: at most ${ctx.max} per minute; try again in ${ctx.after}`,
    }),
  });
  // Before @fastify/websocket's own preClose (hooks run in order), so terminals close with our code and reason.
  app.addHook('preClose', async () => {
    if (opts.keepTerminals) await terminals.releaseAll('the server is restarting');
    else await terminals.closeAll('the server is shutting down');
  });
  await app.register(websocket, { options: { maxPayload: limits.wsMaxPayload } });
  await app.register(swagger, {
    openapi: {
      info: { title: 'nslab API', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(
    async (api) => {
      await api.register(labRoutes, { registry, mutationRate: limits.mutationsPerMinute, tenancy });
      await api.register(eventRoutes, { registry });
      await api.register(terminalRoutes, { registry, terminals, ...(quotas ? { admitTerminal: (lab: string) => quotas.checkTerminal(lab) } : {}), ...(classroom ? { ownership: classroom.terminalOwners } : {}) });
      await api.register(guideRoutes, { registry, mutationRate: limits.mutationsPerMinute, tenancy, ...(classroom ? { hooks: classroomGuideHooks(classroom) } : {}) });
      if (classroom) await api.register(classroomRoutes, { classroom });
      if (classroom) await api.register(assignmentRoutes, { classroom, registry, terminals, mutationRate: limits.mutationsPerMinute });
      if (classroom) await api.register(idleRoutes, { classroom });
      if (classroom) await api.register(manageRoutes, { classroom, registry, terminals, mutationRate: limits.mutationsPerMinute });
      await api.register(diagnoseRoutes, { registry });
      await api.register(captureRoutes, { registry, captures, mutationRate: limits.mutationsPerMinute });
      const tracePcaps = new TracePcaps();
      await api.register(traceRoutes, { registry, mutationRate: limits.mutationsPerMinute, pcaps: tracePcaps });
      await api.register(tracePcapRoutes, { registry, pcaps: tracePcaps });
      api.get('/openapi.json', { schema: { hide: true }, config: { access: 'signed-in' } }, async () => app.swagger());
      // The web app asks who is signed in to learn the mode too; the token holder has no account.
      if (!classroom) api.get('/auth/me', { schema: { hide: true }, config: { access: 'signed-in' } }, async () => ({ mode: 'token' }));
    },
    { prefix: '/api/v1' },
  );
  if (opts.webRoot && existsSync(opts.webRoot)) {
    const webRoot = opts.webRoot;
    await app.register(async (web) => {
      // The web app's files carry nothing of a lab: the sign-in page must load before any sign-in.
      setDefaultAccess(web, 'public');
      // wildcard: files are looked up per request, so a rebuilt web app is served without a restart.
      await web.register(fastifyStatic, { root: webRoot, wildcard: true });
      // Client-side routes (/labs/<name>; classroom mode's /join, /classes/<id>, /users) get the app shell.
      for (const path of ['/labs/*', '/join', '/classes/*', '/users']) web.get(path, (_req, reply) => reply.sendFile('index.html'));
    });
  } else {
    app.get('/', { config: { access: 'public' } }, async () => ({ name: 'nslab', api: '/api/v1', openapi: '/api/v1/openapi.json' }));
  }
  app.addHook('onClose', async () => {
    await idle?.close();
    await captures.closeAll('the server is shutting down');
    await registry.close();
    classroom?.close();
  });
  await app.ready();
  return { app, registry, terminals, captures, routes, ...(classroom ? { classroom } : {}), ...(quotas ? { quotas } : {}), ...(idle ? { idle } : {}) };
}
