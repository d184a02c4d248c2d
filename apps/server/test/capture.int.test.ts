// Packet captures on the real kernel over real HTTP and WebSockets: tcpdump inside the lab's
// sandbox, lines streamed live, the pcap downloaded and read back by tcpdump, hostile filters
// refused before anything runs, caps, and captures ending with their interface or lab.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { destroyLab, findSandbox, listLabs } from '@nslab/driver';
import type { CaptureInfo, CaptureServerMessage } from '@nslab/protocol';
import { buildApp, type NslabApp } from '../src/app.ts';
import type { Limits } from '../src/limits.ts';
import { TOKEN } from './helpers.ts';
import { hostNetworkSnapshot } from '../../../test/helpers.ts';

const LAB = 's-cap';
const TOPOLOGY = `
name: ${LAB}
bridges:
  br0: {}
nodes:
  ns1:
    interfaces:
      veth1: { addresses: [10.91.0.1/24] }
  ns2:
    interfaces:
      veth2: { addresses: [10.91.0.2/24] }
  ns3:
    interfaces:
      eth0: { addresses: [10.92.0.3/24] }
  ns4:
    interfaces:
      eth0: { addresses: [10.92.0.4/24] }
links:
  - endpoints: ["ns1:veth1", "ns2:veth2"]
  - endpoints: ["ns3:eth0", "br0:br-ns3"]
  - endpoints: ["ns4:eth0", "br0:br-ns4"]
`;

interface Server {
  s: NslabApp;
  base: string;
}

const servers: Server[] = [];
let main: Server;
let before = '';
const tmp = mkdtempSync(join(tmpdir(), 'nslab-cap-'));

async function serve(limits: Partial<Limits> = {}): Promise<Server> {
  const s = await buildApp({ token: TOKEN, limits });
  const base = await s.app.listen({ host: '127.0.0.1', port: 0 });
  const server = { s, base };
  servers.push(server);
  return server;
}

