// Commands typed in a lab's terminals, for the command log. Each terminal's bash appends one line
// per command to /run/nslab-commands inside the sandbox (PROMPT_COMMAND, see the driver's shell.ts);
// whenever it changes, this takes the file away (the driver renames it inside the sandbox, then it is
// read here, so nothing is read twice or lost between a read and the next append). The file is
// written by the learner's root shell: everything in it is untrusted text, capped, never interpreted.
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, watch, type FSWatcher } from 'node:fs';
import { COMMANDS_FILE, takeCommandsFile, type Sandbox } from '@nslab/driver';

/** Per read: a runaway loop in a shell can flood the file; the log keeps a bounded share. */
const MAX_BYTES = 256 * 1024;
const MAX_ENTRIES = 200;
const MAX_LINE = 1000;

export interface TypedCommand {
  session: string;
  node: string;
  line: string;
  ok: boolean;
  status: number;
}

/**
 * `session \t node \t status \t history-line` records -> commands, in order. `history 1` repeats the
 * previous command when the user just presses Enter: its history number tells the repeat apart.
 */
export function parseTypedCommands(text: string, lastNumber: Map<string, number>): TypedCommand[] {
  const out: TypedCommand[] = [];
  for (const raw of text.split('\n')) {
    const f = raw.split('\t');
    if (f.length !== 4) continue;
    const [session, node, statusText, hist] = f as [string, string, string, string];
    const m = /^\s*(\d+)\*?\s+(.*\S)\s*$/.exec(hist);
    if (!m || !/^[\w-]{1,64}$/.test(session) || !/^[\w.-]{1,64}$/.test(node) || !/^\d{1,3}$/.test(statusText)) continue;
    const n = Number(m[1]);
    if (lastNumber.get(session) === n) continue;
    lastNumber.set(session, n);
    const status = Number(statusText);
    const cmd = m[2]!.length > MAX_LINE ? `${m[2]!.slice(0, MAX_LINE)}…` : m[2]!;
    out.push({ session, node, status, ok: status === 0, line: node === 'host' ? cmd : `ip netns exec ${node} ${cmd}` });
    if (out.length >= MAX_ENTRIES) break;
  }
  return out;
}

/**
 * Read a file the sandbox's root controls, seen through init's /proc/PID/root. An absolute symlink there
 * would resolve against *our* root (the host's /etc, say), and a FIFO would block the server: open
 * without following links, without blocking, and accept only a regular file.
 */
function readUntrusted(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    if (!fstatSync(fd).isFile()) return '';
    const buf = Buffer.alloc(MAX_BYTES);
    let n = 0;
    for (let r; n < MAX_BYTES && (r = readSync(fd, buf, n, MAX_BYTES - n, null)) > 0; ) n += r;
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Whether a name exists (whatever it is: never followed). */
function present(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

export class TerminalHistory {
  private watcher: FSWatcher | undefined;
  private lastNumber = new Map<string, number>();
  private readonly dir: string;
  private draining: Promise<void> | null = null;
  private again = false;
  private closed = false;

  constructor(
    sandbox: Sandbox,
    private readonly onCommands: (cmds: TypedCommand[]) => void,
    /** The sandbox's /run as seen from here, and how to move the file aside (tests replace both). */
    runDir = sandbox.runDirFromHost(),
    private readonly take: () => Promise<boolean> = () => takeCommandsFile(sandbox),
  ) {
    this.dir = runDir;
    try {
      this.watcher = watch(this.dir, (_e, name) => {
        if (name === COMMANDS_FILE) void this.drain();
      });
      this.watcher.on('error', () => this.close());
    } catch {
      /* sandbox gone */
    }
    void this.drain();
  }

  /** Take what was typed since the last drain; runs one at a time, again if more came meanwhile. */
  drain(): Promise<void> {
    if (this.draining) {
      this.again = true;
      return this.draining;
    }
    this.draining = (async () => {
      do {
        this.again = false;
        // Our own move fires the watch again: look before spawning a process to take nothing.
        if (!present(`${this.dir}/${COMMANDS_FILE}`)) break;
        // Moved aside inside the sandbox: our own uid cannot create names in its /run.
        if (!(await this.take())) break;
        let text = '';
        try {
          text = readUntrusted(`${this.dir}/${COMMANDS_FILE}.taken`);
        } catch {
          /* vanished */
        }
        const cmds = parseTypedCommands(text, this.lastNumber);
        if (cmds.length) this.onCommands(cmds);
      } while (this.again && !this.closed);
    })().finally(() => {
      this.draining = null;
    });
    return this.draining;
  }

  close(): void {
    this.closed = true;
    this.watcher?.close();
    this.watcher = undefined;
  }
}
