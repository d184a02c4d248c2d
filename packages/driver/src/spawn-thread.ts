// run()'s processes started from a thread of their own (the server turns it on). Starting a
// process blocks the starting thread until the child has exec'd: fork copies the parent's page
// tables, then the child must get a CPU. For a 120-160 MB server that is 7-15 ms on a quiet
// 2-core machine and tens of ms on a busy one; the server's CPU profile under `pnpm bench:class`
// spent a quarter of its wall time inside ChildProcess.spawn, time in which no terminal echo, patch
// or grid row went out. From a spawner thread only that thread waits.
import { spawn } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { collect, setRunner, type CollectOptions, type RunResult } from './run.ts';

interface Pending {
  resolve: (r: RunResult) => void;
  reject: (e: Error) => void;
}

type Reply = { id: number; result: RunResult } | { id: number; error: { message: string; code?: string; errno?: number; syscall?: string; path?: string } } | { ready: true };

/**
 * The thread's whole program: `collect` itself (from its source text, so both threads start
 * processes alike) behind a message port. `__name`: what esbuild's keepNames wraps functions in.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { spawn } = require('node:child_process');
const __name = (f) => f;
const collect = (${collect.toString()});
parentPort.on('message', ({ id, argv, opts }) => {
  collect(spawn, argv, opts).then(
    (result) => parentPort.postMessage({ id, result }),
    (e) => parentPort.postMessage({ id, error: { message: String(e && e.message), code: e && e.code, errno: e && e.errno, syscall: e && e.syscall, path: e && e.path } }),
  );
});
parentPort.postMessage({ ready: true });
`;

interface Thread {
  w: Worker;
  /** The thread got going: a run sent to it may have started. */
  ready: boolean;
  seq: number;
  pending: Map<number, Pending & { argv: readonly string[]; o: CollectOptions }>;
  /** Ended by stopRunOffThread: ends once its last run has answered. */
  stopping: boolean;
}

let thread: Thread | null = null;

/**
 * From now on run() starts its processes from the spawner thread. Should the thread fail to start,
 * run() goes on starting them itself; should it die, the runs it held fail and later ones are
 * started here again.
 */
export function runOffThread(): void {
  if (thread) return;
  const t: Thread = { w: new Worker(WORKER_SOURCE, { eval: true, name: 'nslab-spawner' }), ready: false, seq: 0, pending: new Map(), stopping: false };
  thread = t;
  // Holds the process open only while a run is under way (as a child process would).
  t.w.unref();
  t.w.on('message', (m: Reply) => {
    if ('ready' in m) {
      t.ready = true;
      return;
    }
    const p = t.pending.get(m.id);
    if (!p) return;
    t.pending.delete(m.id);
    if (t.pending.size === 0) {
      t.w.unref();
      if (t.stopping) void t.w.terminate();
    }
    if ('result' in m) p.resolve(m.result);
    else p.reject(Object.assign(new Error(m.error.message), m.error));
  });
  const gone = (why: string) => {
    if (thread === t) {
      thread = null;
      setRunner(null);
    }
    for (const [id, p] of t.pending) {
      t.pending.delete(id);
      // Never started (the thread did not get going): start it here. Started: it may have run, so
      // it is not run twice.
      if (!t.ready) collect(spawn, p.argv, p.o).then(p.resolve, p.reject);
      else p.reject(new Error(`${p.argv.join(' ')}: the spawner thread ended (${why}) while it ran`));
    }
  };
  t.w.on('error', (e) => gone(e.message));
  t.w.on('exit', (code) => gone(`exit ${code}`));
  setRunner((argv, o) => {
    const id = ++t.seq;
    return new Promise<RunResult>((resolve, reject) => {
      t.pending.set(id, { resolve, reject, argv, o });
      if (t.pending.size === 1) t.w.ref();
      t.w.postMessage({ id, argv: [...argv], opts: o });
    });
  });
}

/** Back to starting processes on the calling thread; the spawner thread ends once its runs have answered. */
export function stopRunOffThread(): void {
  const t = thread;
  if (!t) return;
  thread = null;
  setRunner(null);
  t.stopping = true;
  if (t.pending.size === 0) void t.w.terminate();
}

/** Whether run() starts its processes from the spawner thread now (tests). */
export function runsOffThread(): boolean {
  return thread !== null;
}
