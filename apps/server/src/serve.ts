// `nslab serve`: start the server, print the URL carrying the access token.
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { buildApp } from './app.ts';

export interface ServeOptions {
  host: string;
  port: number;
  webRoot?: string;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

export async function serve(opts: ServeOptions, print: (s: string) => void): Promise<() => Promise<void>> {
  const token = process.env.NSLAB_TOKEN || randomBytes(24).toString('base64url');
  const { app, registry, terminals } = await buildApp({ token, loopback: isLoopback(opts.host), webRoot: opts.webRoot, logger: false, keepTerminals: true });
  await registry.adoptAll();
  const running = new Set(registry.list().filter((l) => l.state === 'running').map((l) => l.name));
  await terminals.adopt((lab) => running.has(lab));
  const address = await app.listen({ host: opts.host, port: opts.port });
  const url = new URL(address);
  print(`nslab is running. Open:\n\n    ${url.origin}/?token=${token}\n\n`);
  return async () => {
    await app.close();
  };
}
