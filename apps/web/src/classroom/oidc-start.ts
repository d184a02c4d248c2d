// The "Sign in with your school account" link: the server's start path (GET /auth/oidc says it),
// with the join code to use and the page to come back to.

const START = '/api/v1/auth/oidc/start';

/**
 * The start URL. `start` must be a path of this server (what GET /auth/oidc answered); anything
 * else falls back to the known path, so a confused answer cannot send the browser elsewhere.
 */
export function oidcStartUrl(start: string | undefined, opts: { joinCode?: string; next?: string } = {}): string {
  const path = start && /^\/api\/v1\/auth\/oidc\/start$/.test(start) ? start : START;
  const q = new URLSearchParams();
  const code = (opts.joinCode ?? '').trim();
  if (code) q.set('joinCode', code);
  // Only a path of ours (the server checks again): "/labs/x", not "//evil.example".
  if (opts.next && opts.next !== '/' && /^\/(?!\/)/.test(opts.next)) q.set('next', opts.next);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}
