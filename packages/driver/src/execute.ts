// Runs a plan inside a sandbox. Consecutive `ip` operations on the same namespace go to one
// `ip -batch -` process (one fork for hundreds of lines); anything else runs on its own. Each
// executed operation is reported with the exact line a learner could type.
import { render, type Operation, type RenderedCommand } from '@nslab/model';
import { availableParallelism } from 'node:os';
import type { Sandbox } from './sandbox.ts';
import { firstLine, run, type RunResult } from './run.ts';
import { tarArchive } from './tar.ts';

export interface ExecutedOperation {
  op: Operation;
  line: string;
  argv: string[];
  /**
   * An `exec` step that failed, in the tool's own words. exec lines are the author's commands run
   * once the lab is built (an image's `apk add`, say): like containerlab, nslab reports them and
   * keeps the lab. Every other step is all or nothing.
   */
  failed?: string;
}

export class OperationError extends Error {
  readonly code = 'OPERATION_FAILED';
  constructor(
    /** Index of the failed operation in the plan. */
    readonly index: number,
    readonly op: Operation,
    /** The command line that failed, as a learner would type it. */
    readonly line: string,
    /** The kernel's / tool's own message. */
    readonly kernelMessage: string,
  ) {
    super(`step ${index + 1} failed: ${line}\n  ${kernelMessage}`);
    this.name = 'OperationError';
  }
}

export interface ExecuteOptions {
  onExecuted?: (e: ExecutedOperation) => void;
  /** Timeout per process. */
  timeoutMs?: number;
}

