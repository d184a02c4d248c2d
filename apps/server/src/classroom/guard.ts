// Classroom mode's request gate, in place of the token check: the same Host and Origin rules
// (auth.ts refuseCrossSite), then who is signed in (session cookie, or `Authorization: Bearer
// <session id>` for scripts), then the route's declared access. A lab the caller may not see is
// answered exactly as a lab that does not exist (404 LAB_NOT_FOUND), so names cannot be probed.
// The token of token mode means nothing here: its cookie and its Bearer are not sessions.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { bearerToken, deny, refuseCrossSite } from '../auth.ts';
import type { Access } from './access.ts';
import type { Accounts, User } from './accounts.ts';
import type { Classes } from './classes.ts';
import type { LabOwners } from './ownership.ts';
import type { Principal } from './principal.ts';
import { readCookie, SESSION_COOKIE, type Sessions } from './sessions.ts';

export interface GuardDeps {
  accounts: Accounts;
  sessions: Sessions;
  classes: Classes;
  owners: LabOwners;
  loopback: boolean;
}

type Verdict = { ok: true } | { ok: false; status: number; code: string; message: string };

const OK: Verdict = { ok: true };
const refuse = (status: number, code: string, message: string): Verdict => ({ ok: false, status, code, message });

function signIn(deps: GuardDeps, req: FastifyRequest): Extract<Principal, { kind: 'user' }> | null {
  // The Bearer header wins: a script says who it is; a browser carries its cookie.
  const sessionId = bearerToken(req) ?? readCookie(req, SESSION_COOKIE);
  const userId = deps.sessions.resolve(sessionId);
  const user = userId === null ? null : deps.accounts.byId(userId);
  // A disabled account's sessions are ended when it is disabled; this holds for one made meanwhile.
  if (user?.disabledAt) return null;
  return user && sessionId ? { kind: 'user', user, sessionId } : null;
}

/** What `user` may do on a route of level `access`, given the request's :lab / :class. */
export function decide(deps: GuardDeps, access: Access, user: User, params: Record<string, unknown>): Verdict {
  switch (access) {
    case 'public':
    case 'signed-in':
      return OK;
    case 'admin':
      return user.role === 'admin' ? OK : refuse(403, 'FORBIDDEN', 'only an admin may do this');
    case 'instructor':
      return user.role === 'admin' || user.role === 'instructor' ? OK : refuse(403, 'FORBIDDEN', 'only an instructor may do this');
    case 'class-instructor': {
      if (user.role === 'student') return refuse(403, 'FORBIDDEN', 'only an instructor may do this');
      const raw = String(params.class ?? '');
      const id = /^[1-9][0-9]{0,15}$/.test(raw) ? Number(raw) : NaN;
      // Another instructor's class is answered as a class that does not exist.
      if (!Number.isSafeInteger(id) || !deps.classes.teaches(user, id)) return refuse(404, 'CLASS_NOT_FOUND', `no class ${JSON.stringify(raw)}`);
      return OK;
    }
    case 'lab-read':
    case 'lab-write': {
      const lab = String(params.lab ?? '');
      const right = deps.owners.right(user, lab);
      // The very message a lab that does not exist gets from the registry.
      if (right === null) return refuse(404, 'LAB_NOT_FOUND', `no lab named "${lab}"`);
      if (access === 'lab-write' && right === 'instructor') return refuse(403, 'READ_ONLY', `lab "${lab}" belongs to ${deps.owners.of(lab)?.owner ?? 'a student'}: instructors see it but do not change it`);
      return OK;
    }
  }
}

export function installClassroomGuard(app: FastifyInstance, deps: GuardDeps): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (req, reply) => {
    const access = req.routeOptions.config?.access;
    // An unmatched URL has no route config: it gets the not-found answer, but never before the
    // Host and Origin rules.
    const principal = signIn(deps, req);
    const bearerOk = () => access === 'public' || (principal !== null && bearerToken(req) === principal.sessionId);
    if (refuseCrossSite(req, reply, deps.loopback, bearerOk, 'sign in first, or send Authorization: Bearer <session id>')) return reply;
    req.principal = principal;
    if (access === undefined || access === 'public') return;
    if (!principal || principal.kind !== 'user') {
      deny(reply, 401, 'UNAUTHORIZED', 'sign in first (POST /api/v1/auth/login, or join a class with its code)');
      return reply;
    }
    if (principal.user.mustChangePassword && !req.routeOptions.config.beforePasswordChange) {
      deny(reply, 403, 'PASSWORD_CHANGE_REQUIRED', 'choose your own password first (POST /api/v1/auth/password): this one was handed to you');
      return reply;
    }
    const v = decide(deps, access, principal.user, (req.params ?? {}) as Record<string, unknown>);
    if (!v.ok) {
      deny(reply, v.status, v.code, v.message);
      return reply;
    }
  });
}
