// The `ip -batch` baseline: the same star lab built by bench/baseline.sh (fixed content) inside a
// fresh `unshare --mount --net --propagation private`, from batch files generated here. The lines
// are written by hand the way a skilled person would, then checked against nslab's own plan so
// both sides make exactly the same kernel objects in the same order.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { planDeploy, render } from '../packages/model/src/index.ts';
import { CLEAN_ENV } from '../packages/driver/src/index.ts';
import { starAddress, starTopology } from './star.ts';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'baseline.sh');

export interface BaselineBatches {
  host: string[];
  /** Per namespace, in order. */
  ns: Array<{ name: string; lines: string[] }>;
}

/** The hand-written batch lines. `link set dev lo up` mirrors what nslab's sandbox does to the lab host's lo. */
export function baselineBatches(n: number): BaselineBatches {
  const host = ['link set dev lo up'];
  for (let i = 1; i <= n; i++) host.push(`netns add h${i}`);
  host.push('link add name br0 type bridge');
  // Each pair gets ifindexes of its own (lo is 1, br0 2), as nslab gives them.
  for (let i = 1; i <= n; i++) host.push(`link add name eth0 index ${1 + 2 * i} netns h${i} type veth peer name br${i} index ${2 + 2 * i}`);
  for (let i = 1; i <= n; i++) host.push(`link set dev br${i} master br0`);
  host.push('link set dev br0 up');
  for (let i = 1; i <= n; i++) host.push(`link set dev br${i} up`);
  const ns: BaselineBatches['ns'] = [];
  for (let i = 1; i <= n; i++) {
    ns.push({ name: `h${i}`, lines: ['link set dev eth0 up', `addr add ${starAddress(i)}/16 dev eth0`] });
  }
  return { host, ns };
}

/** Throws unless the baseline runs exactly nslab's plan (same lines, same grouping, same order). */
export function checkBaselineMatchesPlan(n: number): void {
  const b = baselineBatches(n);
  const rendered = planDeploy(starTopology(n), { assignIfindexes: true }).map(render);
  const want: string[] = [];
  let cur: string | null | undefined;
  for (const r of rendered) {
    if (!r.ipBatchArgs) throw new Error(`plan step is not an ip batch line: ${r.line}`);
    if (r.ns !== cur) want.push(`# ${r.ns ?? 'host'}`);
    cur = r.ns;
    want.push(r.ipBatchArgs.join(' '));
  }
  const got = ['# host', ...b.host.slice(1), ...b.ns.flatMap((x) => [`# ${x.name}`, ...x.lines])];
  const a = want.join('\n');
  const g = got.join('\n');
  if (a !== g) {
    const lw = a.split('\n');
    const lg = g.split('\n');
    const k = lw.findIndex((l, idx) => l !== lg[idx]);
    throw new Error(`baseline does not mirror planDeploy at line ${k + 1}: plan "${lw[k]}" vs baseline "${lg[k]}"`);
  }
}

export interface BaselineTiming {
  deployMs: number;
  destroyMs: number;
  /** From spawn: sandbox ready (unshare + tmpfs), host batch done, namespace batches done. */
  phases: { sandboxMs: number; hostBatchMs: number; nsBatchesMs: number };
}

const live = new Set<ChildProcess>();

/** Kill baseline sandboxes still running (on error or Ctrl-C): they only hold their own namespaces. */
export function killLiveBaselines(): void {
  for (const c of live) {
    try {
      c.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }
}

function nowWallMs(): number {
  return performance.timeOrigin + performance.now();
}

export async function runBaseline(n: number, verify: (argvPrefix: string[]) => Promise<void>): Promise<BaselineTiming> {
  const dir = mkdtempSync(join(tmpdir(), 'nslab-bench-'));
  try {
    const b = baselineBatches(n);
    writeFileSync(join(dir, 'host.batch'), b.host.join('\n') + '\n');
    mkdirSync(join(dir, 'ns'));
    for (const x of b.ns) writeFileSync(join(dir, 'ns', `${x.name}.batch`), x.lines.join('\n') + '\n');
    writeFileSync(join(dir, 'namespaces'), b.ns.map((x) => x.name).join('\n') + '\n');

    const marks = new Map<string, number>();
    const t0 = performance.now();
    const w0 = nowWallMs();
    const child = spawn('unshare', ['--mount', '--net', '--propagation', 'private', '--', 'bash', SCRIPT, dir], {
      env: { ...CLEAN_ENV },
      cwd: '/',
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    live.add(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const ready = new Promise<number>((resolve, reject) => {
      let buf = '';
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          const m = /^mark (\w+) (\d+(?:\.\d+)?)$/.exec(line);
          if (m) {
            marks.set(m[1]!, Number(m[2]) * 1000);
            if (m[1] === 'ready') resolve(performance.now());
          }
        }
      });
      void exited.then((code) => reject(new Error(`baseline exited (${code}) before it was ready: ${stderr.trim()}`)));
    });
    let tReady: number;
    try {
      tReady = await ready;
    } catch (e) {
      live.delete(child);
      throw e;
    }
    const deployMs = tReady - t0;
    const pid = child.pid!;
    await verify(['nsenter', '-t', String(pid), '-m', '-n']);

    const t1 = performance.now();
    child.stdin!.end();
    const code = await exited;
    const destroyMs = performance.now() - t1;
    live.delete(child);
    if (code !== 0) throw new Error(`baseline exited with ${code}: ${stderr.trim()}`);
    const ms = (k: string) => marks.get(k) ?? NaN;
    return {
      deployMs,
      destroyMs,
      phases: {
        sandboxMs: ms('sandbox') - w0,
        hostBatchMs: ms('host') - ms('sandbox'),
        nsBatchesMs: ms('ready') - ms('host'),
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

