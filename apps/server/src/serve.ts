// `nslab serve`: start the server, print the URL carrying the access token (masked when NSLAB_TOKEN set it).
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { buildApp } from './app.ts';
import { Classroom, type ClassroomOptions } from './classroom/classroom.ts';
import { DEFAULT_LIMITS, type Limits } from './limits.ts';

export interface ServeOptions {
  host: string;
  port: number;
  webRoot?: string;
  /** The config file's `limits` section; the server takes its caps from it (loadConfig applied the sandbox's). */
  limits?: Partial<Record<string, number>>;
  /** Classroom mode: accounts from this database instead of a token. */
  classroom?: ClassroomOptions;
}

function serverLimitsOf(l: Partial<Record<string, number>>): Partial<Limits> {
  return Object.fromEntries(Object.entries(l).filter(([k]) => k in DEFAULT_LIMITS)) as Partial<Limits>;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/**
 * What `nslab serve` prints. The token in full only when the server made it up (nobody else knows
 * it); one set through NSLAB_TOKEN is already known to whoever set it, and a terminal's scrollback,
 * a CI log or `docker compose logs` is no place to repeat it.
 */
export function banner(origin: string, token: string, fromEnv: boolean): string {
  const url = `${origin}/?token=${fromEnv ? '<NSLAB_TOKEN>' : token}`;
  const note = fromEnv ? '\n(the token is the value of NSLAB_TOKEN)\n' : '';
  return `nslab is running. Open:\n\n    ${url}\n${note}\n`;
}

/** What `nslab serve --classroom` prints: no token; how to make the first admin when there is none. */
export function classroomBanner(origin: string, database: string, admins: number): string {
  const first = admins === 0
    ? `\nNo admin account yet. Create one (it prints a one-time password):\n\n    nslab user add --admin NAME${database === Classroom.defaultPath() ? '' : ` --database ${database}`}\n`
    : '';
  return `nslab is running in classroom mode (accounts: ${database}). Open:\n\n    ${origin}/\n${first}\n`;
}

export async function serve(opts: ServeOptions, print: (s: string) => void): Promise<() => Promise<void>> {
  if (opts.classroom) return serveClassroom(opts, opts.classroom, print);
  const fromEnv = Boolean(process.env.NSLAB_TOKEN);
  const token = process.env.NSLAB_TOKEN || randomBytes(24).toString('base64url');
  const { app, registry, terminals } = await buildApp({ token, loopback: isLoopback(opts.host), webRoot: opts.webRoot, limits: serverLimitsOf(opts.limits ?? {}), logger: false, keepTerminals: true, onNotice: print });
  await registry.adoptAll();
  const running = new Set((await registry.list()).filter((l) => l.state === 'running').map((l) => l.name));
  await terminals.adopt((lab) => running.has(lab));
  const address = await app.listen({ host: opts.host, port: opts.port });
  const url = new URL(address);
  print(banner(url.origin, token, fromEnv));
  return async () => {
    await app.close();
  };
}

async function serveClassroom(opts: ServeOptions, options: ClassroomOptions, print: (s: string) => void): Promise<() => Promise<void>> {
  const classroom = Classroom.open(options);
  const { app, registry, terminals } = await buildApp({ classroom, loopback: isLoopback(opts.host), webRoot: opts.webRoot, limits: serverLimitsOf(opts.limits ?? {}), logger: false, keepTerminals: true, onNotice: print });
  await registry.adoptAll();
  const running = new Set((await registry.list()).filter((l) => l.state === 'running').map((l) => l.name));
  await terminals.adopt((lab) => running.has(lab));
  const address = await app.listen({ host: opts.host, port: opts.port });
  print(classroomBanner(new URL(address).origin, classroom.path, classroom.accounts.countAdmins()));
  return async () => {
    await app.close();
  };
}
