// Interactive shells in a lab node, on a real pty. Lives here because the driver is the only
// place that starts processes.
import { spawn as spawnPty, type IPty } from '@lydell/node-pty';
import type { Sandbox } from './sandbox.ts';
import { CLEAN_ENV } from './run.ts';
import { pidsInSession } from './proc.ts';

export interface ShellOptions {
  cols: number;
  rows: number;
}

export interface Shell {
  readonly pid: number;
  onData(cb: (data: Buffer) => void): void;
  onExit(cb: (e: { exitCode: number; signal?: number }) => void): void;
  write(data: Buffer | string): void;
  resize(cols: number, rows: number): void;
  pause(): void;
  resume(): void;
  /** Kill the shell and everything it started (its whole session), then the pty. */
  kill(): void;
}

function prompt(node: string): string {
  // Names reaching here passed checkNodeName (letters, digits, _ . -): nothing for bash to expand.
  return `\\[\\e[1;32m\\]root@${node}\\[\\e[0m\\]:\\[\\e[1;34m\\]\\w\\[\\e[0m\\]\\$ `;
}

export function openShell(sb: Sandbox, node: string, opts: ShellOptions): Shell {
  const bash = ['bash', '--norc', '--noprofile', '-i'];
  const argv = node === 'host' ? sb.enter(bash) : sb.enter(['ip', 'netns', 'exec', node, ...bash]);
  const env = { ...CLEAN_ENV, HOME: '/root', TERM: 'xterm-256color', COLORTERM: 'truecolor', PS1: prompt(node), NSLAB_NODE: node };
  const p: IPty = spawnPty(argv[0]!, argv.slice(1), {
    name: 'xterm-256color',
    cols: opts.cols,
    rows: opts.rows,
    cwd: '/',
    env,
    encoding: null,
  });
  let exited = false;
  p.onExit(() => {
    exited = true;
  });
  return {
    pid: p.pid,
    onData: (cb) => p.onData((d) => cb(d as unknown as Buffer)),
    onExit: (cb) => p.onExit(cb),
    write: (d) => {
      if (!exited) p.write(typeof d === 'string' ? d : (d as unknown as string));
    },
    resize: (cols, rows) => {
      // node-pty throws EBADF when resizing a pty whose process already exited.
      if (exited) return;
      try {
        p.resize(cols, rows);
      } catch {
        /* raced with exit */
      }
    },
    pause: () => p.pause(),
    resume: () => p.resume(),
    kill: () => {
      for (const pid of pidsInSession(p.pid)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      try {
        p.kill('SIGKILL');
      } catch {
        /* gone */
      }
    },
  };
}
