// Interactive shells in a lab node, on a real pty held by the pty host so they outlive a server
// restart. Lives here because the driver is the only place that starts processes.
import type { Sandbox } from './sandbox.ts';
import { CLEAN_ENV, run } from './run.ts';
import { LAB_PATH } from './lab-bin.ts';
import { attachHostedShell, listHostedShells, openHostedShell, type HostedShell, type SessionInfo } from './pty-host/client.ts';

export type { HostedShell, SessionInfo } from './pty-host/client.ts';

export interface ShellOptions {
  cols: number;
  rows: number;
}

export interface Shell {
  readonly pid: number;
  onData(cb: (data: Buffer) => void): void;
  onExit(cb: (e: { exitCode: number; signal?: number }) => void): void;
  /** Never blocks: what the pty cannot take yet is queued (see `inputPending`). */
  write(data: Buffer | string): void;
  /** Input written and not yet taken by the pty; the writer stops reading its source when this grows. */
  readonly inputPending: number;
  /** `cb` runs whenever queued input is taken by the pty or dropped. */
  onInputProgress(cb: () => void): void;
  /** Drop input the pty has not taken yet (typeahead). */
  flushInput(): void;
  /**
   * Ctrl-C ahead of any queued input: the typeahead is dropped and ^C written first, and if the
   * program has stopped reading with the kernel's input queue full, that queue is flushed too (as the
   * line discipline does on ^C), so a stuck `sleep` still gets its SIGINT.
   */
  interrupt(): void;
  resize(cols: number, rows: number): void;
  pause(): void;
  resume(): void;
  /** Kill the shell and everything it started (its whole session), then the pty. */
  kill(): void;
  /** Let go of the shell without killing it; the pty host keeps it for its grace period. */
  detach(): void;
}

/** In the sandbox's /run: one line per command typed in any of its terminals (for the command log). */
export const COMMANDS_FILE = 'nslab-commands';

// Fixed text, evaluated by bash at each prompt: session, node, exit status, `history 1` (number and
// command, tabs and newlines flattened). Appended with one write, so concurrent shells never interleave.
const RECORD_COMMAND =
  '__nslab_s=$?; __nslab_h=$(HISTTIMEFORMAT= history 1); ' +
  `printf '%s\t%s\t%s\t%s\n' "$NSLAB_TERM" "$NSLAB_NODE" "$__nslab_s" "\${__nslab_h//[$'\t\n']/ }" >> /run/${COMMANDS_FILE} 2>/dev/null`;

/**
 * Move the commands file aside (to `<file>.taken`, replacing the previous one) inside the sandbox, as
 * its root: the server's uid is not mapped there and cannot create names in its /run. False when
 * there was nothing to take.
 */
export async function takeCommandsFile(sb: Sandbox): Promise<boolean> {
  const r = await run(sb.enter(['mv', '-f', '--', `/run/${COMMANDS_FILE}`, `/run/${COMMANDS_FILE}.taken`]), { timeoutMs: 5000 });
  return r.code === 0;
}

function prompt(node: string): string {
  // Names reaching here passed checkNodeName (letters, digits, _ . -): nothing for bash to expand.
  return `\\[\\e[1;32m\\]root@${node}\\[\\e[0m\\]:\\[\\e[1;34m\\]\\w\\[\\e[0m\\]\\$ `;
}

export interface ShellRequest extends ShellOptions {
  /** Chosen by the caller so it can find the shell again after a restart. */
  id: string;
  lab: string;
  /** With nobody attached (say, the server is restarting), the shell lives this long. */
  graceMs: number;
}

/** A new login shell in `node`, held by the pty host (see pty-host/main.ts). */
export async function openShell(sb: Sandbox, node: string, req: ShellRequest): Promise<HostedShell> {
  const bash = ['bash', '--norc', '--noprofile', '-i'];
  const argv = node === 'host' ? sb.enter(bash) : sb.enter(['ip', 'netns', 'exec', node, ...bash]);
  const env = {
    ...CLEAN_ENV, PATH: LAB_PATH, HOME: '/root', TERM: 'xterm-256color', COLORTERM: 'truecolor', PS1: prompt(node), NSLAB_NODE: node,
    NSLAB_TERM: req.id, PROMPT_COMMAND: RECORD_COMMAND,
  };
  return openHostedShell({ id: req.id, lab: req.lab, node, argv, env, cols: req.cols, rows: req.rows, graceMs: req.graceMs });
}

/** Re-attach to a shell opened before (by this server or a previous one); its scrollback comes in `replay`. */
export function reattachShell(id: string): Promise<HostedShell> {
  return attachHostedShell(id);
}

/** The shells the pty host holds (none if it is not running). */
export function listShells(): Promise<SessionInfo[]> {
  return listHostedShells();
}
