// Who may call a route: every route (REST and WebSocket) says so in its config, `config: { access }`.
// A route without one stops the server at startup, so a new route cannot be left open by
// forgetting; the table built here is also what the permission matrix test walks.
import type { FastifyInstance, RouteOptions } from 'fastify';

export const ACCESS_LEVELS = {
  public: 'anyone, signed in or not (sign-in, joining a class, the web app itself)',
  'signed-in': 'any account (its own labs, the guided-lab catalog)',
  'lab-read': 'who may see the :lab: its owner, an instructor of one of the owner\'s classes, an admin',
  'lab-write': 'who may change the :lab: its owner or an admin (instructors see it read-only)',
  instructor: 'an instructor or an admin',
  'class-instructor': 'an instructor of the :class, or an admin',
  admin: 'an admin',
} as const;

export type Access = keyof typeof ACCESS_LEVELS;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call this route (see classroom/access.ts). Required on every route. */
    access?: Access;
  }
}

export interface RouteEntry {
  method: string;
  url: string;
  access: Access;
  websocket: boolean;
}

/** Routes registered inside a scope that calls this get `access` when they declare none (third-party plugins such as @fastify/static). */
const DEFAULT_ACCESS = Symbol('nslab.defaultAccess');

export function setDefaultAccess(scope: FastifyInstance, access: Access): void {
  scope.decorate(DEFAULT_ACCESS as unknown as string, access);
}

function isAccess(v: unknown): v is Access {
  return typeof v === 'string' && Object.hasOwn(ACCESS_LEVELS, v);
}

/**
 * Records every route with its access level, and throws (at registration, so at startup) for a
 * route that declares none, an unknown one, or one that does not fit its URL: lab-level access
 * needs a :lab parameter and a :lab route needs lab-level access (same for :class), so a lab route
 * can never be reachable on a mere sign-in.
 */
export function installRouteTable(app: FastifyInstance): RouteEntry[] {
  const table: RouteEntry[] = [];
  app.addHook('onRoute', function (this: FastifyInstance, route: RouteOptions) {
    const declared = route.config?.access ?? (this as unknown as Record<symbol, unknown>)[DEFAULT_ACCESS];
    const methods = ([] as string[]).concat(route.method);
    const where = `${methods.join(',')} ${route.url}`;
    if (declared === undefined) {
      throw new Error(`route ${where} declares no access: add config: { access: ${Object.keys(ACCESS_LEVELS).map((a) => `'${a}'`).join(' | ')} }`);
    }
    if (!isAccess(declared)) throw new Error(`route ${where}: unknown access ${JSON.stringify(declared)} (known: ${Object.keys(ACCESS_LEVELS).join(', ')})`);
    const hasLab = /\/:lab(\/|$)/.test(route.url);
    const hasClass = /\/:class(\/|$)/.test(route.url);
    const labLevel = declared === 'lab-read' || declared === 'lab-write';
    if (hasLab !== labLevel) throw new Error(`route ${where}: ${hasLab ? 'a :lab route needs access lab-read or lab-write' : `access ${declared} needs a :lab parameter`}`);
    if (hasClass !== (declared === 'class-instructor')) throw new Error(`route ${where}: ${hasClass ? 'a :class route needs access class-instructor' : 'access class-instructor needs a :class parameter'}`);
    // The stored config is what the request hooks read: the default becomes explicit.
    route.config = { ...route.config, access: declared };
    for (const method of methods) table.push({ method, url: route.url, access: declared, websocket: Boolean((route as { websocket?: boolean }).websocket) });
  });
  return table;
}
