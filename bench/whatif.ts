// What-if strategies for the per-namespace phase, measured inside a real sandbox so the profile can
// compare the driver with other ways to run it. Since cf04477 the driver itself stages every batch
// file with one `tar -x` and runs them through one in-sandbox `xargs -P nproc` (strategy 'driver');
// before that it ran one `nsenter … ip -n NS -batch -` process per namespace, in sequence (the
// 'node-pool' strategy with concurrency 1 reproduces that).
import { render, type Operation } from '../packages/model/src/index.ts';
import { executePlan, run, type Sandbox } from '../packages/driver/src/index.ts';

export type NsStrategy =
  /** executePlan as deployLab calls it (today: tar + one `xargs -P nproc` in the sandbox). */
  | { kind: 'driver' }
  /** One executePlan call per namespace (one `ip -n NS -batch -` process each), `concurrency` at a time. */
  | { kind: 'node-pool'; concurrency: number }
  /**
   * One `tar -x` puts every namespace's batch file in the sandbox's /tmp, then one
   * `xargs -P parallel -L 1 ip` process runs `ip -n NS -batch FILE` for each: two Node spawns in all.
   */
  | { kind: 'xargs'; parallel: number };

export function describe(s: NsStrategy): string {
  switch (s.kind) {
    case 'driver':
      return 'executePlan as deployLab runs it: one `tar -x` + one `xargs -P nproc` in the sandbox (current driver)';
    case 'node-pool':
      return s.concurrency === 1
        ? 'one `ip -n NS -batch -` process per namespace from Node, in sequence (the driver before cf04477)'
        : `one \`ip -n NS -batch -\` process per namespace from Node, ${s.concurrency} at a time`;
    case 'xargs':
      return `one \`tar -x\` of all batch files + one \`xargs -P ${s.parallel} -L 1 ip\` in the sandbox (2 Node spawns)`;
  }
}

function groupByNamespace(ops: readonly Operation[]): Map<string, Operation[]> {
  const groups = new Map<string, Operation[]>();
  for (const op of ops) {
    const ns = render(op).ns;
    if (ns === null) throw new Error('host step in the namespace phase');
    let g = groups.get(ns);
    if (!g) groups.set(ns, (g = []));
    g.push(op);
  }
  return groups;
}

/** A minimal POSIX ustar archive: one directory and its regular files (names validated by the caller). */
function ustar(dir: string, files: Array<{ name: string; data: string }>): Buffer {
  const blocks: Buffer[] = [];
  const header = (name: string, type: '0' | '5', mode: number, size: number) => {
    const h = Buffer.alloc(512);
    if (Buffer.byteLength(name) > 99) throw new Error(`tar name too long: ${name}`);
    h.write(name, 0);
    h.write(mode.toString(8).padStart(7, '0'), 100);
    h.write('0000000', 108);
    h.write('0000000', 116);
    h.write(size.toString(8).padStart(11, '0'), 124);
    h.write(Math.floor(Date.now() / 1000).toString(8).padStart(11, '0'), 136);
    h.write(type, 156);
    h.write('ustar\u000000', 257);
    h.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\u0000 ', 148);
    return h;
  };
  blocks.push(header(`${dir}/`, '5', 0o755, 0));
  for (const f of files) {
    const data = Buffer.from(f.data);
    blocks.push(header(`${dir}/${f.name}`, '0', 0o644, data.length));
    blocks.push(data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

const SAFE = /^[A-Za-z0-9_.@%+=:,/-]+$/;

export async function runNamespacePhase(sb: Sandbox, nsOps: readonly Operation[], s: NsStrategy): Promise<void> {
  if (s.kind === 'driver') {
    await executePlan(sb, nsOps);
    return;
  }
  const groups = [...groupByNamespace(nsOps).values()];
  if (s.kind === 'node-pool') {
    let next = 0;
    const worker = async () => {
      while (next < groups.length) await executePlan(sb, groups[next++]!);
    };
    await Promise.all(Array.from({ length: s.concurrency }, worker));
    return;
  }
  const files: Array<{ name: string; data: string }> = [];
  const list: string[] = [];
  for (const g of groups) {
    const ns = render(g[0]!).ns!;
    const lines = g.map((op) => {
      const args = render(op).ipBatchArgs;
      if (!args || !args.every((a) => SAFE.test(a))) throw new Error(`not batchable: ${render(op).line}`);
      return args.join(' ');
    });
    if (!SAFE.test(ns)) throw new Error(`unsafe namespace name ${ns}`);
    files.push({ name: ns, data: lines.join('\n') + '\n' });
    list.push(`-n ${ns} -batch /tmp/nslab-batch/${ns}`);
  }
  const tar = await run(sb.enter(['tar', '-x', '--no-same-owner', '-C', '/tmp', '-f', '-']), {
    // Every byte is ASCII (names and lines checked above), so the string is the archive byte for byte.
    input: ustar('nslab-batch', files).toString('latin1'),
    timeoutMs: 60_000,
  });
  if (tar.code !== 0) throw new Error(`tar -x failed: ${tar.stderr.trim()}`);
  const x = await run(sb.enter(['xargs', '-P', String(s.parallel), '-L', '1', 'ip']), { input: list.join('\n') + '\n', timeoutMs: 120_000 });
  if (x.code !== 0) throw new Error(`xargs ip failed (${x.code ?? x.signal}${x.timedOut ? ', timed out' : ''}): ${x.stderr.trim().split('\n').slice(0, 3).join(' / ')}`);
}
