// Runs a plan inside a sandbox. Consecutive `ip` operations on the same namespace go to one
// `ip -batch -` process (one fork for hundreds of lines); anything else runs on its own. Each
// executed operation is reported with the exact line a learner could type.
import { render, type Operation, type RenderedCommand } from '@nslab/model';
import type { Sandbox } from './sandbox.ts';
import { firstLine, run, type RunResult } from './run.ts';

export interface ExecutedOperation {
  op: Operation;
  line: string;
  argv: string[];
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

export async function executePlan(sb: Sandbox, ops: readonly Operation[], opts: ExecuteOptions = {}): Promise<ExecutedOperation[]> {
  const rendered = ops.map(render);
  const done: ExecutedOperation[] = [];
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const report = (i: number) => {
    const e = { op: ops[i]!, line: rendered[i]!.line, argv: rendered[i]!.argv };
    done.push(e);
    opts.onExecuted?.(e);
  };
  let i = 0;
  while (i < ops.length) {
    const r = rendered[i]!;
    if (batchable(r)) {
      let j = i + 1;
      while (j < ops.length && batchable(rendered[j]!) && rendered[j]!.ns === r.ns) j++;
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
    if (res.code !== 0) throw new OperationError(i, ops[i]!, r.line, kernelMessage(res));
    report(i);
    i++;
  }
  return done;
}
