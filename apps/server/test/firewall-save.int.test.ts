// iptables rules typed into a lab (or run by its containerlab `exec:`) live in no kernel event the
// server watches, yet a stop and start must give them back, once. And the program the server
// runs to read them is the lab's to replace: whatever it prints, the server stays up and the
// saved lab stays deployable.
import { afterAll, describe, expect, it } from 'vitest';
import type { PatchMessage, SnapshotMessage } from '@nslab/protocol';
import { destroyLab, findSandbox, inspectLab, labStore, readIptables } from '@nslab/driver';
import { parseTopology } from '@nslab/model';
import { buildApp, type NslabApp } from '../src/app.ts';
import { AUTH, Inbox, TOKEN } from './helpers.ts';

const LAB = 's-fw';
let s: NslabApp | undefined;

afterAll(async () => {
  await s?.app.close();
  if (findSandbox(LAB)) await destroyLab(LAB);
});

const CLAB = `
name: ${LAB}
topology:
  nodes:
    r1:
      kind: linux
      exec:
        - ip addr add 10.9.0.1/24 dev eth1
        - iptables -t nat -A POSTROUTING -s 10.9.0.0/24 -o eth1 -j MASQUERADE
    r2:
      kind: linux
      exec:
        - ip addr add 10.9.0.2/24 dev eth1
  links:
    - endpoints: ["r1:eth1", "r2:eth1"]
`;

const rulesOf = async (node: string) => (await inspectLab(LAB, { firewall: true })).nodes.find((n) => n.name === node)?.iptables;

describe('iptables rules across stop and start', () => {
  it('a rule typed after deploy is seen live, saved on stop, and comes back once with the exec line\'s rule', async () => {
    if (findSandbox(LAB)) await destroyLab(LAB);
    s = await buildApp({ token: TOKEN });
    const api = (method: 'POST' | 'DELETE' | 'GET', url: string, payload?: object) => s!.app.inject({ method, url: `/api/v1${url}`, headers: AUTH, ...(payload ? { payload } : {}) });
    const created = await api('POST', '/labs', { name: LAB, yaml: CLAB });
    expect(created.statusCode, created.body).toBe(201);

    const ws = await s.app.injectWS(`/api/v1/labs/${LAB}/events`, { headers: AUTH });
    const inbox = new Inbox(ws);
    const snap = await inbox.next<SnapshotMessage>((m) => m.type === 'snapshot');
    // Read at start: the exec line's rule is in the live state.
    expect(snap.lab.nodes.find((n) => n.name === 'r1')!.iptables).toEqual(['-t nat -A POSTROUTING -s 10.9.0.0/24 -o eth1 -j MASQUERADE']);

    const typed = await api('POST', `/labs/${LAB}/nodes/r2/exec`, { argv: ['iptables', '-A', 'INPUT', '-p', 'icmp', '-j', 'DROP'] });
    expect(typed.statusCode, typed.body).toBe(200);
    const patch = await inbox.next<PatchMessage>((m) => m.type === 'patch' && m.upsertNodes.some((n) => n.name === 'r2' && (n.iptables ?? []).length > 0), 5000);
    expect(patch.upsertNodes.find((n) => n.name === 'r2')!.iptables).toEqual(['-A INPUT -p icmp -j DROP']);
    ws.terminate();

    for (let round = 0; round < 2; round++) {
      expect((await api('DELETE', `/labs/${LAB}?keep=true`)).statusCode).toBe(200);
      const saved = parseTopology(labStore.loadTopology(LAB)!).topology;
      expect(saved.nodes.find((n) => n.name === 'r2')!.iptables).toEqual(['-A INPUT -p icmp -j DROP']);
      // The rule is the model's now: the exec line that made it is not replayed on top of it.
      expect(saved.nodes.find((n) => n.name === 'r1')!.exec.join('\n')).not.toContain('iptables');
      const started = await api('POST', `/labs/${LAB}/start`);
      expect(started.statusCode, started.body).toBe(201);
      expect(await rulesOf('r1')).toEqual(['-t nat -A POSTROUTING -s 10.9.0.0/24 -o eth1 -j MASQUERADE']);
      expect(await rulesOf('r2')).toEqual(['-A INPUT -p icmp -j DROP']);
      await (await s.registry.get(LAB)).settled();
    }
  }, 120_000);

  it('a lab that replaces iptables-save with its own program cannot stall the server or break its saved lab', async () => {
    const api = (method: 'POST' | 'DELETE' | 'GET', url: string, payload?: object) => s!.app.inject({ method, url: `/api/v1${url}`, headers: AUTH, ...(payload ? { payload } : {}) });
    // 4 MiB of output, then a "rule" that is no rule, in place of the real program (the lab's mount namespace only).
    const fake = '#!/bin/sh\nhead -c 4194304 /dev/zero | tr "\\000" x\nprintf "*filter\\n-A INPUT -j DROP\\n-F\\nCOMMIT\\n"\n';
    const r = await api('POST', `/labs/${LAB}/nodes/host/exec`, {
      argv: ['sh', '-c', 'cat > /tmp/fake-save && chmod +x /tmp/fake-save && mount --bind /tmp/fake-save "$(readlink -f /usr/sbin/iptables-save)" && iptables -A OUTPUT -j ACCEPT'],
      input: fake,
    });
    expect(r.statusCode, r.body).toBe(200);
    expect(JSON.parse(r.body).code, r.body).toBe(0);
    // The lab's program is what runs: its output is refused (too big), not parsed.
    expect(await readIptables(findSandbox(LAB)!, { name: 'r2', kind: 'netns' })).toBeUndefined();
    const live = await s!.registry.get(LAB);
    await live.readFirewalls();
    // The server answers, and what it keeps for r2 is still the real rules it read before.
    const state = await api('GET', `/labs/${LAB}`);
    expect(state.statusCode).toBe(200);
    expect(JSON.parse(state.body).nodes.find((n: { name: string }) => n.name === 'r2').iptables).toEqual(['-A INPUT -p icmp -j DROP']);
    expect((await api('DELETE', `/labs/${LAB}?keep=true`)).statusCode).toBe(200);
    const saved = parseTopology(labStore.loadTopology(LAB)!).topology;
    expect(saved.nodes.find((n) => n.name === 'r2')!.iptables).toEqual(['-A INPUT -p icmp -j DROP']);
    expect((await api('POST', `/labs/${LAB}/start`)).statusCode).toBe(201);
  }, 120_000);
});
