// The server's guide checks through the live view (live-probe.ts): a check reads from the kernel
// only the namespaces its step names, in its own lab, and runs commands only in nodes the lab lists,
// however many namespaces a learner makes by hand; its answer is the one a full read gives.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTopology } from '@nslab/model';
import { collect, deployLab, destroyLab, execInLab, findSandbox, getSandbox, runOffThread, setRunner, stopRunOffThread, UnknownNodeError } from '@nslab/driver';
import { checkRunning, probe } from '@nslab/labs/runtime';
import { buildApp, type NslabApp } from '../src/app.ts';
import { liveProbe } from '../src/live-probe.ts';
import { AUTH, TOKEN } from './helpers.ts';

const LAB = 'hb-probe';
const OTHER = 'hb-probe-other';
/** Namespaces the learner makes by hand, none named by any step of the routing lab. */
const EXTRA = 40;

let s: NslabApp;
beforeAll(async () => {
  for (const l of [LAB, OTHER]) if (findSandbox(l)) await destroyLab(l);
  s = await buildApp({ token: TOKEN });
  const r = await api('POST', '/catalog/routing/start', { name: LAB });
  expect(r.statusCode, r.body).toBe(201);
  // Another learner's lab with the same node names, deployed beside the server rather than through
  // it: no live view of the server reads it in the background, so any process entering it while a
  // check of LAB runs would be the check's.
  const start = readFileSync(join(import.meta.dirname, '../../../labs/routing/start.yaml'), 'utf8');
  await deployLab(OTHER, parseTopology(start).topology, { source: 'cli' });
  // A learner's shell: many namespaces nobody asked for (one ip process makes them all).
  const input = Array.from({ length: EXTRA }, (_, i) => `netns add x${i}`).join('\n') + '\n';
  expect((await execInLab(LAB, 'host', ['ip', '-batch', '-'], { input })).code).toBe(0);
  const live = await s.registry.get(LAB);
  for (let i = 0; i < 200 && live.state.nodes.length < EXTRA + 4; i++) await new Promise((r) => setTimeout(r, 50));
  expect(live.state.nodes.length).toBe(EXTRA + 4); // host, ns1, router, ns2 and the extra ones
  await live.settled();
});
afterAll(async () => {
  setRunner(null);
  runOffThread();
  await s?.app.close();
  for (const l of [LAB, OTHER]) if (findSandbox(l)) await destroyLab(l);
});

const api = (method: 'GET' | 'POST', url: string, payload?: object) =>
  s.app.inject({ method, url: `/api/v1${url}`, headers: AUTH, ...(payload ? { payload } : {}) });

/** Every process the server starts while `fn` runs. */
async function recorded(fn: () => Promise<void>): Promise<string[][]> {
  const argvs: string[][] = [];
  stopRunOffThread();
  setRunner((argv, o) => {
    argvs.push([...argv]);
    return collect(spawn, argv, o);
  });
  try {
    await fn();
  } finally {
    setRunner(null);
    runOffThread();
  }
  return argvs;
}

/** The namespace an `ip -n NS ... -batch` read or an `ip netns exec NS` / `nsenter --net` command is in. */
function namespacesOf(argv: string[]): string[] {
  const out: string[] = [];
  argv.forEach((a, i) => {
    if ((a === '-n' && argv[i - 1] === 'ip') || (a === 'exec' && argv[i - 1] === 'netns')) out.push(argv[i + 1]!);
    if (a.startsWith('--net=/run/netns/')) out.push(a.slice('--net=/run/netns/'.length));
  });
  return out;
}

describe('guide checks through the live view', () => {
  it('read only the namespaces the step names, in their own lab, and answer as a full read does', async () => {
    let body: { results: unknown[] } = { results: [] };
    const argvs = await recorded(async () => {
      const r = await api('POST', `/labs/${LAB}/guide/check`, {});
      expect(r.statusCode, r.body).toBe(200);
      body = r.json();
    });
    // Step 1 (addresses) fails with hints: its pings ran and the walk explained them.
    expect(body).toMatchObject({ current: { index: 1, step: 'addresses' }, done: false });
    expect(JSON.stringify(body.results)).toContain('ping from ns1 to 10.1.1.1 failed');
    expect(argvs.some((a) => a.includes('ping'))).toBe(true);
    // Nothing of the 40 namespaces the step does not name was read or entered; no process entered
    // another sandbox than the lab's own.
    const touched = new Set(argvs.flatMap(namespacesOf));
    expect([...touched].filter((n) => !['ns1', 'router', 'ns2'].includes(n))).toEqual([]);
    const prefix = getSandbox(LAB).enter([]);
    for (const a of argvs) expect(a.slice(0, prefix.length), a.join(' ')).toEqual(prefix);
    // The CLI's way (a fresh read of all 44 nodes) finds the same.
    const full = await checkRunning(LAB, undefined, probe(LAB));
    expect(full.results).toEqual(body.results);
  });

  it('run nothing in a node the lab does not list: a path, another lab, a made-up name', async () => {
    const p = liveProbe(await s.registry.get(LAB));
    const argvs = await recorded(async () => {
      for (const node of ['../../hb-probe-other', '/run/netns/ns1', 'nope', '-n', `${OTHER}`, 'x0/..']) {
        await expect(p.exec(node, ['true']), node).rejects.toBeInstanceOf(UnknownNodeError);
      }
    });
    expect(argvs).toEqual([]);
    // A node it lists runs, in this lab.
    expect((await p.exec('x7', ['ip', '-o', 'link', 'show', 'lo'])).code).toBe(0);
  });
});