// iproute2's batch reader splits on whitespace and honours quotes and '#': only plain arguments batch safely.
const BATCH_SAFE = /^[^\s"'#\\]+$/;

function batchable(r: RenderedCommand): boolean {
  return r.ipBatchArgs !== undefined && r.ipBatchArgs.every((a) => BATCH_SAFE.test(a));
}

function kernelMessage(r: RunResult): string {
  const lines = r.stderr.split('\n').map((l) => l.trim()).filter((l) => l && !/^Command failed /.test(l));
  if (r.timedOut) return 'timed out';
  return lines.join('; ') || firstLine(r.stdout) || `exit status ${r.code ?? r.signal}`;
}

/** A run of consecutive batchable ops in one namespace: [start, end). */
interface Group {
  ns: string | null;
  start: number;
  end: number;
}

/** From this many independent namespace groups on, one in-sandbox xargs beats a spawn per namespace. */
const FAN_OUT_MIN = 8;
let planSeq = 0;

/**
 * Many namespaces each with their own batch (a deploy's namespace phase): ship every batch file
 * into the sandbox with one `tar -x`, then let one `xargs -P` run `ip -n NS -batch FILE` for each.
 * Two processes from here instead of one per namespace; the groups are independent (each touches
 * only its own namespace), so they may run in parallel.
 */
async function runFanOut(sb: Sandbox, groups: Group[], rendered: RenderedCommand[], ops: readonly Operation[], timeoutMs: number): Promise<void> {
  const dir = `/run/nslab-plan/${process.pid}-${++planSeq}`;
  const files = groups.map((g, k) => ({
    name: `g${k}.batch`,
    content: rendered.slice(g.start, g.end).map((x) => x.ipBatchArgs!.join(' ')).join('\n') + '\n',
  }));
  const untar = await run(sb.enter(['tar', '-x', '-C', '/run', '--no-same-owner', '--transform', `s,^,${dir.slice(5)}/,`, '-f', '-']), {
    input: tarArchive(files),
    timeoutMs,
  });
  if (untar.code !== 0) throw new OperationError(groups[0]!.start, ops[groups[0]!.start]!, rendered[groups[0]!.start]!.line, `could not stage the plan: ${firstLine(untar.stderr)}`);
  const lines = groups.map((g, k) => `-n ${g.ns} -batch ${dir}/g${k}.batch`).join('\n') + '\n';
  const parallel = String(Math.max(1, availableParallelism()));
  const res = await run(sb.enter(['xargs', '-P', parallel, '-L', '1', 'ip']), { input: lines, timeoutMs });
  if (res.code === 0) return;
  // Map the first failure (in plan order) back to its operation; its message is the line ip printed just before.
  const errLines = res.stderr.split('\n');
  let best: { index: number; message: string } | null = null;
  errLines.forEach((l, idx) => {
    const m = /Command failed (\S+)\/g(\d+)\.batch:(\d+)/.exec(l);
    if (!m) return;
    const g = groups[Number(m[2])];
    if (!g) return;
    const index = g.start + Number(m[3]) - 1;
    if (!best || index < best.index) best = { index, message: (errLines[idx - 1] ?? '').trim() || 'failed' };
  });
  const failed: { index: number; message: string } = best ?? { index: groups[0]!.start, message: kernelMessage(res) };
  throw new OperationError(failed.index, ops[failed.index]!, rendered[failed.index]!.line, failed.message);
}

export async function executePlan(sb: Sandbox, ops: readonly Operation[], opts: ExecuteOptions = {}): Promise<ExecutedOperation[]> {
  const rendered = ops.map(render);
  const done: ExecutedOperation[] = [];
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const report = (i: number, failed?: string) => {
    const e: ExecutedOperation = { op: ops[i]!, line: rendered[i]!.line, argv: rendered[i]!.argv, ...(failed !== undefined ? { failed } : {}) };
    done.push(e);
    opts.onExecuted?.(e);
  };
  const groupAt = (i: number): Group | null => {
    const r = rendered[i]!;
    if (!batchable(r)) return null;
    let j = i + 1;
    while (j < ops.length && batchable(rendered[j]!) && rendered[j]!.ns === r.ns) j++;
    return { ns: r.ns, start: i, end: j };
  };
  let i = 0;
  while (i < ops.length) {
    const r = rendered[i]!;
    // A run of groups, each in a different namespace (not the lab host): run them fanned out.
    const fan: Group[] = [];
    const seen = new Set<string>();
    for (let k = i, g = groupAt(k); g && g.ns !== null && !seen.has(g.ns); k = g.end, g = k < ops.length ? groupAt(k) : null) {
      seen.add(g.ns);
      fan.push(g);
    }
    if (fan.length >= FAN_OUT_MIN) {
      try {
        await runFanOut(sb, fan, rendered, ops, timeoutMs);
      } catch (e) {
        if (e instanceof OperationError) for (const g of fan) for (let k = g.start; k < Math.min(g.end, e.index); k++) report(k);
        throw e;
      }
      for (const g of fan) for (let k = g.start; k < g.end; k++) report(k);
      i = fan.at(-1)!.end;
      continue;
    }
    if (batchable(r)) {
      const j = groupAt(i)!.end;
      if (j - i > 1) {
        const input = rendered.slice(i, j).map((x) => x.ipBatchArgs!.join(' ')).join('\n') + '\n';
        const argv = sb.enter(r.ns === null ? ['ip', '-batch', '-'] : ['ip', '-n', r.ns, '-batch', '-']);
        const res = await run(argv, { input, timeoutMs });
        if (res.code !== 0) {
          const m = /Command failed -:(\d+)/.exec(res.stderr);
          const failed = m ? i + Number(m[1]) - 1 : i;
          for (let k = i; k < failed; k++) report(k);
          throw new OperationError(failed, ops[failed]!, rendered[failed]!.line, kernelMessage(res));
        }
        for (let k = i; k < j; k++) report(k);
        i = j;
        continue;
      }
    }
    const res = await run(sb.enter(r.argv), { timeoutMs });
    // sysctl(8) (procps-ng) exits 0 when the kernel refuses the write as the file closes; the
    // refusal is then only on stderr.
    const refused = res.code !== 0 || (ops[i]!.op === 'sysctl' && res.stderr.trim() !== '');
    if (refused && ops[i]!.op === 'exec') {
      report(i, kernelMessage(res));
      i++;
      continue;
    }
    if (refused) throw new OperationError(i, ops[i]!, r.line, kernelMessage(res));
    report(i);
    i++;
  }
  return done;
}
