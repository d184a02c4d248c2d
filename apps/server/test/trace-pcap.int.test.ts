// GET /labs/:lab/trace/:id/pcapng against the real kernel: the trace's id names its merged capture,
// which tcpdump reads (pcapng, an interface per node/interface, nanosecond stamps in kernel-clock
// order); another lab's id, a guessed id and a malformed one are 404s; the token is required.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listLabs, destroyLab, run } from '@nslab/driver';
import { buildApp, type NslabApp } from '../src/app.ts';
import { AUTH, TOKEN } from './helpers.ts';

const root = join(import.meta.dirname, '../../..');
const vethYaml = readFileSync(join(root, 'labs/veth-pair/topology.yaml'), 'utf8');
let s: NslabApp;
const dir = mkdtempSync(join(tmpdir(), 'tr-pcap-'));

beforeAll(async () => {
  for (const sb of listLabs()) if (sb.name.startsWith('tr-pcap')) await destroyLab(sb.name);
  s = await buildApp({ token: TOKEN });
  for (const name of ['tr-pcap-a', 'tr-pcap-b']) expect((await api('POST', '/labs', { name, yaml: vethYaml })).statusCode).toBe(201);
});
afterAll(async () => {
  await s.app.close();
  for (const sb of listLabs()) if (sb.name.startsWith('tr-pcap')) await destroyLab(sb.name);
  rmSync(dir, { recursive: true, force: true });
});

const api = (method: 'GET' | 'POST', url: string, payload?: object, headers: Record<string, string> = AUTH) =>
  s.app.inject({ method, url: `/api/v1${url}`, headers, ...(payload ? { payload } : {}) });

/** The pcapng's interface names and packet stamps (ns), block by block. */
function blocks(b: Buffer): { names: string[]; stamps: bigint[] } {
  const names: string[] = [];
  const stamps: bigint[] = [];
  for (let o = 0; o < b.length; ) {
    const type = b.readUInt32LE(o);
    const len = b.readUInt32LE(o + 4);
    expect(b.readUInt32LE(o + len - 4)).toBe(len);
    if (type === 1) {
      expect(b.readUInt16LE(o + 8)).toBe(276);
      for (let p = o + 16; p < o + len - 4; ) {
        const code = b.readUInt16LE(p);
        const l = b.readUInt16LE(p + 2);
        if (code === 0) break;
        if (code === 2) names.push(b.subarray(p + 4, p + 4 + l).toString());
        if (code === 9) expect(b[p + 4]).toBe(9);
        p += 4 + l + ((4 - (l % 4)) % 4);
      }
    }
    if (type === 6) stamps.push((BigInt(b.readUInt32LE(o + 12)) << 32n) | BigInt(b.readUInt32LE(o + 16)));
    o += len;
  }
  return { names, stamps };
}

describe('GET /labs/:lab/trace/:id/pcapng', () => {
  let id: string;
  it('the trace answers an id; its merged capture is a pcapng tcpdump reads, interfaces named node/interface (the veth-pair lab: ns1/veth-01, ns2/veth-10), in kernel-clock order', async () => {
    const t = await api('POST', '/labs/tr-pcap-a/trace', { from: 'ns1', to: 'ns2' });
    expect(t.statusCode).toBe(200);
    id = t.json().id;
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    const r = await api('GET', `/labs/tr-pcap-a/trace/${id}/pcapng`);
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('application/x-pcapng');
    const bytes = r.rawPayload;
    expect(bytes.readUInt32LE(0)).toBe(0x0a0d0d0a);
    const { names, stamps } = blocks(bytes);
    expect(names.sort()).toEqual(['ns1/veth-01', 'ns2/veth-10']);
    expect(new Set(names).size).toBe(names.length);
    expect(stamps.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]! >= stamps[i - 1]!).toBe(true);
    const file = join(dir, 'a.pcapng');
    writeFileSync(file, bytes);
    const td = await run(['tcpdump', '-n', '-r', file], { timeoutMs: 10_000 });
    expect(td.code, td.stderr).toBe(0);
    expect(td.stdout).toMatch(/ARP, Request who-has 10\.1\.5\.11/);
    expect(td.stdout).toMatch(/10\.1\.5\.10 > 10\.1\.5\.11: ICMP echo request/);
    expect(td.stdout).toMatch(/10\.1\.5\.11 > 10\.1\.5\.10: ICMP echo reply/);
  });

  it("another lab's id, a guessed id and a malformed one are 404; the token is required", async () => {
    expect((await api('GET', `/labs/tr-pcap-b/trace/${id}/pcapng`)).statusCode).toBe(404);
    const guessed = await api('GET', `/labs/tr-pcap-a/trace/${'0'.repeat(32)}/pcapng`);
    expect(guessed.statusCode).toBe(404);
    expect(guessed.json()).toMatchObject({ code: 'TRACE_CAPTURE_NOT_FOUND', field: 'id' });
    expect((await api('GET', '/labs/tr-pcap-a/trace/..%2F..%2Fetc/pcapng')).statusCode).toBe(404);
    expect((await api('GET', `/labs/tr-pcap-a/trace/${id}/pcapng`, undefined, { host: '127.0.0.1:7070' })).statusCode).toBe(401);
    expect((await api('GET', `/labs/no-such-lab/trace/${id}/pcapng`)).statusCode).toBe(404);
  });
});
