// `pnpm bench:class`: a simulated class on this machine. Must run as root.
// One `nslab serve --classroom` in its own process (the bundle `pnpm start` runs), on a temporary
// database holding an instructor, a class and BENCH_CLASS_SIZES' largest number of students, and an
// assignment of the guided lab `routing` (3 namespaces: ns1 - router - ns2). Each student, over
// HTTP and WebSockets with their own session (Bearer):
//   - starts their copy from the assignment (one click), gives ns1 and the router an address;
//   - keeps the lab's events socket open (bench/wsclient.ts LabClient);
//   - keeps a terminal open in ns1 running `ping -i 1 10.1.1.1` (a line a second into the terminal)
//     and types one key a second into it (the tty echoes it: echo latency);
//   - runs a guide check every 30 s (staggered over the class).
// The instructor's live grid socket is open. The class grows through BENCH_CLASS_SIZES (students
// already there stay active); after each size has run BENCH_CLASS_SECONDS, measured:
//   - kernel change -> patch: the bench changes ns2's eth0 MTU in a student's lab (execInLab, in the
//     sandbox, never the API), round robin, one every BENCH_CLASS_PATCH_GAP_MS, until that student's
//     events socket has parsed the patch carrying it. Timed from the kernel's change itself: an
//     `ip -ts monitor link` in each lab's ns2 stamps the netlink event when it is sent (the exec that
//     makes the change, a process through the sandbox's nsenter chain, is timed apart and not counted);
//   - terminal echo: a key sent -> its echo parsed;
//   - grid: a student's check sent -> the instructor's live grid has the student's new row (and the
//     check's own answer time, for where the time goes);
//   - the server's VmRSS and CPU (utime + stime, a share of one core), the pty host's CPU, and the
//     whole machine's busy share.
// Growing stops at the first size that breaks a goal: patch p95 <= 100 ms, echo p99 <= 50 ms, grid
// update p95 <= 1 s. Markdown on stdout, progress on stderr.
// Knobs: BENCH_CLASS_SIZES=10,30,60 BENCH_CLASS_SECONDS=60 BENCH_CLASS_PATCH_GAP_MS=200
// BENCH_CLASS_BUNDLE=1 (0: the server from source through tsx) BENCH_CLASS_ALL=0 (1: every size)
// BENCH_CLASS_PROF=DIR (the server's CPU profile, `node --cpu-prof`, written there when it stops).
//
// Kept apart like the other benches (harness.ts isolateBench: /run/nslab-bench-class, a temporary
// data dir with the database, its own uid range). Every lab it made is destroyed through the API as
// its student, leftovers in its own state dir by the driver; the database (every account) goes with
// the temporary data dir.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';

import { destroyLab, execInLab, getSandbox, listLabs, spawnLines, type StreamHandle } from '../packages/driver/src/index.ts';
import { TerminalOpcode } from '../packages/protocol/src/index.ts';
import { Classroom } from '../apps/server/src/classroom/classroom.ts';
import { buildServer } from '../scripts/build-server.ts';
import { isolateBench, numEnv, serverArgv, stopServerProcess, type ServerRuntime } from './harness.ts';
import { cpuBusy, cpuSeconds, procMemory } from './machine.ts';
import { fmtBytes, fmtMs, percentile, table } from './stats.ts';
import { LabClient } from './wsclient.ts';

const DATA_DIR = isolateBench('class');
const SIZES = (process.env.BENCH_CLASS_SIZES ?? '10,30,60').split(',').map((x) => {
  const n = Number(x.trim());
  if (!Number.isInteger(n) || n < 1 || n > 500) throw new Error('BENCH_CLASS_SIZES: whole numbers 1..500, ascending');
  return n;
});
const SECONDS = numEnv('BENCH_CLASS_SECONDS', 60, 10, 3600);
const PATCH_GAP_MS = numEnv('BENCH_CLASS_PATCH_GAP_MS', 200, 20, 10_000, true);
const BUNDLE = process.env.BENCH_CLASS_BUNDLE !== '0';
/** BENCH_CLASS_PROF=DIR: the server runs with `node --cpu-prof` and writes its profile there on exit. */
const PROF_DIR = process.env.BENCH_CLASS_PROF;
/** BENCH_CLASS_ALL=1: every size is run even after a goal broke (to see where each one breaks). */
const ALL = process.env.BENCH_CLASS_ALL === '1';
const CHECK_EVERY_MS = 30_000;
const GOALS = { patchP95: 100, echoP99: 50, gridP95: 1000 };
/** Keys typed: none of them appears in ping's output, so an echo is never mistaken. */
const KEYS = 'KJQWVXZ';

