// A lab at one of its kernel limits: the learner reads why in its terminal, the server's log says
// it too, and another lab hears nothing of it. Real kernel, real pty, real WebSocket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StringDecoder } from 'node:string_decoder';
import { WebSocket } from 'ws';
import { TerminalOpcode } from '@nslab/protocol';
import { cgroupHost, configureSandboxLimits, destroyLab, findSandbox } from '@nslab/driver';
import { buildApp, type NslabApp } from '../src/app.ts';
import { AUTH, TOKEN } from './helpers.ts';

const LAB_YAML = (name: string) => `name: ${name}\nnodes:\n  ns1: {}\n`;

class Term {
  text = '';
  private decoder = new StringDecoder('utf8');
  constructor(readonly ws: WebSocket) {
    ws.on('message', (d: Buffer) => {
      if (d[0] === TerminalOpcode.OUTPUT) this.text += this.decoder.write(d.subarray(1));
    });
  }
  type(s: string): void {
    this.ws.send(Buffer.concat([Buffer.from([TerminalOpcode.INPUT]), Buffer.from(s)]));
  }
  async waitFor(re: RegExp, timeoutMs = 8000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!re.test(this.text)) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${re}; screen tail: ${JSON.stringify(this.text.slice(-400))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

describe('limits reached', () => {
  let s: NslabApp;
  let base = '';
  const notices: string[] = [];

  beforeAll(async () => {
    configureSandboxLimits({ processes: 48 });
    s = await buildApp({ token: TOKEN, onNotice: (l) => notices.push(l) });
    base = (await s.app.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws');
    for (const name of ['lim-a', 'lim-b']) {
      const r = await s.app.inject({ method: 'POST', url: '/api/v1/labs', headers: { ...AUTH, 'content-type': 'application/json' }, payload: { yaml: LAB_YAML(name) } });
      expect(r.statusCode, r.body).toBe(201);
    }
  });

  afterAll(async () => {
    await s?.app.close();
    for (const name of ['lim-a', 'lim-b']) if (findSandbox(name)) await destroyLab(name);
    configureSandboxLimits({});
  });

  async function open(lab: string): Promise<Term> {
    const ws = new WebSocket(`${base}/api/v1/labs/${lab}/nodes/ns1/terminal`, { headers: { authorization: `Bearer ${TOKEN}` } });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const t = new Term(ws);
    ws.send(Buffer.concat([Buffer.from([TerminalOpcode.RESIZE]), Buffer.from(JSON.stringify({ columns: 100, rows: 30 }))]));
    await t.waitFor(/root@ns1/);
    return t;
  }

  it('says in the lab\'s terminal and in the server log that the process limit was reached; the other lab hears nothing', async () => {
    if (!cgroupHost().bases.pids) return expect(cgroupHost().missing.pids).toBeTruthy();
    const a = await open('lim-a');
    const b = await open('lim-b');
    // Bounded: at most 100 forks, held 4 s, then ended.
    a.type(`perl -e 'my @k; for (1..100) { my $p = fork; last unless defined $p; if (!$p) { sleep 30; exit } push @k, $p } print "HELD ", scalar(@k), "\\n"; sleep 4; kill 9, @k; 1 while wait != -1'\r`);
    await a.waitFor(/\[nslab\] lab lim-a reached its limit of 48 processes/);
    expect(notices.join('')).toContain('lab lim-a reached its limit of 48 processes');
    await a.waitFor(/HELD \d+/);
    // Lab B still echoes, and was told nothing.
    b.type('echo B-$((20+22))\r');
    await b.waitFor(/B-42/);
    expect(b.text).not.toContain('[nslab]');
    a.ws.close(1000);
    b.ws.close(1000);
  });
});
