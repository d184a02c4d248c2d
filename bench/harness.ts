// What every bench shares: its own corner of the machine (state dir, data dir, uid range, so its
// labs and pty host never meet a real server's or another bench's), numeric knobs from the
// environment, and `nslab serve` as a separate process.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..');

/**
 * Uid bases, one per bench, 100M apart: a lab's range is base + slot * 65536, so each bench can
 * have ~1500 labs before it reaches the next bench's uids. One table, so no two benches share one.
 */
export const BENCH_UID_BASE = { terminal: 1_700_000_000, server: 2_000_000_000, class: 2_500_000_000, capture: 3_000_000_000, trace: 3_300_000_000, counters: 3_600_000_000 } as const;

/**
 * Point the driver (it reads these at call time) and every server this bench starts (they inherit
 * them) at the bench's own state dir, a fresh data dir and uid range. Returns the data dir.
 */
export function isolateBench(name: keyof typeof BENCH_UID_BASE): string {
  process.env.NSLAB_STATE_DIR = `/run/nslab-bench-${name}`;
  process.env.NSLAB_DATA_DIR = mkdtempSync(join(tmpdir(), `nslab-bench-${name}-data-`));
  process.env.NSLAB_UID_BASE = String(BENCH_UID_BASE[name]);
  return process.env.NSLAB_DATA_DIR;
}

/** A numeric knob: `name` from the environment, else `dflt`; out of [lo, hi] is an error naming it. */
export function numEnv(name: string, dflt: number, lo: number, hi: number, integer = false): number {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const x = Number(v);
  if (!Number.isFinite(x) || x < lo || x > hi || (integer && !Number.isInteger(x))) {
    throw new Error(`${name} must be ${integer ? 'an integer' : 'a number'} ${lo}..${hi}`);
  }
  return x;
}

export function benchToken(): string {
  return `bench-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
}

/** How to run the server: from source through tsx, or a bundle (`dist/nslab.mjs`), with extra node flags. */
export interface ServerRuntime {
  bundle?: string;
  nodeFlags?: string[];
}

/** The node flags of `pnpm start` (package.json): a bundle is measured the way it is run. */
export function startNodeFlags(): string[] {
  const start = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start.split(' ');
  return start.slice(1, start.findIndex((w) => w.endsWith('.mjs')));
}

export function serverArgv(rt: ServerRuntime = {}): string[] {
  const main = rt.bundle ? [...startNodeFlags(), rt.bundle] : ['--import', 'tsx', join(ROOT, 'apps/cli/src/main.ts')];
  return [...(rt.nodeFlags ?? []), ...main, 'serve', '--host', '127.0.0.1', '--port', '0'];
}

export interface ServerProcess {
  proc: ChildProcess;
  pid: number;
  origin: string;
}

/** Start `nslab serve` on a free loopback port and wait for the URL it prints. */
export async function startServerProcess(token: string, rt: ServerRuntime = {}): Promise<ServerProcess> {
  const proc = spawn(process.execPath, serverArgv(rt), { cwd: ROOT, env: { ...process.env, NSLAB_TOKEN: token }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const origin = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`nslab serve printed no URL in 60 s: ${err}`)), 60_000);
    proc.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /(http:\/\/[^/\s]+)\/\?token=/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    proc.once('exit', (code) => reject(new Error(`nslab serve exited (${code}): ${err}`)));
  });
  return { proc, pid: proc.pid!, origin };
}

/** SIGTERM, then SIGKILL after 10 s; resolves once it has exited. */
export async function stopServerProcess(proc: ChildProcess | null | undefined): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(t);
}