const T0 = performance.now();
const log = (s: string) => process.stderr.write(`[${((performance.now() - T0) / 1000).toFixed(1).padStart(6)} s] ${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let origin = '';
let server: ChildProcess | null = null;
let measuring = false;
let stopping = false;

/** A terminal over the ttyd-style protocol: output kept short, waiters on new output. */
class Terminal {
  text = '';
  private waiters: { test: (s: string) => boolean; resolve: () => void }[] = [];
  constructor(readonly ws: WebSocket) {
    ws.on('message', (d: Buffer) => {
      // The server's refusal or the shell's end: kept in the text, so a wait that fails says why.
      if (d[0] === TerminalOpcode.EXIT) this.text += `[exit ${d.subarray(1).toString('utf8')}]`;
      if (d[0] !== TerminalOpcode.OUTPUT) return;
      const s = d.subarray(1).toString('utf8');
      this.text = (this.text + s).slice(-4000);
      for (const w of [...this.waiters]) {
        if (w.test(s)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    });
  }
  static async open(lab: string, node: string, session: string): Promise<Terminal> {
    const ws = new WebSocket(`${origin.replace(/^http/, 'ws')}/api/v1/labs/${lab}/nodes/${node}/terminal`, { headers: { authorization: `Bearer ${session}` }, perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const t = new Terminal(ws);
    t.send(TerminalOpcode.RESIZE, JSON.stringify({ columns: 120, rows: 30 }));
    return t;
  }
  send(op: number, s: string): void {
    this.ws.send(Buffer.concat([Buffer.from([op]), Buffer.from(s)]));
  }
  next(test: (s: string) => boolean, timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const w = { test, resolve: () => (clearTimeout(t), resolve()) };
      const t = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`no such output in ${timeoutMs} ms; tail ${JSON.stringify(this.text.slice(-200))}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }
  async waitText(re: RegExp, timeoutMs = 10_000): Promise<void> {
    const end = performance.now() + timeoutMs;
    while (!re.test(this.text)) {
      if (performance.now() > end) throw new Error(`timed out waiting for ${re}; tail ${JSON.stringify(this.text.slice(-200))}`);
      await sleep(20);
    }
  }
}

/**
 * `ip -ts -o monitor link` in a lab's ns2: when the kernel announced each MTU (wall-clock ms, from
 * ip's own stamp, taken as it reads the event). The server's monitor gets the same event at the same
 * moment, so this is where a patch's latency starts.
 */
