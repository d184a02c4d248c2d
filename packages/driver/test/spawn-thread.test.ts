// run() through the spawner thread (what the server uses) answers exactly as run() on the calling
// thread does: output, input, exit, signals, timeouts, the output cap, a missing program.
import { afterAll, describe, expect, it } from 'vitest';
import { run, runOffThread, runsOffThread, stopRunOffThread, type RunOptions, type RunResult } from '../src/index.ts';

afterAll(() => stopRunOffThread());

/** A result without its duration (the one field that differs from run to run). */
const plain = ({ durationMs: _d, ...r }: RunResult) => r;

async function both(argv: string[], opts: RunOptions = {}): Promise<[unknown, unknown]> {
  const settle = (p: Promise<RunResult>) => p.then(plain, (e: NodeJS.ErrnoException) => ({ error: e.message, code: e.code }));
  stopRunOffThread();
  expect(runsOffThread()).toBe(false);
  const here = await settle(run(argv, opts));
  runOffThread();
  expect(runsOffThread()).toBe(true);
  const there = await settle(run(argv, opts));
  return [here, there];
}

describe('run() from the spawner thread', () => {
  it('answers as run() here does', async () => {
    const cases: [string[], RunOptions?][] = [
      [['sh', '-c', 'echo out; echo err >&2; exit 3']],
      [['cat'], { input: 'typed\n' }],
      [['cat'], { input: Buffer.from([0x68, 0x69]) }],
      [['head', '-c', '100000', '/dev/zero'], { maxOutput: 10 }],
      [['sh', '-c', 'kill -TERM $$']],
      [['env'], { env: { ONLY: 'this' } }],
      [['/nonexistent/program']],
    ];
    for (const [argv, opts] of cases) {
      const [here, there] = await both(argv, opts);
      expect(there, argv.join(' ')).toEqual(here);
    }
    const [here, there] = await both(['env']);
    // The minimal environment, never the server's own.
    expect(there).toEqual(here);
    expect((there as RunResult).stdout).not.toContain('VITEST');
  });

  it('times a program out (SIGKILL to its process group)', async () => {
    runOffThread();
    const r = await run(['sh', '-c', 'sleep 30 & sleep 30'], { timeoutMs: 200 });
    expect(r).toMatchObject({ timedOut: true, code: null, signal: 'SIGKILL' });
  });

  it('runs many at once and gives each its own answer', async () => {
    runOffThread();
    const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => run(['echo', String(i)])));
    expect(rs.map((r) => r.stdout)).toEqual(Array.from({ length: 20 }, (_, i) => `${i}\n`));
  });

  it('an empty argv is refused before any thread is asked', async () => {
    runOffThread();
    await expect(run([])).rejects.toThrow('empty argv');
  });
});
