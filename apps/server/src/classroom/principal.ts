// Who is making a request, as the access hooks decided: the token holder (token mode: the one
// person the server serves, allowed everything) or a signed-in account (classroom mode).
import type { FastifyRequest } from 'fastify';
import type { User } from './accounts.ts';

export type Principal = { kind: 'token' } | { kind: 'user'; user: User; sessionId: string };

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the access hook before any handler runs; null on public routes without a sign-in. */
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Reachable by an account that must change its password first (sign-out, the change itself). */
    beforePasswordChange?: boolean;
  }
}

/** The signed-in account of a request that passed a non-public access check. */
export function userOf(req: FastifyRequest): User | null {
  return req.principal?.kind === 'user' ? req.principal.user : null;
}

/**
 * "instructor Ines": who did something, as told in a learner's terminal. Control characters are
 * dropped (C1 ones too, which account checks allow): no name can send an escape sequence there.
 */
export function shownName(user: User): string {
  // eslint-disable-next-line no-control-regex
  return `${user.role} ${(user.displayName || user.username).replace(/[\u0000-\u001f\u007f-\u009f]/g, '')}`;
}
