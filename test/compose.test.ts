// docker-compose.yml and the Dockerfile keep the container's security essentials (no Docker needed).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const root = join(import.meta.dirname, '..');
const composeText = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
const compose = parse(composeText) as {
  services: Record<string, Record<string, unknown>>;
  volumes?: Record<string, unknown>;
};
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');

const services = Object.entries(compose.services ?? {});
const [, svc] = services[0]!;

/** Long or short volume syntax -> { source, target }. */
function mounts(s: Record<string, unknown>): { source: string; target: string }[] {
  return ((s.volumes as unknown[]) ?? []).map((v) => {
    if (typeof v === 'string') {
      const [source = '', target = ''] = v.split(':');
      return { source, target };
    }
    const o = v as { source?: string; target?: string };
    return { source: o.source ?? '', target: o.target ?? '' };
  });
}

describe('docker-compose.yml', () => {
  it('has exactly one service, built from the Dockerfile', () => {
    expect(services).toHaveLength(1);
    expect(svc.build === '.' || (svc.build as { context?: string })?.context === '.').toBe(true);
  });

  it('runs privileged, with init, in its own network namespace', () => {
    expect(svc.privileged).toBe(true);
    expect(svc.init).toBe(true);
    expect(svc.network_mode).toBeUndefined();
    expect(svc.pid).toBeUndefined();
  });

  it('publishes the port on 127.0.0.1 only', () => {
    const ports = svc.ports as unknown[];
    expect(ports.length).toBeGreaterThan(0);
    for (const p of ports) {
      if (typeof p === 'string') {
        expect(p).toMatch(/^127\.0\.0\.1:\d+:7070(\/tcp)?$/);
      } else {
        const o = p as { host_ip?: string; target?: number };
        expect(o.host_ip).toBe('127.0.0.1');
        expect(o.target).toBe(7070);
      }
    }
    expect(svc.expose).toBeUndefined();
  });

  it('keeps /var/lib/nslab on a named volume, and /run/nslab off it', () => {
    const data = mounts(svc).find((m) => m.target === '/var/lib/nslab');
    expect(data, 'a mount at /var/lib/nslab').toBeDefined();
    // A named volume, declared at the top level (not a bind mount of a host path).
    expect(data!.source).toMatch(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/);
    expect(Object.keys(compose.volumes ?? {})).toContain(data!.source);
    expect(mounts(svc).some((m) => m.target === '/run/nslab')).toBe(false);
  });

  it('takes the token from the environment, with no default', () => {
    const env = svc.environment as Record<string, string> | string[];
    const value = Array.isArray(env)
      ? env.find((e) => e.startsWith('NSLAB_TOKEN='))?.slice('NSLAB_TOKEN='.length)
      : env.NSLAB_TOKEN;
    expect(value).toBeDefined();
    // ${VAR:?msg} or ${VAR?msg}: compose refuses to start without it; ${VAR:-x} / ${VAR-x} would be a default.
    expect(value).toMatch(/^\$\{NSLAB_TOKEN:?\?[^}]*\}$/);
    expect(composeText).not.toMatch(/NSLAB_TOKEN:?-/);
  });
});

describe('Dockerfile', () => {
  const cmdLine = dockerfile.split('\n').find((l) => /^CMD\s/.test(l));

  it('serves on 0.0.0.0:7070', () => {
    expect(cmdLine).toBeDefined();
    const argv = JSON.parse(cmdLine!.replace(/^CMD\s+/, '')) as string[];
    // Exactly what `pnpm start` runs (the bundle `pnpm build` makes, under bare node), plus host and port.
    const start = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start.split(' ');
    expect(argv.slice(0, start.length)).toEqual(start);
    expect(start).toContain('dist/nslab.mjs');
    expect(argv[argv.indexOf('--host') + 1]).toBe('0.0.0.0');
    expect(argv[argv.indexOf('--port') + 1]).toBe('7070');
  });

  it('starts from node:20-bookworm with the lab tools, pinned pnpm and a frozen lockfile', () => {
    expect(dockerfile).toMatch(/^FROM node:20-bookworm\b/m);
    for (const p of ['iproute2', 'iputils-ping', 'tcpdump', 'ethtool', 'bridge-utils', 'iptables', 'arping', 'util-linux', 'procps']) {
      expect(dockerfile).toMatch(new RegExp(`\\b${p}\\b`));
    }
    expect(dockerfile).toContain('pnpm@12.4.2');
    expect(dockerfile).toContain('pnpm install --frozen-lockfile');
    // Builds the web app served at / and the server bundle the CMD runs.
    expect(dockerfile).toMatch(/^RUN pnpm (run )?build\b/m);
  });
});
