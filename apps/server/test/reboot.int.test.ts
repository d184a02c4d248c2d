// After a reboot (every process of a lab's sandbox gone, its saved files kept), a lab comes back as
// it was when the machine went down: the edits made through the API and the changes typed by hand,
// with its positions — not as it was first deployed.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ObservedLab } from '@nslab/model';
import type { SnapshotMessage } from '@nslab/protocol';
import { destroyLab, execInLab, findSandbox, labStore } from '@nslab/driver';
import { buildApp, type NslabApp } from '../src/app.ts';
import { AUTH, Inbox, TOKEN } from './helpers.ts';

const root = join(import.meta.dirname, '../../..');
const LAB = 'r-reboot';
let s: NslabApp | undefined;

afterAll(async () => {
  await s?.app.close();
  if (findSandbox(LAB)) await destroyLab(LAB);
  labStore.remove(LAB);
});

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !cond(); ) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('reboot', () => {
  it('redeploys a saved lab with its edits, hand-typed changes and positions', async () => {
    if (findSandbox(LAB)) await destroyLab(LAB);
    s = await buildApp({ token: TOKEN });
    const api = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) => s!.app.inject({ method, url: `/api/v1${url}`, headers: AUTH, ...(payload ? { payload } : {}) });
    expect((await api('POST', '/labs', { name: LAB, yaml: readFileSync(join(root, 'labs/veth-pair/topology.yaml'), 'utf8') })).statusCode).toBe(201);
    expect((await api('POST', `/labs/${LAB}/nodes`, { name: 'ns3' })).statusCode).toBe(201);
    const typed = await execInLab(LAB, 'ns1', ['ip', 'addr', 'add', '10.1.6.10/24', 'dev', 'veth-01']);
    expect(typed.code, typed.stderr).toBe(0);
    expect((await api('PUT', `/labs/${LAB}/positions`, { positions: { ns1: { x: 5, y: 6 }, ns3: { x: 70, y: 80 } } })).statusCode).toBe(200);
    // The saved topology follows the kernel (written once the lab is quiet).
    await until(() => /ns3/.test(labStore.loadTopology(LAB) ?? '') && /10\.1\.6\.10\/24/.test(labStore.loadTopology(LAB) ?? ''), 'the saved topology to follow');

    // The machine goes down: the server stops, every process of the sandbox dies at once.
    await s.app.close();
    s = undefined;
    const sb = findSandbox(LAB)!;
    for (const pid of sb.pids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await until(() => findSandbox(LAB) === null, 'the sandbox to be gone');

    s = await buildApp({ token: TOKEN });
    await s.registry.adoptAll();
    const labs = (await api('GET', '/labs')).json() as { name: string; state: string }[] | { labs: { name: string; state: string }[] };
    const list = Array.isArray(labs) ? labs : labs.labs;
    expect(list.find((l) => l.name === LAB)?.state).toBe('saved');
    const started = await api('POST', `/labs/${LAB}/start`);
    expect(started.statusCode, started.body).toBe(201);
    const state = (await api('GET', `/labs/${LAB}`)).json() as ObservedLab;
    expect(state.nodes.map((n) => n.name)).toContain('ns3');
    const veth = state.nodes.find((n) => n.name === 'ns1')!.interfaces.find((i) => i.name === 'veth-01')!;
    expect(veth.addresses).toEqual(expect.arrayContaining(['10.1.5.10/24', '10.1.6.10/24']));
    const ping = await execInLab(LAB, 'ns1', ['ping', '-c1', '-W1', '10.1.5.11']);
    expect(ping.code, ping.stdout).toBe(0);
    const ws = await s.app.injectWS(`/api/v1/labs/${LAB}/events`, { headers: AUTH });
    const snap = await new Inbox(ws).next<SnapshotMessage>((m) => m.type === 'snapshot');
    expect(snap.positions).toMatchObject({ ns1: { x: 5, y: 6 }, ns3: { x: 70, y: 80 } });
    ws.terminate();
  });
});