async function api(srv: Server, method: string, path: string, body?: unknown): Promise<{ status: number; json: any; res: Response }> {
  const res = await fetch(`${srv.base}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = res.headers.get('content-type')?.includes('json') ? await res.text() : '';
  return { status: res.status, json: text ? JSON.parse(text) : null, res };
}

class Watcher {
  messages: CaptureServerMessage[] = [];
  lines: { n: number; text: string }[] = [];
  closed: Promise<number>;
  constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as CaptureServerMessage;
      this.messages.push(m);
      if (m.type === 'lines') m.lines.forEach((text, i) => this.lines.push({ n: m.first + i, text }));
    });
    this.closed = new Promise((r) => ws.on('close', (code: number) => r(code)));
  }
  get status(): (CaptureServerMessage & { type: 'status' }) | undefined {
    return this.messages.filter((m): m is CaptureServerMessage & { type: 'status' } => m.type === 'status').at(-1);
  }
  async waitFor(pred: () => boolean, what: string, timeoutMs = 8000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; lines: ${JSON.stringify(this.lines.slice(-5))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

async function watch(srv: Server, id: string, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }): Promise<Watcher> {
  const ws = new WebSocket(`${srv.base.replace(/^http/, 'ws')}/api/v1/labs/${LAB}/captures/${id}/events`, { headers });
  const w = new Watcher(ws);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return w;
}

async function start(srv: Server, body: object): Promise<CaptureInfo> {
  const r = await api(srv, 'POST', `/labs/${LAB}/captures`, body);
  expect(r.status, JSON.stringify(r.json)).toBe(201);
  return r.json as CaptureInfo;
}

async function exec(srv: Server, node: string, argv: string[]): Promise<{ code: number; stdout: string }> {
  const r = await api(srv, 'POST', `/labs/${LAB}/nodes/${node}/exec`, { argv });
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  return r.json;
}

/** tcpdump processes of the lab's sandbox and the uid each runs as (outside), with what it runs. */
function sandboxTcpdumps(): { pid: number; uid: number; args: string }[] {
  const sb = findSandbox(LAB);
  if (!sb) return [];
  return sb.pids().flatMap((pid) => {
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (!args.startsWith('tcpdump')) return [];
      const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
      return [{ pid, uid, args }];
    } catch {
      return [];
    }
  });
}

async function noTcpdumpLeft(): Promise<void> {
  const end = Date.now() + 5000;
  while (sandboxTcpdumps().length && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  expect(sandboxTcpdumps()).toEqual([]);
}

beforeAll(async () => {
  for (const sb of listLabs()) if (sb.name === LAB) await destroyLab(sb.name);
  before = hostNetworkSnapshot();
  main = await serve({ capturesPerLab: 2, captureMaxBytes: 4096 });
  const r = await main.s.app.inject({ method: 'POST', url: '/api/v1/labs', headers: { authorization: `Bearer ${TOKEN}`, host: '127.0.0.1' }, payload: { name: LAB, yaml: TOPOLOGY } });
  expect(r.statusCode, r.body).toBe(201);
});

afterAll(async () => {
  for (const srv of servers) await srv.s.app.close();
  for (const sb of listLabs()) if (sb.name === LAB) await destroyLab(sb.name);
  rmSync(tmp, { recursive: true, force: true });
  expect(hostNetworkSnapshot()).toBe(before);
});

describe('captures', () => {
  it('streams the ICMP echo request and reply of a ping on veth1, and the pcap parses with tcpdump -r', async () => {
    const info = await start(main, { node: 'ns1', interface: 'veth1', filter: 'icmp' });
    expect(info).toMatchObject({ lab: LAB, node: 'ns1', interface: 'veth1', filter: 'icmp', state: 'running', packets: 0 });
    // The command log teaches the same capture as a command.
    const log = (await api(main, 'GET', `/labs/${LAB}/log`)).json as { entries: { source: string; line: string }[] };
    expect(log.entries.at(-1)).toMatchObject({ source: 'api', line: 'ip netns exec ns1 tcpdump -i veth1 -n -l icmp' });
    // Both tcpdumps run inside the sandbox as its unprivileged tcpdump user, not as its root.
    const procs = sandboxTcpdumps();
    const sb = findSandbox(LAB)!;
    expect(procs.map((p) => p.args.includes('-r -') ? 'decoder' : 'capture').sort()).toEqual(['capture', 'decoder']);
    for (const p of procs) expect(p.uid, p.args).not.toBe(sb.record.uid);
    for (const p of procs) expect(p.uid - sb.record.uid).toBeGreaterThan(0);

    const w = await watch(main, info.id);
    await w.waitFor(() => w.status !== undefined, 'the first status');
    expect(w.status!.capture.state).toBe('running');
    const ping = await exec(main, 'ns1', ['ping', '-c', '3', '-i', '0.2', '10.91.0.2']);
    expect(ping.code).toBe(0);
    await w.waitFor(() => w.lines.filter((l) => /echo reply/.test(l.text)).length === 3, 'three echo replies');
    const requests = w.lines.filter((l) => /IP 10\.91\.0\.1 > 10\.91\.0\.2: ICMP echo request/.test(l.text));
    const replies = w.lines.filter((l) => /IP 10\.91\.0\.2 > 10\.91\.0\.1: ICMP echo reply/.test(l.text));
    expect(requests).toHaveLength(3);
    expect(replies).toHaveLength(3);
    expect(w.lines.map((l) => l.n)).toEqual([1, 2, 3, 4, 5, 6]);

    const stopped = await api(main, 'POST', `/labs/${LAB}/captures/${info.id}/stop`);
    expect(stopped.status).toBe(200);
    expect(stopped.json).toMatchObject({ state: 'stopped', packets: 6, lines: 6, end: { kind: 'stopped' } });
    expect(await w.closed).toBe(1000);
    expect(w.status!.capture).toMatchObject({ state: 'stopped', packets: 6, end: { kind: 'stopped', message: 'stopped by the user' } });
    expect(w.status!.dropped).toBe(0);
    await noTcpdumpLeft();

    const dl = await fetch(`${main.base}/api/v1/labs/${LAB}/captures/${info.id}/pcap`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(dl.status).toBe(200);
    expect(dl.headers.get('content-type')).toBe('application/vnd.tcpdump.pcap');
    expect(dl.headers.get('content-disposition')).toMatch(new RegExp(`^attachment; filename="${LAB}-ns1-veth1-\\d{8}T\\d{6}\\.pcap"$`));
    const bytes = Buffer.from(await dl.arrayBuffer());
    expect(bytes.length).toBe(stopped.json.bytes);
    expect(bytes.readUInt32LE(0)).toBe(0xa1b2c3d4);
    const file = join(tmp, 'veth1.pcap');
    writeFileSync(file, bytes);
    const read = execFileSync('tcpdump', ['-r', file, '-n'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const readLines = read.trim().split('\n');
    expect(readLines).toHaveLength(6);
    expect(readLines.filter((l) => l.includes('ICMP echo request'))).toHaveLength(3);
    expect(readLines.filter((l) => l.includes('ICMP echo reply'))).toHaveLength(3);

    // A viewer joining after the end gets the lines kept, the last status, and a close.
    const late = await watch(main, info.id);
    expect(await late.closed).toBe(1000);
    expect(late.lines.map((l) => l.text)).toEqual(w.lines.map((l) => l.text));
    expect(late.status!.capture.state).toBe('stopped');

    const list = await api(main, 'GET', `/labs/${LAB}/captures`);
    expect(list.json.captures.map((c: CaptureInfo) => c.id)).toContain(info.id);
    expect((await api(main, 'DELETE', `/labs/${LAB}/captures/${info.id}`)).status).toBe(204);
    expect((await api(main, 'GET', `/labs/${LAB}/captures/${info.id}/pcap`)).status).toBe(404);
  });

  it('captures on a bridge in the lab host, with MAC addresses on request', async () => {
    // A bridge device sees what is flooded or addressed to the lab host, not unicast it forwards
    // between ports: ARP's broadcast request is what shows up here.
    expect((await exec(main, 'ns3', ['ip', 'neigh', 'flush', 'dev', 'eth0'])).code).toBe(0);
    const info = await start(main, { node: 'host', interface: 'br0', filter: 'icmp or arp', linkHeader: true });
    try {
      const w = await watch(main, info.id);
      await w.waitFor(() => w.status !== undefined, 'the first status');
      expect((await exec(main, 'ns3', ['ping', '-c', '1', '10.92.0.4'])).code).toBe(0);
      await w.waitFor(() => w.lines.some((l) => /Request who-has 10\.92\.0\.4 tell 10\.92\.0\.3/.test(l.text)), 'the ARP request');
      const req = w.lines.find((l) => /who-has/.test(l.text))!;
      expect(req.text).toMatch(/([0-9a-f]{2}:){5}[0-9a-f]{2} > ff:ff:ff:ff:ff:ff, ethertype ARP/);
      expect(w.lines.some((l) => /ICMP echo/.test(l.text))).toBe(false);
    } finally {
      expect((await api(main, 'DELETE', `/labs/${LAB}/captures/${info.id}`)).status).toBe(204);
    }
    await noTcpdumpLeft();
  });

  it('refuses hostile and invalid filters with 400 naming filter, running nothing harmful', async () => {
    const cases: [string, RegExp][] = [
      ['; rm -rf /', /";"/],
      ['-w /etc/nslab-capture-pwned', /must not start with "-"/],
      ['$(reboot)', /"\$"/],
      ['`touch /tmp/nslab-pwned`', /"`"/],
      ['icmp && touch /tmp/nslab-pwned', /syntax error|can't parse/],
      ['x'.repeat(600), /at most 512/],
      ['h\u043est 10.91.0.2', /non-ASCII/],
      ['icmp\n-w /tmp/x', /control character/],
      ['tcp port', /can't parse filter expression: syntax error/],
      ['host no-such-host.invalid', /unknown host/],
    ];
    for (const [filter, why] of cases) {
      const r = await api(main, 'POST', `/labs/${LAB}/captures`, { node: 'ns1', interface: 'veth1', filter });
      expect(r.status, filter).toBe(400);
      expect(r.json.code, filter).toBe('INVALID_INPUT');
      expect(r.json.field, filter).toBe('filter');
      expect(r.json.message, filter).toMatch(why);
    }
    expect(existsSync('/etc/nslab-capture-pwned')).toBe(false);
    expect(existsSync('/tmp/nslab-pwned')).toBe(false);
    expect(sandboxTcpdumps()).toEqual([]);
    const list = await api(main, 'GET', `/labs/${LAB}/captures`);
    expect(list.json.captures.filter((c: CaptureInfo) => c.state === 'running')).toEqual([]);
  });

  it('checks node and interface before anything runs', async () => {
    const cases: [object, number, string, string][] = [
      [{ node: 'ns1;x', interface: 'veth1' }, 400, 'INVALID_NAME', 'node'],
      [{ node: 'ns1', interface: '-i' }, 400, 'INVALID_NAME', 'interface'],
      [{ node: 'nope', interface: 'veth1' }, 404, 'NODE_NOT_FOUND', 'node'],
      [{ node: 'ns1', interface: 'eth9' }, 404, 'INTERFACE_NOT_FOUND', 'interface'],
      [{ node: 'ns1', interface: 'lo' }, 409, 'INTERFACE_DOWN', 'interface'],
    ];
    for (const [body, status, code, field] of cases) {
      const r = await api(main, 'POST', `/labs/${LAB}/captures`, body);
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(r.json, JSON.stringify(body)).toMatchObject({ code, field });
    }
    expect((await api(main, 'POST', `/labs/${LAB}/captures`, { node: 'ns1', interface: 'veth1', extra: 1 })).status).toBe(400);
    expect(sandboxTcpdumps()).toEqual([]);
  });

  it('needs the token and the server\'s own origin for the event stream', async () => {
    const info = await start(main, { node: 'ns2', interface: 'veth2' });
    await expect(watch(main, info.id, {})).rejects.toThrow(/401/);
    await expect(watch(main, info.id, { origin: 'http://evil.example' })).rejects.toThrow(/403/);
    const noAuth = await fetch(`${main.base}/api/v1/labs/${LAB}/captures/${info.id}/pcap`);
    expect(noAuth.status).toBe(401);
    expect((await noAuth.json()).code).toBe('UNAUTHORIZED');
    const missing = await watch(main, 'AAAAAAAAAAAAAAAA');
    expect(await missing.closed).toBe(1008);
    expect(missing.messages[0]).toMatchObject({ type: 'error', code: 'CAPTURE_NOT_FOUND' });
    expect((await api(main, 'DELETE', `/labs/${LAB}/captures/${info.id}`)).status).toBe(204);
  });

  it('caps concurrent captures per lab, and stops at the byte limit with a pcap that still parses', async () => {
    const a = await start(main, { node: 'ns1', interface: 'veth1', filter: 'icmp' });
    const b = await start(main, { node: 'ns2', interface: 'veth2' });
    const c = await api(main, 'POST', `/labs/${LAB}/captures`, { node: 'ns3', interface: 'eth0' });
    expect(c.status).toBe(429);
    expect(c.json.code).toBe('LIMIT_CAPTURES');
    expect((await api(main, 'DELETE', `/labs/${LAB}/captures/${b.id}`)).status).toBe(204);

    const w = await watch(main, a.id);
    // 40 echo pairs of 114 bytes each are more than 4096 bytes.
    await exec(main, 'ns1', ['ping', '-c', '40', '-i', '0.002', '-q', '10.91.0.2']);
    expect(await w.closed).toBe(1000);
    const end = w.status!.capture;
    expect(end).toMatchObject({ state: 'stopped', end: { kind: 'byte-limit' } });
    expect(end.end!.message).toMatch(/4096 bytes/);
    expect(end.bytes).toBeLessThanOrEqual(4096);
    expect(end.packets).toBeGreaterThan(30);
    const dl = await fetch(`${main.base}/api/v1/labs/${LAB}/captures/${a.id}/pcap`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const file = join(tmp, 'capped.pcap');
    writeFileSync(file, Buffer.from(await dl.arrayBuffer()));
    const read = execFileSync('tcpdump', ['-r', file, '-n'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(read.trim().split('\n')).toHaveLength(end.packets);
    // The slot is free again.
    const again = await start(main, { node: 'ns3', interface: 'eth0' });
    expect((await api(main, 'DELETE', `/labs/${LAB}/captures/${again.id}`)).status).toBe(204);
  });

  it('stops itself at the time limit', async () => {
    const short = await serve({ captureMaxDurationMs: 700 });
    const info = await start(short, { node: 'ns2', interface: 'veth2' });
    const w = await watch(short, info.id);
    expect(await w.closed).toBe(1000);
    expect(w.status!.capture.end).toMatchObject({ kind: 'duration-limit' });
    await short.s.app.close();
    servers.splice(servers.indexOf(short), 1);
  });

  it('ends cleanly, with the reason, when its interface or namespace is deleted', async () => {
    const onVeth = await start(main, { node: 'ns1', interface: 'veth1' });
    const w1 = await watch(main, onVeth.id);
    // Deleting the peer in ns2 takes veth1 along.
    expect((await api(main, 'DELETE', `/labs/${LAB}/nodes/ns2/interfaces/veth2`)).status).toBe(200);
    expect(await w1.closed).toBe(1000);
    expect(w1.status!.capture).toMatchObject({ state: 'stopped', end: { kind: 'interface-gone' } });
    expect(w1.status!.capture.end!.message).toMatch(/veth1/);

    const onNs = await start(main, { node: 'ns3', interface: 'eth0' });
    const w2 = await watch(main, onNs.id);
    expect((await api(main, 'DELETE', `/labs/${LAB}/nodes/ns3`)).status).toBe(200);
    expect(await w2.closed).toBe(1000);
    expect(w2.status!.capture.end).toEqual({ kind: 'interface-gone', message: 'namespace ns3 was deleted' });
    await noTcpdumpLeft();
    // tcpdump no longer holds the deleted namespace alive: its veth, and so the bridge port, are gone.
    const end = Date.now() + 5000;
    let ports: string[] = [];
    do {
      const lab = await api(main, 'GET', `/labs/${LAB}`);
      ports = lab.json.nodes.find((n: { name: string }) => n.name === 'host').interfaces.map((i: { name: string }) => i.name);
      if (!ports.includes('br-ns3')) break;
      await new Promise((r) => setTimeout(r, 50));
    } while (Date.now() < end);
    expect(ports).not.toContain('br-ns3');
    expect(ports).toContain('br-ns4');
  });

  it('ends with the lab and takes its data along', async () => {
    const info = await start(main, { node: 'ns4', interface: 'eth0' });
    const w = await watch(main, info.id);
    const session = main.s.captures.get(LAB, info.id);
    expect((await api(main, 'DELETE', `/labs/${LAB}`)).status).toBe(200);
    await session.done;
    expect(session.end).toMatchObject({ kind: 'lab-gone' });
    expect(await w.closed).toBe(1000);
    expect(w.status!.capture.end).toMatchObject({ kind: 'lab-gone' });
    expect(main.s.captures.list(LAB)).toEqual([]);
  });
});
