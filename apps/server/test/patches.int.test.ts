// The patch stream stays exact: after every change made behind the server's back (in the sandbox,
// the way a learner's terminal does), a client that only ever applied patches holds exactly what a
// fresh snapshot holds. Guards the server's partial diff (only re-read namespaces and their veth
// peers are compared) against a peer or link that changed without being re-read.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPatch, type PatchMessage, type SnapshotMessage } from '@nslab/protocol';
import type { ObservedLab } from '@nslab/model';
import { destroyLab, execInLab, findSandbox } from '@nslab/driver';
import { buildApp, type NslabApp } from '../src/app.ts';
import { AUTH, Inbox } from './helpers.ts';

const LAB = 'p-patches';
const yaml = [
  'nodes:',
  '  ns1: { interfaces: { a1: { addresses: [10.9.0.1/24] } } }',
  '  ns2: { interfaces: { a2: { addresses: [10.9.0.2/24] } } }',
  '  ns3: {}',
  'links:',
  '  - endpoints: ["ns1:a1", "ns2:a2"]',
].join('\n');
let s: NslabApp;

beforeAll(async () => {
  if (findSandbox(LAB)) await destroyLab(LAB);
  s = await buildApp({ token: 'test-token-0123456789' });
  const r = await s.app.inject({ method: 'POST', url: '/api/v1/labs', headers: AUTH, payload: { name: LAB, yaml } });
  expect(r.statusCode, r.body).toBe(201);
});

afterAll(async () => {
  await s?.app.close();
  if (findSandbox(LAB)) await destroyLab(LAB);
});

describe('patches', () => {
  it('a patched client equals a fresh snapshot after each hand-made change', async () => {
    const ws = await s.app.injectWS(`/api/v1/labs/${LAB}/events`, { headers: AUTH });
    const inbox = new Inbox(ws);
    const snap = await inbox.next<SnapshotMessage>((m) => m.type === 'snapshot');
    let state: ObservedLab = snap.lab;
    let seq = snap.seq;
    const steps: [string, string[]][] = [
      ['a veth from ns1 to ns3, made in the lab host', ['ip', 'link', 'add', 'name', 'v1', 'netns', 'ns1', 'type', 'veth', 'peer', 'name', 'v3', 'netns', 'ns3']],
      ['its ns3 end renamed (ns1 is not re-read, its peer name changes)', ['ip', '-n', 'ns3', 'link', 'set', 'dev', 'v3', 'name', 'w3']],
      ['its ns3 end moved to ns2', ['ip', '-n', 'ns3', 'link', 'set', 'dev', 'w3', 'netns', 'ns2']],
      ['an MTU change on one end', ['ip', '-n', 'ns2', 'link', 'set', 'dev', 'w3', 'mtu', '1400']],
      ['a veth into the lab host, its host end on a bridge', ['ip', 'link', 'add', 'name', 'h1', 'type', 'veth', 'peer', 'name', 'h2', 'netns', 'ns2']],
      ['a bridge for it', ['ip', 'link', 'add', 'name', 'br9', 'type', 'bridge']],
      ['the host end plugged in', ['ip', 'link', 'set', 'dev', 'h1', 'master', 'br9']],
      ['the first veth deleted from ns1', ['ip', '-n', 'ns1', 'link', 'del', 'dev', 'v1']],
      ['the original pair renamed on one side', ['ip', '-n', 'ns2', 'link', 'set', 'dev', 'a2', 'name', 'b2']],
    ];
    for (const [what, argv] of steps) {
      const r = await execInLab(LAB, 'host', argv);
      expect(r.code, `${what}: ${r.stderr}`).toBe(0);
      const lab = await s.registry.get(LAB);
      await new Promise((res) => setTimeout(res, 150));
      await lab.settled();
      const want = lab.snapshot();
      // Everything up to the snapshot's seq has been published: wait for it, applying as it comes.
      while (seq < want.seq) {
        const p = await inbox.next<PatchMessage>((m) => m.type === 'patch' && m.seq > seq);
        state = applyPatch(state, p);
        seq = p.seq;
      }
      expect(state, what).toEqual(want.lab);
    }
    // And the veth between ns1 and ns2 (renamed on one side) is still one link, with both names right.
    const link = state.links.find((l) => [l.a.node, l.b.node].sort().join() === 'ns1,ns2');
    expect(link && [link.a.interface, link.b.interface].sort()).toEqual(['a1', 'b2']);
    ws.terminate();
  });

  it('a closing server never brings a lab back (a late callback would keep the process alive)', async () => {
    const other = await buildApp({ token: 'test-token-0123456789' });
    await other.registry.get(LAB);
    await other.app.close();
    await expect(other.registry.get(LAB)).rejects.toMatchObject({ code: 'SHUTTING_DOWN' });
  });
});