class MtuMonitor {
  private seen = new Map<number, number>();
  private waiters: { mtu: number; resolve: (ts: number) => void }[] = [];
  private readonly handle: StreamHandle;
  constructor(lab: string) {
    const sb = getSandbox(lab);
    this.handle = spawnLines(sb.enterNetns('ns2', ['ip', '-ts', '-o', 'monitor', 'link']), (line) => {
      // [2026-12-07T22:11:28.332469] 5: eth0@if4: <...> mtu 1400 qdisc ...  (local time, microseconds)
      const m = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)\] \d+: eth0@\S+ .* mtu (\d+) /.exec(line);
      if (!m) return;
      const ts = Date.parse(m[1]!) + Number(m[2]) * 1000;
      const mtu = Number(m[3]);
      this.seen.set(mtu, ts);
      for (const w of [...this.waiters]) {
        if (w.mtu === mtu) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(ts);
        }
      }
    });
  }
  /** Forget earlier announcements of `mtu` (each value comes round again). */
  forget(mtu: number): void {
    this.seen.delete(mtu);
  }
  /** When the kernel announced `mtu` (since the last forget), waiting up to `timeoutMs`. */
  stamp(mtu: number, timeoutMs = 5000): Promise<number> {
    const ts = this.seen.get(mtu);
    if (ts !== undefined) return Promise.resolve(ts);
    return new Promise((resolve, reject) => {
      const w = { mtu, resolve: (x: number) => (clearTimeout(t), resolve(x)) };
      const t = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`ip monitor in ns2 reported no mtu ${mtu} in ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }
  close(): void {
    this.handle.kill();
  }
}

interface Student {
  k: number;
  id: number;
  session: string;
  lab: string;
  events: LabClient;
  term: Terminal;
  mtu: MtuMonitor;
  keys: number;
}

interface Samples {
  /** the kernel's announcement of the change (ip -ts monitor) -> the patch parsed */
  patch: number[];
  /** the bench's exec that makes the change (spawn, nsenter chain, ip): not part of `patch` */
  exec: number[];
  echo: number[];
  /** check sent -> the instructor's grid has the new row */
  grid: number[];
  /** check sent -> its answer */
  check: number[];
  errors: string[];
}
let samples: Samples = { patch: [], exec: [], echo: [], grid: [], check: [], errors: [] };

async function api(session: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: { [k: string]: unknown } }> {
  const r = await fetch(`${origin}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${session}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await r.text();
  return { status: r.status, json: text ? (JSON.parse(text) as { [k: string]: unknown }) : {} };
}

/** The instructor's live grid: every row pushed, by student, with when it was parsed. */
class LiveGrid {
  private waiters: { userId: number; resolve: (at: number) => void }[] = [];
  constructor(readonly ws: WebSocket) {
    ws.on('message', (d: Buffer) => {
      const m = JSON.parse(d.toString()) as { type: string; row?: { userId: number } };
      const at = performance.now();
      if (m.type !== 'row' || !m.row) return;
      for (const w of [...this.waiters]) {
        if (w.userId === m.row.userId) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(at);
        }
      }
    });
  }
  nextRow(userId: number, timeoutMs = 60_000): Promise<number> {
    return new Promise((resolve, reject) => {
      const w = { userId, resolve: (at: number) => (clearTimeout(t), resolve(at)) };
      const t = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`no grid row for user ${userId} in ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }
}

async function startServer(db: string, config: string): Promise<number> {
  const rt: ServerRuntime = { ...(BUNDLE ? { bundle: await buildServer() } : {}), ...(PROF_DIR ? { nodeFlags: ['--cpu-prof', '--cpu-prof-dir', PROF_DIR] } : {}) };
  const argv = [...serverArgv(rt), '--classroom', '--database', db];
  log(`server: node ${argv.join(' ')}`);
  const proc = spawn(process.execPath, argv, { env: { ...process.env, NSLAB_CONFIG: config }, stdio: ['ignore', 'pipe', 'pipe'] });
  server = proc;
  let err = '';
  proc.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  origin = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`nslab serve --classroom printed no URL in 60 s: ${err}`)), 60_000);
    proc.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    proc.once('exit', (code) => reject(new Error(`nslab serve exited (${code}): ${err}`)));
  });
  return proc.pid!;
}

/** The bench's own pty host (its socket is in the bench's state dir). */
function ptyHostPid(): number | null {
  const sock = join(process.env.NSLAB_STATE_DIR!, 'pty-host.sock');
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').includes(sock)) return Number(e);
    } catch {
      /* gone */
    }
  }
  return null;
}

async function join1(k: number, id: number, session: string, assignment: number): Promise<Student> {
  const start = await api(session, 'POST', `/assignments/${assignment}/start`, {});
  if (start.status !== 201) throw new Error(`student ${k}: start: ${start.status} ${JSON.stringify(start.json)}`);
  const lab = start.json.name as string;
  for (const [node, iface, address] of [['router', 'eth1', '10.1.1.1/24'], ['ns1', 'eth0', '10.1.1.10/24']] as const) {
    const r = await api(session, 'POST', `/labs/${lab}/nodes/${node}/interfaces/${iface}/addresses`, { address });
    if (r.status !== 201) throw new Error(`student ${k}: address on ${node}: ${r.status} ${JSON.stringify(r.json)}`);
  }
  const events = await LabClient.connect(origin, lab, session);
  const term = await Terminal.open(lab, 'ns1', session);
  await term.waitText(/# $/);
  term.send(TerminalOpcode.INPUT, 'ping -i 1 10.1.1.1\r');
  await term.waitText(/icmp_seq=1 /);
  return { k, id, session, lab, events, term, mtu: new MtuMonitor(lab), keys: 0 };
}

/** One key a second into the student's terminal (ping in the foreground: the tty echoes it). */
async function typist(s: Student): Promise<void> {
  await sleep(Math.random() * 1000);
  while (!stopping) {
    if (s.keys % 30 === 29) {
      s.term.send(TerminalOpcode.INPUT, '\x15'); // Ctrl-U: the line discipline drops the typed line
      await sleep(100);
    }
    const ch = KEYS[s.keys++ % KEYS.length]!;
    const echoed = s.term.next((out) => out.includes(ch), 30_000);
    const t0 = performance.now();
    s.term.send(TerminalOpcode.INPUT, ch);
    try {
      await echoed;
      if (measuring) samples.echo.push(performance.now() - t0);
    } catch (e) {
      if (measuring && !stopping) samples.errors.push(`echo: ${(e as Error).message}`);
    }
    await sleep(800 + Math.random() * 400);
  }
}

/** A guide check every 30 s, the first at `offsetMs`. */
async function checker(s: Student, grid: LiveGrid, offsetMs: number): Promise<void> {
  await sleep(offsetMs);
  while (!stopping) {
    const next = performance.now() + CHECK_EVERY_MS;
    const row = grid.nextRow(s.id);
    // Awaited below once the check has answered; a timeout meanwhile must not go unhandled.
    row.catch(() => {});
    const t0 = performance.now();
    try {
      const r = await api(s.session, 'POST', `/labs/${s.lab}/guide/check`, {});
      const answered = performance.now();
      if (r.status !== 200) throw new Error(`check: ${r.status} ${JSON.stringify(r.json)}`);
      const at = await row;
      if (measuring) {
        samples.check.push(answered - t0);
        samples.grid.push(at - t0);
      }
    } catch (e) {
      if (measuring && !stopping) samples.errors.push(`check: ${(e as Error).message}`);
    }
    while (!stopping && performance.now() < next) await sleep(Math.min(500, next - performance.now()));
  }
}

/** Kernel changes in the students' labs, round robin, one at a time. */
async function patcher(students: () => Student[]): Promise<void> {
  let i = 0;
  while (!stopping) {
    const all = students();
    const s = all[i % all.length]!;
    const mtu = 1300 + (i % 150);
    i++;
    const got = s.events.next((m) => m.type === 'patch' && m.upsertNodes.some((n) => n.name === 'ns2' && n.interfaces.some((x) => x.name === 'eth0' && x.mtu === mtu)), 30_000);
    s.mtu.forget(mtu);
    const t0 = performance.now();
    try {
      const r = await execInLab(s.lab, 'ns2', ['ip', 'link', 'set', 'dev', 'eth0', 'mtu', String(mtu)]);
      const execMs = performance.now() - t0;
      if (r.code !== 0) throw new Error(`ip link set mtu: ${r.stderr.trim()}`);
      const p = await got;
      const changedAt = await s.mtu.stamp(mtu);
      if (measuring) {
        // Both on the wall clock: the patch's parse time, the kernel's announcement.
        samples.patch.push(performance.timeOrigin + p.at - changedAt);
        samples.exec.push(execMs);
      }
    } catch (e) {
      got.catch(() => {});
      if (measuring && !stopping) samples.errors.push(`patch: ${(e as Error).message}`);
    }
    await sleep(PATCH_GAP_MS);
  }
}

interface Round {
  n: number;
  joinMs: number;
  s: Samples;
  rss: number;
  hwm: number;
  serverCpu: number;
  ptyCpu: number;
  busy: number;
  load: string;
}

function verdict(r: Round): { patch: boolean; echo: boolean; grid: boolean } {
  return {
    patch: percentile(r.s.patch, 95) <= GOALS.patchP95,
    echo: percentile(r.s.echo, 99) <= GOALS.echoP99,
    grid: percentile(r.s.grid, 95) <= GOALS.gridP95,
  };
}

const students: Student[] = [];
let instructorGrid: WebSocket | null = null;

async function cleanup(): Promise<void> {
  stopping = true;
  for (const s of students) {
    s.events.close();
    s.term.ws.close(1000);
    s.mtu.close();
  }
  instructorGrid?.terminate();
  await sleep(500);
  for (const s of students) {
    const r = await api(s.session, 'DELETE', `/labs/${s.lab}`).catch((e: Error) => ({ status: 0, json: { message: e.message } }));
    if (r.status !== 200) log(`destroy ${s.lab}: ${r.status} ${JSON.stringify(r.json)}`);
  }
  const pty = ptyHostPid();
  await stopServerProcess(server);
  // Whatever is left in the bench's own state dir is the bench's.
  for (const sb of listLabs()) {
    log(`destroying leftover ${sb.name}`);
    await destroyLab(sb.name).catch((e: Error) => log(`could not destroy ${sb.name}: ${e.message}`));
  }
  if (pty && ptyHostPid() === pty) process.kill(pty, 'SIGKILL');
  rmSync(DATA_DIR, { recursive: true, force: true });
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('pnpm bench:class must run as root (it creates network namespaces)');
  const max = Math.max(...SIZES);
  const db = join(DATA_DIR, 'classroom.db');
  const config = join(DATA_DIR, 'config.yaml');
  // Room for the class: the server's lab cap, and checks and edits well under the change rate.
  writeFileSync(config, `limits:\n  labs: ${max + 10}\nclassroom:\n  signInPerMinute: 100000\n`);
  const classroom = Classroom.open({ database: db });
  const password = 'bench password 1234';
  const instructor = (await classroom.accounts.create({ username: 'bench-teacher', role: 'instructor', password })).user;
  const cls = classroom.classes.create('Bench class', instructor);
  const people: { id: number; session: string }[] = [];
  for (let k = 1; k <= max; k++) {
    const u = (await classroom.accounts.create({ username: `bench-s${k}`, role: 'student', password })).user;
    classroom.classes.addStudent(cls.id, u.id);
    people.push({ id: u.id, session: classroom.sessions.create(u.id) });
  }
  const now = Date.now();
  const assignment = classroom.assignments.create(cls.id, 'routing', new Date(now - 60_000).toISOString(), new Date(now + 24 * 3600_000).toISOString(), instructor);
  const teacherSession = classroom.sessions.create(instructor.id);
  classroom.close();
  log(`database: 1 instructor, ${max} students, class ${cls.id}, assignment ${assignment.id} (routing)`);

  const pid = await startServer(db, config);
  log(`server pid ${pid} at ${origin}`);
  instructorGrid = new WebSocket(`${origin.replace(/^http/, 'ws')}/api/v1/classes/${cls.id}/assignments/${assignment.id}/live`, { headers: { authorization: `Bearer ${teacherSession}` }, perMessageDeflate: false });
  const grid = new LiveGrid(instructorGrid);
  await new Promise<void>((resolve, reject) => {
    instructorGrid!.once('open', () => resolve());
    instructorGrid!.once('error', reject);
  });

  const rounds: Round[] = [];
  let patching: Promise<void> | null = null;
  const loops: Promise<void>[] = [];
  for (const n of SIZES) {
    const t = performance.now();
    // Joining a few at a time, as a class arriving does.
    for (let k = students.length; k < n; k += 5) {
      const batch = await Promise.all(people.slice(k, Math.min(n, k + 5)).map((p, j) => join1(k + j + 1, p.id, p.session, assignment.id)));
      students.push(...batch);
      log(`N=${n}: ${students.length} students in`);
    }
    const joinMs = performance.now() - t;
    for (const s of students.slice(loops.length / 2)) {
      loops.push(typist(s), checker(s, grid, Math.random() * CHECK_EVERY_MS));
    }
    patching ??= patcher(() => students);
    // Let the new students' first checks and keys settle in, then measure.
    await sleep(5000);
    samples = { patch: [], exec: [], echo: [], grid: [], check: [], errors: [] };
    const cpu0 = cpuSeconds(pid)!;
    const pty = ptyHostPid();
    const pty0 = pty ? cpuSeconds(pty) ?? 0 : 0;
    const w0 = performance.now();
    measuring = true;
    const busy = await cpuBusy(SECONDS * 1000);
    measuring = false;
    const wall = (performance.now() - w0) / 1000;
    const mem = procMemory(pid)!;
    const r: Round = {
      n,
      joinMs,
      s: samples,
      rss: mem.rss,
      hwm: mem.hwm,
      serverCpu: ((cpuSeconds(pid) ?? cpu0) - cpu0) / wall,
      ptyCpu: pty ? ((cpuSeconds(pty) ?? pty0) - pty0) / wall : NaN,
      busy,
      load: loadavg().map((x) => x.toFixed(2)).join(' '),
    };
    rounds.push(r);
    const v = verdict(r);
    log(
      `N=${n}: patch p95 ${fmtMs(percentile(r.s.patch, 95))} ms (${r.s.patch.length}), echo p99 ${fmtMs(percentile(r.s.echo, 99))} ms (${r.s.echo.length}), ` +
        `grid p95 ${fmtMs(percentile(r.s.grid, 95))} ms (${r.s.grid.length}), RSS ${fmtBytes(r.rss)}, server CPU ${(r.serverCpu * 100).toFixed(0)}%, errors ${r.s.errors.length}`,
    );
    if ((!v.patch || !v.echo || !v.grid) && !ALL) {
      log(`N=${n}: a goal broke; not growing the class further (BENCH_CLASS_ALL=1 goes on)`);
      break;
    }
  }
  stopping = true;

  const out: string[] = [];
  out.push('## Classroom: a simulated class (`pnpm bench:class`)', '');
  out.push(
    `- CPU: ${cpus()[0]?.model ?? '?'}, ${cpus().length} cores; Node ${process.version}; server: ${BUNDLE ? '`node dist/nslab.mjs serve --classroom` (the bundle)' : '`nslab serve --classroom` from source (tsx)'}`,
    `- each student: the guided lab \`routing\` (3 namespaces) started from an assignment, its events socket, a terminal in ns1 running \`ping -i 1\` and a key typed a second, a guide check every 30 s; the instructor's live grid open`,
    `- ${SECONDS} s measured per class size, after the class had joined; a kernel change in one student's lab every ${PATCH_GAP_MS} ms (round robin)`,
    '',
  );
  const ok = (b: boolean) => (b ? 'met' : '**missed**');
  out.push(
    table(
      ['students', 'patch p50 / p95 (≤ 100)', 'bench exec p50 / p95 (not counted)', 'echo p50 / p99 (≤ 50)', 'grid update p50 / p95 (≤ 1000)', 'check answer p50 / p95', 'server VmRSS (peak)', 'server CPU (one core)', 'pty host CPU', 'machine busy', 'samples patch / echo / grid', 'errors', 'joining took'],
      rounds.map((r) => {
        const v = verdict(r);
        return [
          String(r.n),
          `${fmtMs(percentile(r.s.patch, 50))} / ${fmtMs(percentile(r.s.patch, 95))} ${ok(v.patch)}`,
          `${fmtMs(percentile(r.s.exec, 50))} / ${fmtMs(percentile(r.s.exec, 95))}`,
          `${fmtMs(percentile(r.s.echo, 50))} / ${fmtMs(percentile(r.s.echo, 99))} ${ok(v.echo)}`,
          `${fmtMs(percentile(r.s.grid, 50))} / ${fmtMs(percentile(r.s.grid, 95))} ${ok(v.grid)}`,
          `${fmtMs(percentile(r.s.check, 50))} / ${fmtMs(percentile(r.s.check, 95))}`,
          `${fmtBytes(r.rss)} (${fmtBytes(r.hwm)})`,
          `${(r.serverCpu * 100).toFixed(0)}%`,
          Number.isFinite(r.ptyCpu) ? `${(r.ptyCpu * 100).toFixed(0)}%` : 'n/a',
          `${(r.busy * 100).toFixed(0)}% (load ${r.load})`,
          `${r.s.patch.length} / ${r.s.echo.length} / ${r.s.grid.length}`,
          String(r.s.errors.length),
          `${(r.joinMs / 1000).toFixed(0)} s`,
        ];
      }),
    ),
    '',
  );
  for (const r of rounds) if (r.s.errors.length) out.push(`- ${r.n} students, first errors: ${r.s.errors.slice(0, 3).map((e) => `\`${e.slice(0, 160)}\``).join('; ')}`);
  out.push(`Times in ms. Bench wall time ${((performance.now() - T0) / 1000).toFixed(0)} s.`);
  process.stdout.write(out.join('\n') + '\n');
  await Promise.race([Promise.all([...loops, patching]), sleep(CHECK_EVERY_MS + 5000)]);
}

// Whatever goes wrong, the server and the labs do not outlive the bench.
process.on('unhandledRejection', (e) => {
  log(`bench failed: ${(e as Error)?.stack ?? e}`);
  void cleanup().finally(() => process.exit(1));
});
process.on('SIGINT', () => {
  void cleanup().finally(() => process.exit(130));
});

try {
  await main();
  await cleanup();
} catch (e) {
  log(`bench failed: ${(e as Error).stack ?? e}`);
  await cleanup();
  process.exit(1);
}
