// Access control for a server that runs as root and hands out root shells inside labs.
// - A random token (Jupyter-style); the page URL carries it once, then an HttpOnly SameSite=Strict
//   cookie does. Scripts use `Authorization: Bearer`. `?token=` is accepted on page loads only.
// - WebSocket upgrades must come from our own origin (cross-site WebSocket hijacking of a root shell
//   is the main threat); a client without an Origin (not a browser) must use the Bearer header.
// - While bound to loopback, the Host header must name loopback (DNS rebinding).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const COOKIE = 'nslab_token';

export interface AuthOptions {
  token: string;
  /** Bound to a loopback address: enforce a loopback Host header. */
  loopback: boolean;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

export function tokenMatches(given: string | undefined, token: string): boolean {
  if (typeof given !== 'string' || given.length === 0) return false;
  // Equal-length digests, so the comparison takes the same time whatever was sent.
  return timingSafeEqual(digest(given), digest(token));
}

function cookieToken(req: FastifyRequest): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

function bearerToken(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  return h?.startsWith('Bearer ') ? h.slice(7).trim() : undefined;
}

const LOOPBACK_HOST = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/i;

function deny(reply: FastifyReply, status: number, code: string, message: string): void {
  const raw = reply.request.raw;
  if (raw.headers.upgrade) {
    // A refused WebSocket upgrade: @fastify/websocket's own clean-up never runs because we answer
    // before its hook, and nothing reads the paused socket, so it would stay open for good (and
    // hold up server close). Close it once the refusal is written.
    reply.raw.once('finish', () => raw.socket.end(() => raw.socket.destroy()));
  }
  void reply.code(status).header('cache-control', 'no-store').send({ code, message });
}

export function isPageRequest(req: FastifyRequest): boolean {
  const path = req.url.split('?')[0]!;
  return req.method === 'GET' && !path.startsWith('/api/') && !req.headers.upgrade;
}

export function installAuth(app: FastifyInstance, opts: AuthOptions): void {
  app.addHook('onRequest', async (req, reply) => {
    const host = req.headers.host ?? '';
    if (opts.loopback && !LOOPBACK_HOST.test(host)) {
      return deny(reply, 403, 'BAD_HOST', 'this server only answers to a loopback host name');
    }
    const isUpgrade = (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
    const bearer = bearerToken(req);
    const cookie = cookieToken(req);
    if (isUpgrade) {
      const origin = req.headers.origin;
      if (origin !== undefined) {
        if (origin !== `http://${host}` && origin !== `https://${host}`) {
          return deny(reply, 403, 'BAD_ORIGIN', 'WebSocket connections must come from this server\'s own pages');
        }
      } else if (!tokenMatches(bearer, opts.token)) {
        // No Origin: not a browser, so no ambient cookie may authorize it.
        return deny(reply, 401, 'UNAUTHORIZED', 'a token is required (Authorization: Bearer <token>)');
      }
    }
    if (tokenMatches(bearer, opts.token) || tokenMatches(cookie, opts.token)) return;
    const url = new URL(req.url, 'http://x');
    const query = url.searchParams.get('token') ?? undefined;
    if (isPageRequest(req) && tokenMatches(query, opts.token)) {
      // Trade the URL token for a cookie and drop it from the address bar (and from history).
      url.searchParams.delete('token');
      void reply
        .header('set-cookie', `${COOKIE}=${encodeURIComponent(opts.token)}; HttpOnly; SameSite=Strict; Path=/`)
        .header('cache-control', 'no-store')
        .redirect(url.pathname + url.search, 302);
      return reply;
    }
    return deny(reply, 401, 'UNAUTHORIZED', 'a token is required: open the URL the server printed, or send Authorization: Bearer <token>');
  });
}

/** Request URLs for logs, without the token. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]token=)[^&]*/g, '$1[redacted]');
}
