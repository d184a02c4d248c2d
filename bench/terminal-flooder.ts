// The hostile client of `pnpm bench:terminal`'s input flood, in a process of its own so that its
// masking of megabytes per second does not slow the event loop that times the other lab's echo.
//
//   tsx bench/terminal-flooder.ts <terminal ws url> <token> <bytes kept queued> [zero-mask]
//
// With `zero-mask` its frames carry an all-zero masking key, which ws neither applies nor (on the
// server) undoes: the cheapest flood a script can send. A browser masks with random keys.
// Opens a terminal, runs `stty raw -echo; sleep 600` (a program that reads nothing), prints
// "flooding", then keeps <bytes> of 32 KiB input frames queued on its socket until SIGTERM. Every
// 100 ms it prints "taken N": the bytes of input the server has read from its socket so far.
import { readFileSync } from 'node:fs';
import { WebSocket } from 'ws';
import { TerminalOpcode } from '../packages/protocol/src/index.ts';

const [url, token, queued, maskMode] = process.argv.slice(2);
if (!url || !token || !queued) throw new Error('usage: terminal-flooder <url> <token> <bytes>');
const keep = Number(queued);
const frame = (op: number, body: string | Buffer) => Buffer.concat([Buffer.from([op]), Buffer.isBuffer(body) ? body : Buffer.from(body)]);
const chunk = frame(TerminalOpcode.INPUT, Buffer.alloc(32 * 1024, 'x'));

const ws = new WebSocket(url, {
  headers: { authorization: `Bearer ${token}` },
  ...(maskMode === 'zero-mask' ? { generateMask: (mask: Buffer) => void mask.fill(0) } : {}),
});
let text = '';
let sent = 0;
let flooding = false;
ws.on('message', (d: Buffer) => {
  if (d[0] === TerminalOpcode.OUTPUT) text = (text + d.subarray(1).toString()).slice(-2000);
});
ws.on('open', () => ws.send(frame(TerminalOpcode.RESIZE, JSON.stringify({ columns: 80, rows: 24 }))));
ws.on('close', () => {
  if (!flooding) process.stderr.write(`terminal closed before the flood: ${JSON.stringify(text.slice(-300))}\n`);
  process.stdout.write(`sent ${sent}\n`);
  process.exit(flooding ? 0 : 1);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Bytes in the kernel's send queue of our TCP socket plus the server's receive queue (same host: /proc/net/tcp). */
function socketQueued(): number {
  const sock = (ws as unknown as { _socket?: { localPort?: number; remotePort?: number } })._socket;
  if (!sock?.localPort) return 0;
  let n = 0;
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5) continue;
    const [local, remote] = [f[1]!, f[2]!].map((a) => parseInt(a.split(':')[1]!, 16));
    const [tx, rx] = f[4]!.split(':').map((h) => parseInt(h, 16));
    // Our end's send queue, and the server's end (local = its port) receive queue.
    if (local === sock.localPort && remote === sock.remotePort) n += tx!;
    if (local === sock.remotePort && remote === sock.localPort) n += rx!;
  }
  return n;
}
async function flood(): Promise<void> {
  while (!/# $/.test(text)) await sleep(10);
  ws.send(frame(TerminalOpcode.INPUT, 'stty raw -echo; sleep 600\r'));
  await sleep(500);
  flooding = true;
  process.stdout.write('flooding\n');
  // What left our socket buffer into the kernel's, less the little the kernel holds: what the server read.
  setInterval(() => process.stdout.write(`taken ${sent - ws.bufferedAmount - socketQueued()}\n`), 100);
  for (;;) {
    while (ws.bufferedAmount < keep) {
      ws.send(chunk);
      sent += chunk.length;
    }
    await sleep(2);
  }
}
process.once('SIGTERM', () => {
  process.stdout.write(`sent ${sent}\n`);
  process.exit(0);
});
void flood();
